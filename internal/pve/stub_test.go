package pve

import (
	"encoding/json"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// stub is a per-test PVE stand-in: routes are "METHOD /path" relative to
// /api2/json; an unknown route fails the test, and so does a route that
// was never called.
type stub struct {
	t      *testing.T
	mu     sync.Mutex
	routes map[string]http.HandlerFunc
	hits   map[string]int
	srv    *httptest.Server
}

func newStub(t *testing.T, setup ...func(*http.Server)) *stub {
	t.Helper()
	s := &stub{t: t, routes: map[string]http.HandlerFunc{}, hits: map[string]int{}}
	s.srv = httptest.NewUnstartedServer(s)
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	for _, f := range setup {
		f(s.srv.Config)
	}
	s.srv.StartTLS()
	t.Cleanup(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		var unused []string
		for r := range s.routes {
			if s.hits[r] == 0 {
				unused = append(unused, r)
			}
		}
		sort.Strings(unused)
		for _, r := range unused {
			t.Errorf("stub route %s was never called", r)
		}
	})
	t.Cleanup(s.srv.Close) // runs first
	return s
}

func (s *stub) handle(route string, h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.routes[route] = h
}

func (s *stub) count(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[route]
}

func (s *stub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	route := r.Method + " " + strings.TrimPrefix(r.URL.Path, "/api2/json")
	s.mu.Lock()
	h, ok := s.routes[route]
	if ok {
		s.hits[route]++
	}
	s.mu.Unlock()
	if !ok || !strings.HasPrefix(r.URL.Path, "/api2/json/") {
		s.t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		http.Error(w, "no such uri", http.StatusNotImplemented)
		return
	}
	h(w, r)
}

func (s *stub) fingerprint() string { return FormatFingerprint(s.srv.Certificate().Raw) }

const testToken = "root@pam!ci=0b4e0fd9-5a4d-4d5e-9a2b-1e0f2c3d4e5f"
const testSecret = "0b4e0fd9-5a4d-4d5e-9a2b-1e0f2c3d4e5f"

// client makes a token client pinned to the stub's certificate, with short
// backoffs.
func (s *stub) client(mut func(*Config)) *Client {
	s.t.Helper()
	cfg := Config{Endpoint: s.srv.URL, APIToken: testToken, Fingerprint: s.fingerprint()}
	if mut != nil {
		mut(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		s.t.Fatalf("New: %v", err)
	}
	c.backoffBase, c.backoffCap = time.Millisecond, 2*time.Millisecond
	return c
}

func writeData(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	_ = json.NewEncoder(w).Encode(map[string]any{"data": v})
}

func writeRaw(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body))
}

// syncBuffer is a goroutine-safe log destination.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func newTestLogger(b *syncBuffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func writeJSON(t *testing.T, w io.Writer, v any) {
	t.Helper()
	if err := json.NewEncoder(w).Encode(v); err != nil {
		t.Error(err)
	}
}
