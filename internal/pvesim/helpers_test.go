package pvesim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock for Options.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 11, 24, 10, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newTestSim builds a homelab simulator on a fake clock.
func newTestSim(t testing.TB, opts Options) (*Sim, *fakeClock) {
	t.Helper()
	clk := newClock()
	if opts.Now == nil {
		opts.Now = clk.Now
	}
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s, clk
}

// reply is a decoded answer.
type reply struct {
	status int
	reason string
	header http.Header
	raw    []byte
	body   map[string]any
}

func (r reply) data() any { return r.body["data"] }

func (r reply) dataMap(t testing.TB) map[string]any {
	t.Helper()
	m, ok := r.body["data"].(map[string]any)
	if !ok {
		t.Fatalf("data is %T, want object; body %s", r.body["data"], r.raw)
	}
	return m
}

func (r reply) dataList(t testing.TB) []any {
	t.Helper()
	l, ok := r.body["data"].([]any)
	if !ok {
		t.Fatalf("data is %T, want array; body %s", r.body["data"], r.raw)
	}
	return l
}

func (r reply) str(t testing.TB) string {
	t.Helper()
	v, ok := r.body["data"].(string)
	if !ok {
		t.Fatalf("data is %T, want string; body %s", r.body["data"], r.raw)
	}
	return v
}

// call sends a request through the in-process transport with the default token.
func do(t testing.TB, s *Sim, method, path string, params url.Values) reply {
	t.Helper()
	return callWith(t, s, method, path, params, map[string]string{"Authorization": "PVEAPIToken=" + DefaultToken})
}

func callWith(t testing.TB, s *Sim, method, path string, params url.Values, headers map[string]string) reply {
	t.Helper()
	u := "https://pve.test:8006/api2/json" + path
	var body io.Reader
	if method == http.MethodGet || method == http.MethodDelete {
		if len(params) > 0 {
			u += "?" + params.Encode()
		}
	} else if params != nil {
		body = strings.NewReader(params.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := s.RoundTripper().RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := reply{status: res.StatusCode, reason: strings.TrimSpace(strings.TrimPrefix(res.Status, http.StatusText(0))), header: res.Header, raw: raw}
	_, r.reason, _ = strings.Cut(res.Status, " ")
	if len(bytes.TrimSpace(raw)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&r.body); err != nil {
			t.Fatalf("%s %s: body is not JSON: %v: %s", method, path, err, raw)
		}
	}
	return r
}

// mustOK fails unless the reply is 200.
func mustOK(t testing.TB, r reply, what string) reply {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("%s: status %d %q, body %s", what, r.status, r.reason, r.raw)
	}
	return r
}

// waitTask advances the clock past the task duration and returns the task status.
func waitTask(t testing.TB, s *Sim, clk *fakeClock, upid string) map[string]any {
	t.Helper()
	clk.Advance(s.taskDur + time.Millisecond)
	p, ok := parseUPID(upid)
	if !ok {
		t.Fatalf("bad upid %q", upid)
	}
	r := mustOK(t, do(t, s, "GET", "/nodes/"+p.node+"/tasks/"+url.PathEscape(upid)+"/status", nil), "task status")
	st := r.dataMap(t)
	if st["status"] != "stopped" {
		t.Fatalf("task %s still %v", upid, st["status"])
	}
	return st
}

// runOK runs an async call, waits for its task and requires exitstatus OK.
func runOK(t testing.TB, s *Sim, clk *fakeClock, method, path string, params url.Values) string {
	t.Helper()
	r := mustOK(t, do(t, s, method, path, params), method+" "+path)
	upid := r.str(t)
	if st := waitTask(t, s, clk, upid); st["exitstatus"] != "OK" {
		t.Fatalf("%s %s: task exit %v", method, path, st["exitstatus"])
	}
	return upid
}

// newHTTPServer serves s over a real loopback socket.
func newHTTPServer(t testing.TB, s *Sim) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv
}
