package pve

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestNewValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		cfg   Config
		field string // "" = valid
	}{
		{"token ok", Config{Endpoint: "https://pve1:8006", APIToken: testToken}, ""},
		{"ticket ok", Config{Endpoint: "https://pve1:8006", Username: "root@pam", Password: "pw"}, ""},
		{"path dropped", Config{Endpoint: "https://pve1:8006/api2/json/", APIToken: testToken}, ""},
		{"empty endpoint", Config{APIToken: testToken}, "endpoint"},
		{"no scheme", Config{Endpoint: "pve1:8006", APIToken: testToken}, "endpoint"},
		{"http", Config{Endpoint: "http://pve1:8006", APIToken: testToken}, "endpoint"},
		{"no host", Config{Endpoint: "https://:8006", APIToken: testToken}, "endpoint"},
		{"bad port", Config{Endpoint: "https://pve1:99999", APIToken: testToken}, "endpoint"},
		{"user info", Config{Endpoint: "https://root:pw@pve1:8006", APIToken: testToken}, "endpoint"},
		{"no auth", Config{Endpoint: "https://pve1:8006"}, "auth"},
		{"both auth", Config{Endpoint: "https://pve1:8006", APIToken: testToken, Username: "root@pam", Password: "x"}, "auth"},
		{"token no secret", Config{Endpoint: "https://pve1:8006", APIToken: "root@pam!ci="}, "api token"},
		{"token no equals", Config{Endpoint: "https://pve1:8006", APIToken: "root@pam!ci"}, "api token"},
		{"token no bang", Config{Endpoint: "https://pve1:8006", APIToken: "root@pam=" + testSecret}, "api token"},
		{"token no realm", Config{Endpoint: "https://pve1:8006", APIToken: "root!ci=" + testSecret}, "api token"},
		{"token with otp", Config{Endpoint: "https://pve1:8006", APIToken: testToken, OTP: "123456"}, "otp"},
		{"user no realm", Config{Endpoint: "https://pve1:8006", Username: "root", Password: "pw"}, "username"},
		{"user no password", Config{Endpoint: "https://pve1:8006", Username: "root@pam"}, "password"},
		{"bad fingerprint", Config{Endpoint: "https://pve1:8006", APIToken: testToken, Fingerprint: "AA:BB"}, "fingerprint"},
		{"missing ca file", Config{Endpoint: "https://pve1:8006", APIToken: testToken, CAFile: "/nonexistent/ca.pem"}, "ca file"},
		{"http with transport", Config{Endpoint: "http://sim", APIToken: testToken, Transport: http.DefaultTransport}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := New(tt.cfg)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if strings.Contains(c.Endpoint(), "/api2") {
					t.Errorf("Endpoint() = %q, want the path dropped", c.Endpoint())
				}
				return
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want *ConfigError", err)
			}
			if ce.Field != tt.field {
				t.Errorf("Field = %q, want %q", ce.Field, tt.field)
			}
			if ce.Hint() == "" {
				t.Error("empty hint")
			}
			if strings.Contains(err.Error(), testSecret) || strings.Contains(ce.Hint(), testSecret) {
				t.Errorf("error leaks the secret: %v", err)
			}
		})
	}
}

func TestAuthAndTLSModes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cfg       Config
		auth, tls string
	}{
		{Config{Endpoint: "https://h:8006", APIToken: testToken}, AuthToken, TLSVerified},
		{Config{Endpoint: "https://h:8006", Username: "a@pve", Password: "x", Insecure: true}, AuthTicket, TLSInsecure},
		{Config{Endpoint: "https://h:8006", APIToken: testToken, Insecure: true, Fingerprint: strings.Repeat("ab", 32)}, AuthToken, TLSFingerprint},
		{Config{Endpoint: "https://h:8006", APIToken: testToken, Transport: http.DefaultTransport}, AuthToken, TLSInProcess},
	}
	for _, tt := range tests {
		c, err := New(tt.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if c.AuthMethod() != tt.auth || c.TLSMode() != tt.tls {
			t.Errorf("got %s/%s, want %s/%s", c.AuthMethod(), c.TLSMode(), tt.auth, tt.tls)
		}
	}
}

func TestTokenHeader(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	s.handle("GET /version", func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Authorization"); got != "PVEAPIToken="+testToken {
			t.Errorf("Authorization = %q", got)
		}
		if r.Header.Get("CSRFPreventionToken") != "" || r.Header.Get("Cookie") != "" {
			t.Errorf("token request carries ticket headers: %v", r.Header)
		}
		if got := r.Header.Get("Accept"); got != "application/json" {
			t.Errorf("Accept = %q", got)
		}
		if got := r.Header.Get("User-Agent"); got != "pmc-test" {
			t.Errorf("User-Agent = %q", got)
		}
		writeData(w, map[string]any{"version": "9.1.2", "release": "9.1", "repoid": "0123456789abcdef"})
	})
	c := s.client(func(c *Config) { c.UserAgent = "pmc-test" })
	v, err := c.Version(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if v.Version != "9.1.2" || v.Release != "9.1" || v.RepoID != "0123456789abcdef" {
		t.Errorf("version = %+v", v)
	}
	if c.PeerFingerprint() != s.fingerprint() {
		t.Errorf("PeerFingerprint = %q, want %q", c.PeerFingerprint(), s.fingerprint())
	}
}

// ticketServer answers /access/ticket like PVE: a fresh ticket for valid
// credentials or a still-valid ticket as password.
type ticketServer struct {
	mu      sync.Mutex
	n       int
	valid   map[string]bool
	forms   []url.Values
	refuse  bool // refuse ticket-as-password (server restarted)
	wantOTP string
}

func (ts *ticketServer) handler(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
			t.Errorf("ticket Content-Type = %q, want form", ct)
		}
		if err := r.ParseForm(); err != nil {
			t.Errorf("parse form: %v", err)
		}
		ts.mu.Lock()
		defer ts.mu.Unlock()
		ts.forms = append(ts.forms, r.PostForm)
		user, pw := r.PostForm.Get("username"), r.PostForm.Get("password")
		ok := user == "root@pam" && (pw == "s3cret" || (ts.valid[pw] && !ts.refuse))
		if pw == "s3cret" && ts.wantOTP != "" && r.PostForm.Get("otp") != ts.wantOTP {
			ok = false
		}
		if !ok {
			w.WriteHeader(http.StatusUnauthorized) // PVE: empty body, "authentication failure"
			return
		}
		ts.n++
		ticket := fmt.Sprintf("PVE:root@pam:6500000%d::c2lnbmF0dXJl+/=", ts.n)
		ts.valid[ticket] = true
		writeData(w, map[string]any{"username": "root@pam", "ticket": ticket,
			"CSRFPreventionToken": fmt.Sprintf("6500000%d:csrf%d", ts.n, ts.n), "cap": map[string]any{}})
	}
}

func (ts *ticketServer) lastForm() url.Values {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.forms[len(ts.forms)-1]
}

func cookieTicket(r *http.Request) string {
	c, err := r.Cookie("PVEAuthCookie")
	if err != nil {
		return ""
	}
	v, _ := url.PathUnescape(c.Value)
	return v
}

func TestTicketLogin(t *testing.T) {
	t.Parallel()
	for _, otp := range []string{"", "123456"} {
		t.Run("otp="+otp, func(t *testing.T) {
			t.Parallel()
			s := newStub(t)
			ts := &ticketServer{valid: map[string]bool{}, wantOTP: otp}
			s.handle("POST /access/ticket", ts.handler(t))
			s.handle("GET /version", func(w http.ResponseWriter, r *http.Request) {
				if got := cookieTicket(r); !ts.valid[got] {
					t.Errorf("GET cookie ticket %q not valid", got)
				}
				if r.Header.Get("Authorization") != "" {
					t.Error("ticket client sent Authorization")
				}
				writeData(w, map[string]any{"version": "9.1.2"})
			})
			s.handle("POST /nodes/pve1/qemu/100/status/start", func(w http.ResponseWriter, r *http.Request) {
				if got := r.Header.Get("CSRFPreventionToken"); got != "65000001:csrf1" {
					t.Errorf("CSRFPreventionToken = %q", got)
				}
				if got := cookieTicket(r); !ts.valid[got] {
					t.Errorf("POST cookie ticket %q not valid", got)
				}
				if err := r.ParseForm(); err != nil || r.PostForm.Get("timeout") != "60" {
					t.Errorf("form = %v (%v)", r.PostForm, err)
				}
				writeData(w, "UPID:pve1:00001234:00005678:65000000:qmstart:100:root@pam:")
			})
			c := s.client(func(c *Config) { c.APIToken, c.Username, c.Password, c.OTP = "", "root@pam", "s3cret", otp })
			ctx := context.Background()
			if _, err := c.Version(ctx); err != nil {
				t.Fatal(err)
			}
			form := ts.lastForm()
			if form.Get("username") != "root@pam" || form.Get("password") != "s3cret" || form.Get("otp") != otp {
				t.Errorf("login form = %v", form)
			}
			var upid string
			if err := c.Post(ctx, "/nodes/pve1/qemu/100/status/start", url.Values{"timeout": {"60"}}, &upid); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(upid, "UPID:pve1:") {
				t.Errorf("upid = %q", upid)
			}
			if n := s.count("POST /access/ticket"); n != 1 {
				t.Errorf("logins = %d, want 1", n)
			}
		})
	}
}

func TestTicketRenewal(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	ts := &ticketServer{valid: map[string]bool{}}
	s.handle("POST /access/ticket", ts.handler(t))
	var seen []string
	var mu sync.Mutex
	s.handle("GET /version", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, cookieTicket(r))
		mu.Unlock()
		writeData(w, map[string]any{"version": "9.1.2"})
	})
	c := s.client(func(c *Config) { c.APIToken, c.Username, c.Password = "", "root@pam", "s3cret" })
	var clock atomic.Int64
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c.now = func() time.Time { return t0.Add(time.Duration(clock.Load())) }
	ctx := context.Background()
	step := func(d time.Duration) {
		t.Helper()
		clock.Add(int64(d))
		if _, err := c.Version(ctx); err != nil {
			t.Fatal(err)
		}
	}
	step(0)                // login
	step(30 * time.Minute) // still fresh
	if n := s.count("POST /access/ticket"); n != 1 {
		t.Fatalf("ticket calls after 30m = %d, want 1", n)
	}
	step(20 * time.Minute) // 50m: renew with the ticket as password
	if n := s.count("POST /access/ticket"); n != 2 {
		t.Fatalf("ticket calls after 50m = %d, want 2", n)
	}
	if f := ts.lastForm(); f.Get("password") != seen[0] || f.Get("username") != "root@pam" {
		t.Errorf("renewal form = %v, want the first ticket %q as password", f, seen[0])
	}
	if seen[2] == seen[0] || !strings.Contains(seen[2], "65000002") {
		t.Errorf("after renewal the cookie is %q, want the second ticket", seen[2])
	}
	// the server forgot the ticket: renewal fails, a full login follows
	ts.mu.Lock()
	ts.refuse = true
	ts.mu.Unlock()
	step(50 * time.Minute)
	if f := ts.lastForm(); f.Get("password") != "s3cret" {
		t.Errorf("re-login form password = %q, want the password", f.Get("password"))
	}
	if n := s.count("POST /access/ticket"); n != 4 {
		t.Errorf("ticket calls = %d, want 4 (login, renew, failed renew, login)", n)
	}
}

func TestTicketConcurrentRenewal(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	ts := &ticketServer{valid: map[string]bool{}}
	s.handle("POST /access/ticket", ts.handler(t))
	s.handle("GET /nodes", func(w http.ResponseWriter, r *http.Request) {
		ts.mu.Lock()
		ok := ts.valid[cookieTicket(r)]
		ts.mu.Unlock()
		if !ok {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		writeData(w, []any{})
	})
	c := s.client(func(c *Config) { c.APIToken, c.Username, c.Password = "", "root@pam", "s3cret" })
	var clock atomic.Int64
	c.now = func() time.Time { return time.Unix(0, clock.Load()) }
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 5 {
				if i == 0 {
					clock.Add(int64(20 * time.Minute))
				}
				if _, err := c.Nodes(context.Background()); err != nil {
					t.Errorf("call %d/%d: %v", i, j, err)
				}
			}
		}()
	}
	wg.Wait()
}

func TestLoginFailure(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	ts := &ticketServer{valid: map[string]bool{}}
	s.handle("POST /access/ticket", ts.handler(t))
	c := s.client(func(c *Config) { c.APIToken, c.Username, c.Password = "", "root@pam", "wrong-pw" })
	_, err := c.Nodes(context.Background())
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 401 || !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("err = %v, want 401 *APIError", err)
	}
	if ae.Path != "/access/ticket" || !strings.Contains(ae.Hint(), "password") {
		t.Errorf("path %q hint %q", ae.Path, ae.Hint())
	}
	if strings.Contains(err.Error(), "wrong-pw") {
		t.Errorf("error leaks the password: %v", err)
	}
}

func TestNeedTFA(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	s.handle("POST /access/ticket", func(w http.ResponseWriter, r *http.Request) {
		writeData(w, map[string]any{"username": "root@pam", "ticket": "PVE:!tfa!...", "CSRFPreventionToken": "x", "NeedTFA": 1})
	})
	c := s.client(func(c *Config) { c.APIToken, c.Username, c.Password = "", "root@pam", "s3cret" })
	err := c.Login(context.Background())
	if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "two-factor") {
		t.Fatalf("err = %v, want a two-factor 401", err)
	}
	var ae *APIError
	if errors.As(err, &ae) && !strings.Contains(ae.Hint(), "--otp") {
		t.Errorf("hint %q does not mention --otp", ae.Hint())
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	var conns atomic.Int32
	s := newStub(t, func(srv *http.Server) {
		srv.ConnState = func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				conns.Add(1)
			}
		}
	})
	s.handle("GET /version", func(w http.ResponseWriter, r *http.Request) { writeData(w, map[string]any{"version": "9.1.2"}) })
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	fp := s.fingerprint()
	other := strings.Repeat("AB:", 31) + "AB"
	tests := []struct {
		name     string
		mut      func(*Config)
		mode     string
		wantWant string // "" and ok
		fail     bool
	}{
		{"pin ok", func(c *Config) {}, TLSFingerprint, "", false},
		{"pin lowercase no colons", func(c *Config) { c.Fingerprint = strings.ToLower(strings.ReplaceAll(fp, ":", "")) }, TLSFingerprint, "", false},
		{"pin mismatch", func(c *Config) { c.Fingerprint = other }, TLSFingerprint, other, true},
		{"ca file", func(c *Config) { c.Fingerprint, c.CAFile = "", caFile }, TLSCAFile, "", false},
		{"insecure", func(c *Config) { c.Fingerprint, c.Insecure = "", true }, TLSInsecure, "", false},
		{"default verify", func(c *Config) { c.Fingerprint = "" }, TLSVerified, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := s.client(tt.mut)
			if c.TLSMode() != tt.mode {
				t.Errorf("TLSMode = %q, want %q", c.TLSMode(), tt.mode)
			}
			before := conns.Load()
			_, err := c.Version(context.Background())
			if got := c.PeerFingerprint(); got != fp {
				t.Errorf("PeerFingerprint = %q, want %q", got, fp)
			}
			if !tt.fail {
				if err != nil {
					t.Fatalf("Version: %v", err)
				}
				return
			}
			var te *TLSError
			if !errors.As(err, &te) {
				t.Fatalf("err = %T %v, want *TLSError", err, err)
			}
			if te.Got != fp || te.Want != tt.wantWant {
				t.Errorf("TLSError Want/Got = %q/%q, want %q/%q", te.Want, te.Got, tt.wantWant, fp)
			}
			if !strings.Contains(te.Hint(), "--fingerprint "+fp) {
				t.Errorf("hint %q lacks --fingerprint %s", te.Hint(), fp)
			}
			if n := conns.Load() - before; n != 1 {
				t.Errorf("TLS failure made %d connections, want 1 (no retry)", n)
			}
		})
	}
}

func TestFetchFingerprint(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	got, err := FetchFingerprint(context.Background(), s.srv.URL+"/api2/json", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got != s.fingerprint() {
		t.Errorf("FetchFingerprint = %q, want %q", got, s.fingerprint())
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	_, err = FetchFingerprint(context.Background(), "https://"+addr, time.Second)
	var ne *NetworkError
	if !errors.As(err, &ne) {
		t.Errorf("closed port: err = %v, want *NetworkError", err)
	}
}

func TestNormalizeFingerprint(t *testing.T) {
	t.Parallel()
	want := strings.Repeat("AB:", 31) + "CD"
	for _, in := range []string{want, strings.ToLower(want), strings.ReplaceAll(want, ":", ""), "sha256 Fingerprint=" + want, " " + want + " "} {
		got, err := NormalizeFingerprint(in)
		if err != nil || got != want {
			t.Errorf("NormalizeFingerprint(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "AB:CD", strings.Repeat("ZZ", 32), strings.Repeat("AB", 33)} {
		if _, err := NormalizeFingerprint(in); err == nil {
			t.Errorf("NormalizeFingerprint(%q) accepted", in)
		}
	}
}

// rawReply writes a raw HTTP/1.1 reply so the status line can carry PVE's
// own reason phrase.
func rawReply(t *testing.T, w http.ResponseWriter, statusLine, body string) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		t.Error("cannot hijack")
		return
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		t.Error(err)
		return
	}
	defer func() { _ = conn.Close() }()
	fmt.Fprintf(buf, "HTTP/1.1 %s\r\nContent-Type: application/json;charset=UTF-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", statusLine, len(body), body)
	_ = buf.Flush()
}

func TestAPIErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		reply     func(t *testing.T, w http.ResponseWriter)
		status    int
		is        error
		msg       string
		inError   string
		inHint    string
		privilege [2]string
	}{
		{"401 token", func(t *testing.T, w http.ResponseWriter) { rawReply(t, w, "401 authentication failure", "") },
			401, ErrUnauthorized, "authentication failure", "GET /nodes/pve1/qemu: 401 authentication failure", "PROXMOX_VE_API_TOKEN", [2]string{}},
		{"403 privilege in status line", func(t *testing.T, w http.ResponseWriter) {
			rawReply(t, w, "403 Permission check failed (/vms/100, VM.Audit)", `{"data":null}`)
		}, 403, ErrForbidden, "Permission check failed (/vms/100, VM.Audit)", "403 Permission check failed", "pveum acl modify /vms/100", [2]string{"/vms/100", "VM.Audit"}},
		{"403 message body", func(t *testing.T, w http.ResponseWriter) {
			writeRaw(w, 403, `{"data":null,"message":"Permission check failed (/nodes/pve1, Sys.Audit)\n"}`)
		}, 403, ErrForbidden, "Permission check failed (/nodes/pve1, Sys.Audit)", "Sys.Audit)", "grant Sys.Audit on /nodes/pve1", [2]string{"/nodes/pve1", "Sys.Audit"}},
		{"404", func(t *testing.T, w http.ResponseWriter) { writeRaw(w, 404, `{"data":null}`) },
			404, ErrNotFound, "Not Found", "404", "does not exist", [2]string{}},
		{"400 params", func(t *testing.T, w http.ResponseWriter) {
			writeRaw(w, 400, `{"errors":{"vmid":"VM 200 already exists","name":"invalid format - value does not look like a valid DNS name\n"},"data":null,"message":"Parameter verification failed.\n"}`)
		}, 400, nil, "Parameter verification failed.", "(name: invalid format - value does not look like a valid DNS name; vmid: VM 200 already exists)", "vmid: VM 200 already exists", [2]string{}},
		{"500 does not exist", func(t *testing.T, w http.ResponseWriter) {
			rawReply(t, w, "500 Configuration file 'nodes/pve1/qemu-server/100.conf' does not exist", `{"data":null}`)
		}, 500, ErrNotFound, "Configuration file 'nodes/pve1/qemu-server/100.conf' does not exist", "does not exist", "does not exist", [2]string{}},
		{"500 other", func(t *testing.T, w http.ResponseWriter) {
			writeRaw(w, 500, `{"data":null,"message":"VM 100 already running\n"}`)
		}, 500, ErrServer, "VM 100 already running", "500 VM 100 already running", "journalctl", [2]string{}},
		{"501", func(t *testing.T, w http.ResponseWriter) {
			rawReply(t, w, "501 Method 'GET /nodes/pve1/qemu' not implemented", "")
		}, 501, ErrServer, "Method 'GET /nodes/pve1/qemu' not implemented", "501", "not implemented", [2]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStub(t)
			s.handle("GET /nodes/pve1/qemu", func(w http.ResponseWriter, r *http.Request) { tt.reply(t, w) })
			c := s.client(nil)
			_, err := c.Guests(context.Background(), "pve1", KindVM)
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %T %v, want *APIError", err, err)
			}
			if ae.Status != tt.status || ae.Message != tt.msg {
				t.Errorf("status/message = %d %q, want %d %q", ae.Status, ae.Message, tt.status, tt.msg)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v) = false", tt.is)
			}
			for _, other := range []error{ErrUnauthorized, ErrForbidden, ErrNotFound, ErrServer} {
				if other != tt.is && errors.Is(err, other) {
					t.Errorf("also Is(%v)", other)
				}
			}
			if !strings.Contains(err.Error(), tt.inError) || strings.Contains(err.Error(), "\n") {
				t.Errorf("Error() = %q, want one line containing %q", err.Error(), tt.inError)
			}
			if !strings.Contains(ae.Hint(), tt.inHint) {
				t.Errorf("Hint() = %q, want %q", ae.Hint(), tt.inHint)
			}
			if p, q := ae.Privilege(); p != tt.privilege[0] || q != tt.privilege[1] {
				t.Errorf("Privilege() = %q %q, want %q", p, q, tt.privilege)
			}
			if n := s.count("GET /nodes/pve1/qemu"); n != 1 {
				t.Errorf("attempts = %d, want 1 (no retry)", n)
			}
		})
	}
}

func TestRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		method     string
		failures   int // replies with code before success
		code       int
		maxRetries int
		wantHits   int
		wantErr    bool
	}{
		{"GET 503 twice then ok", "GET", 2, 503, 0, 3, false},
		{"GET 502 always", "GET", 99, 502, 0, 4, true},
		{"GET 504 always, 1 retry", "GET", 99, 504, 1, 2, true},
		{"GET 503 no retries", "GET", 99, 503, -1, 1, true},
		{"GET 500 not retried", "GET", 99, 500, 0, 1, true},
		{"POST 503 not retried", "POST", 99, 503, 0, 1, true},
		{"PUT 503 not retried", "PUT", 99, 503, 0, 1, true},
		{"DELETE 503 not retried", "DELETE", 99, 503, 0, 1, true},
		{"GET reset then ok", "GET", 1, -1, 0, 2, false},
		{"POST reset not retried", "POST", 1, -1, 0, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStub(t)
			var n atomic.Int32
			route := tt.method + " /cluster/x"
			s.handle(route, func(w http.ResponseWriter, r *http.Request) {
				if int(n.Add(1)) <= tt.failures {
					if tt.code < 0 {
						conn, _, _ := w.(http.Hijacker).Hijack()
						_ = conn.Close()
						return
					}
					writeRaw(w, tt.code, `{"data":null}`)
					return
				}
				writeData(w, "ok")
			})
			c := s.client(func(c *Config) { c.MaxRetries = tt.maxRetries })
			var out string
			var err error
			switch tt.method {
			case "GET":
				err = c.Get(context.Background(), "/cluster/x", nil, &out)
			case "POST":
				err = c.Post(context.Background(), "/cluster/x", url.Values{"a": {"1"}}, &out)
			case "PUT":
				err = c.Put(context.Background(), "/cluster/x", url.Values{"a": {"1"}}, &out)
			case "DELETE":
				err = c.Delete(context.Background(), "/cluster/x", nil, &out)
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !tt.wantErr && out != "ok" {
				t.Errorf("out = %q", out)
			}
			if tt.wantErr && tt.code < 0 {
				var ne *NetworkError
				if !errors.As(err, &ne) {
					t.Errorf("err = %T %v, want *NetworkError", err, err)
				}
			}
			if got := s.count(route); got != tt.wantHits {
				t.Errorf("attempts = %d, want %d", got, tt.wantHits)
			}
		})
	}
}

func TestCancelStopsRetrying(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s.handle("GET /nodes", func(w http.ResponseWriter, r *http.Request) {
		cancel()
		writeRaw(w, 503, `{"data":null}`)
	})
	c := s.client(nil)
	c.backoffBase, c.backoffCap = time.Hour, time.Hour // would hang if the backoff ignored ctx
	_, err := c.Nodes(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := s.count("GET /nodes"); n != 1 {
		t.Errorf("attempts = %d, want 1", n)
	}
}

func TestRequestTimeout(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	release := make(chan struct{})
	defer close(release)
	s.handle("GET /nodes", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	c := s.client(func(c *Config) { c.Timeout, c.MaxRetries = 300*time.Millisecond, -1 })
	_, err := c.Nodes(context.Background())
	var ne *NetworkError
	if !errors.As(err, &ne) || !strings.Contains(err.Error(), "no reply within 300ms") {
		t.Fatalf("err = %v, want a timeout *NetworkError", err)
	}
	if !strings.Contains(ne.Hint(), "reachable") {
		t.Errorf("hint = %q", ne.Hint())
	}
}

func TestNetworkError(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	c, err := New(Config{Endpoint: "https://" + addr, APIToken: testToken, Insecure: true, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Version(context.Background())
	var ne *NetworkError
	if !errors.As(err, &ne) || ne.Endpoint != "https://"+addr {
		t.Fatalf("err = %T %v, want *NetworkError", err, err)
	}
	if strings.Contains(err.Error(), testSecret) {
		t.Error("error leaks the secret")
	}
}

func TestEncoding(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	s.handle("GET /cluster/resources", func(w http.ResponseWriter, r *http.Request) {
		if got := r.URL.Query().Get("type"); got != "vm" {
			t.Errorf("type = %q", got)
		}
		if r.ContentLength > 0 {
			t.Error("GET has a body")
		}
		writeData(w, []map[string]any{{"id": "qemu/100", "type": "qemu", "vmid": "100", "template": "1", "maxcpu": 2}})
	})
	s.handle("PUT /nodes/pve1/qemu/100/config", func(w http.ResponseWriter, r *http.Request) {
		if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
			t.Errorf("Content-Type = %q", ct)
		}
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		if r.PostForm.Get("cores") != "4" || r.PostForm.Get("delete") != "vcpus,cpulimit" || r.PostForm.Get("onboot") != "1" {
			t.Errorf("form = %v", r.PostForm)
		}
		writeData(w, nil)
	})
	s.handle("POST /nodes/pve1/qemu/100/config", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.PostForm.Get("memory") != "2048" {
			t.Errorf("form = %v (%v)", r.PostForm, err)
		}
		writeData(w, "UPID:pve1:00001234:00005678:65000000:qmconfig:100:root@pam!ci:")
	})
	s.handle("DELETE /nodes/pve1/qemu/100", func(w http.ResponseWriter, r *http.Request) {
		if q := r.URL.Query(); q.Get("purge") != "1" || q.Get("destroy-unreferenced-disks") != "1" {
			t.Errorf("query = %v", q)
		}
		writeData(w, nil)
	})
	s.handle("POST /nodes/pve1/qemu/100/status/stop", func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > 0 || r.Header.Get("Content-Type") != "" {
			t.Errorf("empty POST has a body or Content-Type: %d %q", r.ContentLength, r.Header.Get("Content-Type"))
		}
		writeData(w, "UPID:pve1:00001234:00005678:65000000:qmstop:100:root@pam!ci:")
	})
	s.handle("GET /nodes/pve1/tasks/UPID:pve1:00001234:00005678:65000000:qmstop:100:root@pam!ci:/status", func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.RequestURI, "root@pam%21ci") {
			t.Errorf("RequestURI %q: want '!' escaped", r.RequestURI)
		}
		writeData(w, map[string]any{"status": "stopped", "exitstatus": "OK"})
	})
	c := s.client(nil)
	ctx := context.Background()
	res, err := c.ClusterResources(ctx, "vm")
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].VMID != 100 || !res[0].Template || res[0].MaxCPU != 2 {
		t.Errorf("resources = %+v", res)
	}
	if upid, err := c.UpdateConfig(ctx, "pve1", KindVM, 100, url.Values{"cores": {"4"}, "delete": {"vcpus,cpulimit"}, "onboot": {"1"}}, false); err != nil || upid != "" {
		t.Errorf("PUT config = %q, %v", upid, err)
	}
	if upid, err := c.UpdateConfig(ctx, "pve1", KindVM, 100, url.Values{"memory": {"2048"}}, true); err != nil || !strings.Contains(upid, "qmconfig") {
		t.Errorf("POST config = %q, %v", upid, err)
	}
	if upid, err := c.DeleteGuest(ctx, "pve1", KindVM, 100, url.Values{"purge": {"1"}, "destroy-unreferenced-disks": {"1"}}); err != nil || upid != "" {
		t.Errorf("delete = %q, %v", upid, err)
	}
	upid, err := c.GuestAction(ctx, "pve1", KindVM, 100, "stop")
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.WaitTask(ctx, upid, WaitOptions{Interval: time.Millisecond})
	if err != nil || !st.Succeeded() {
		t.Errorf("wait = %+v, %v", st, err)
	}
	if _, err := c.GuestAction(ctx, "pve1", KindCT, 100, "reset"); err == nil {
		t.Error("reset of a container accepted")
	}
	if _, err := c.Guests(ctx, "pve1", GuestKind("openvz")); err == nil {
		t.Error("unknown kind accepted")
	}
}

func TestLogging(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	s.handle("GET /nodes", func(w http.ResponseWriter, r *http.Request) { writeData(w, []any{}) })
	s.handle("GET /version", func(w http.ResponseWriter, r *http.Request) { writeRaw(w, 500, `{"data":null}`) })
	var buf syncBuffer
	c := s.client(func(c *Config) { c.Logger = newTestLogger(&buf) })
	if _, err := c.Nodes(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Version(context.Background()); err == nil {
		t.Fatal("want an error")
	}
	out := buf.String()
	if strings.Contains(out, testSecret) {
		t.Fatal("log leaks the token secret")
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("log has %d records, want 2:\n%s", len(lines), out)
	}
	for i, want := range []struct {
		path   string
		status float64
	}{{"/nodes", 200}, {"/version", 500}} {
		var rec map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &rec); err != nil {
			t.Fatal(err)
		}
		if rec["method"] != "GET" || rec["path"] != want.path || rec["status"] != want.status {
			t.Errorf("record %d = %v", i, rec)
		}
		if _, ok := rec["duration_ms"].(float64); !ok {
			t.Errorf("record %d has no duration_ms: %v", i, rec)
		}
	}
}

func TestInProcessTransport(t *testing.T) {
	t.Parallel()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api2/json/cluster/nextid" {
			http.Error(w, "no such uri", http.StatusNotImplemented)
			return
		}
		writeData(w, "123")
	})
	c, err := New(Config{Endpoint: "https://demo.invalid:8006", APIToken: testToken, Transport: handlerTransport{h}})
	if err != nil {
		t.Fatal(err)
	}
	id, err := c.NextID(context.Background())
	if err != nil || id != 123 {
		t.Fatalf("NextID = %d, %v", id, err)
	}
	if c.TLSMode() != TLSInProcess || c.PeerFingerprint() != "" {
		t.Errorf("mode %q fp %q", c.TLSMode(), c.PeerFingerprint())
	}
}

type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	res := rec.Result()
	res.Request = r
	return res, nil
}

func TestTLSErrorThroughLogin(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	other := strings.Repeat("01:", 31) + "01"
	c := s.client(func(c *Config) {
		c.APIToken, c.Username, c.Password, c.Fingerprint = "", "root@pam", "s3cret", other
	})
	err := c.Login(context.Background())
	var te *TLSError
	if !errors.As(err, &te) || te.Got != s.fingerprint() || te.Want != other {
		t.Fatalf("err = %T %v, want a pin-mismatch *TLSError", err, err)
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Error("error leaks the password")
	}
}
