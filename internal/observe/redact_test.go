package observe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRedactString(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"plain text unchanged", "sync done: 17 guests on pve1 in 1.2s", "sync done: 17 guests on pve1 in 1.2s"},
		{"vm ref unchanged", "start vm/101 on node=pve1 status: ok", "start vm/101 on node=pve1 status: ok"},
		{"token header", "Authorization: PVEAPIToken=root@pam!ci=7f3a5d2c-4b1e-4c8a-9d6f-2a1b3c4d5e6f", "Authorization: [REDACTED]"},
		{"token alone", "token PVEAPIToken=ci@pve!deploy=aaaa-bbbb used", "token PVEAPIToken=ci@pve!deploy=[REDACTED] used"},
		{"bpg token form", "PROXMOX_VE_API_TOKEN=root@pam!sim=7f3a5d2c-4b1e-4c8a-9d6f-2a1b3c4d5e6f", "PROXMOX_VE_API_TOKEN=[REDACTED]"},
		{"token in env", "TOKEN root@pam!sim=7f3a5d2c-4b1e-4c8a-9d6f-2a1b3c4d5e6f", "TOKEN root@pam!sim=[REDACTED]"},
		{"url-encoded token", "t=root%40pam%21sim%3Dabcdef123456&x=1", "t=root%40pam%21sim%3D[REDACTED]&x=1"},
		{"cookie", "Cookie: PVEAuthCookie=PVE:root@pam:6745A2B1::c2lnbmF0dXJl", "Cookie: [REDACTED]"},
		{"cookie in text", "sent PVEAuthCookie=PVE%3Aroot%40pam%3A6745A2B1%3A%3Ac2ln; path=/", "sent PVEAuthCookie=[REDACTED]; path=/"},
		{"ticket", "ticket PVE:root@pam:6745A2B1::c2lnbmF0dXJlIG9mIHRoZSB0aWNrZXQ= expired", "ticket PVE:root@pam:[REDACTED] expired"},
		{"json ticket", `{"ticket":"PVE:root@pam:6745A2B1::c2ln+/=","CSRFPreventionToken":"6745A2B1:Zm9vYmFy"}`, `{"ticket":"[REDACTED]","CSRFPreventionToken":"[REDACTED]"}`},
		{"csrf header", "CSRFPreventionToken: 6745A2B1:Zm9vYmFyYmF6", "CSRFPreventionToken: [REDACTED]"},
		{"url credentials", "GET https://admin:s3cr3t@pve1:8006/api2/json failed", "GET https://admin:[REDACTED]@pve1:8006/api2/json failed"},
		{"bearer", "bearer abc.def-ghi", "bearer [REDACTED]"},
		{"password pair", "login root@pam password=hunter22 otp=1", "login root@pam password=[REDACTED] otp=1"},
		{"quoted password", `cfg {"cipassword": "two words"}`, `cfg {"cipassword": "[REDACTED]"}`},
		{"escaped quote", `{"password":"a\"b c"}`, `{"password":"[REDACTED]"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := RedactString(tt.in)
			if got != tt.want {
				t.Errorf("RedactString(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			if again := RedactString(got); again != got {
				t.Errorf("not idempotent: %q -> %q", got, again)
			}
		})
	}
}

func TestIsSecretKey(t *testing.T) {
	t.Parallel()
	for k, want := range map[string]bool{
		"password": true, "Password": true, "PASSWD": true, "secret": true, "token": true, "api_token": true,
		"ticket": true, "CSRFPreventionToken": true, "csrf": true, "cookie": true, "Authorization": true,
		"cipassword": true, "root_password": true, "client_secret": true, "refresh_token": true,
		"token_id": false, "tokenid": false, "node": false, "vmid": false, "msg": false, "upid": false, "tokens": false,
	} {
		if got := IsSecretKey(k); got != want {
			t.Errorf("IsSecretKey(%q) = %v, want %v", k, got, want)
		}
	}
}

type hintErr struct{ msg string }

func (e *hintErr) Error() string { return e.msg }
func (e *hintErr) Hint() string  { return "run `proxmox-mpc login`" }

type creds struct {
	User     string `json:"user"`
	Password string `json:"password"`
	Note     string `json:"note"`
}

// record logs through Redact into a JSON handler and returns the record.
func record(t *testing.T, log func(*slog.Logger)) map[string]any {
	t.Helper()
	var buf bytes.Buffer
	log(slog.New(Redact(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatalf("%q: %v", buf.String(), err)
	}
	delete(m, "time")
	return m
}

func TestRedactHandler(t *testing.T) {
	t.Parallel()
	const tok = "root@pam!ci=0e8d5f52-93c4-4f3c-8a0c-2b3c5d6e7f80"
	u, _ := url.Parse("https://root:pa55word@pve1:8006/api2/json")
	apiErr := fmt.Errorf("get /nodes: %w", &hintErr{msg: "401 with PVEAPIToken=" + tok})
	tests := []struct {
		name string
		log  func(*slog.Logger)
		want map[string]any
	}{
		{"secret keys, any case, in groups", func(l *slog.Logger) {
			l.Info("login", "Password", "hunter2", slog.Group("auth", "ticket", "PVE:x", slog.Group("hdr", "CSRFPreventionToken", "1:2")), "user", "root@pam")
		}, map[string]any{"level": "INFO", "msg": "login", "Password": Redacted, "user": "root@pam",
			"auth": map[string]any{"ticket": Redacted, "hdr": map[string]any{"CSRFPreventionToken": Redacted}}}},
		{"secret group", func(l *slog.Logger) {
			l.Info("x", slog.Group("cookie", "a", "b"))
		}, map[string]any{"level": "INFO", "msg": "x", "cookie": Redacted}},
		{"message and values", func(l *slog.Logger) {
			l.Debug("header Authorization: PVEAPIToken="+tok, "detail", "sent "+tok)
		}, map[string]any{"level": "DEBUG", "msg": "header Authorization: [REDACTED]", "detail": "sent root@pam!ci=[REDACTED]"}},
		{"error with type and hint", func(l *slog.Logger) {
			l.Error("sync failed", KeyErr, apiErr)
		}, map[string]any{"level": "ERROR", "msg": "sync failed", "err": "get /nodes: 401 with PVEAPIToken=root@pam!ci=[REDACTED]",
			"err_type": "*observe.hintErr", "hint": "run `proxmox-mpc login`"}},
		{"error under another key", func(l *slog.Logger) {
			l.Warn("x", "cause", errors.New("plain"))
		}, map[string]any{"level": "WARN", "msg": "x", "cause": "plain", "cause_type": "*errors.errorString"}},
		{"stringer", func(l *slog.Logger) {
			l.Info("x", "url", u)
		}, map[string]any{"level": "INFO", "msg": "x", "url": "https://root:[REDACTED]@pve1:8006/api2/json"}},
		{"struct", func(l *slog.Logger) {
			l.Info("x", "creds", creds{User: "root@pam", Password: "pw", Note: "ticket=PVE:root@pam:6745A2B1::abc"}, "tags", []string{"a", "b"})
		}, map[string]any{"level": "INFO", "msg": "x", "creds": map[string]any{"user": "root@pam", "password": Redacted, "note": "ticket=[REDACTED]"},
			"tags": []any{"a", "b"}}},
		{"with attrs", func(l *slog.Logger) {
			l.With("token", "abc", "node", "pve1").Info("x")
		}, map[string]any{"level": "INFO", "msg": "x", "token": Redacted, "node": "pve1"}},
		{"log valuer", func(l *slog.Logger) {
			l.Info("x", "v", valuer{})
		}, map[string]any{"level": "INFO", "msg": "x", "v": "user=u password=[REDACTED]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if d := cmp.Diff(tt.want, record(t, tt.log)); d != "" {
				t.Errorf("record (-want +got):\n%s", d)
			}
		})
	}
}

type valuer struct{}

func (valuer) LogValue() slog.Value { return slog.StringValue("user=u password=pw") }

// secretAlphabet: planted secrets are made of these, so JSON escaping
// cannot hide one that leaked.
const secretAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"

var plantForms = []func(secret string) string{
	func(s string) string { return "Authorization: PVEAPIToken=root@pam!ci=" + s },
	func(s string) string { return "PVEAPIToken=ci@pve!deploy=" + s },
	func(s string) string { return "ci@pve!deploy=" + s },
	func(s string) string { return "Cookie: PVEAuthCookie=" + s },
	func(s string) string { return "PVEAuthCookie=" + s },
	func(s string) string { return "PVE:root@pam:6745A2B1::" + s },
	func(s string) string { return "https://admin:" + s + "@pve1:8006/" },
	func(s string) string { return "password=" + s },
	func(s string) string { return `{"password":"` + s + `"}` },
	func(s string) string { return "Authorization: Bearer " + s },
	func(s string) string { return "CSRFPreventionToken: 6745A2B1:" + s },
}

func FuzzRedact(f *testing.F) {
	f.Add(uint8(0), "", "7f3a5d2c-4b1e-4c8a-9d6f-2a1b3c4d5e6f", "")
	f.Add(uint8(5), "login ", "c2lnbmF0dXJl", "; path=/")
	f.Add(uint8(6), "GET ", "hunter22", " failed")
	f.Add(uint8(8), `{"a":1,`, "s3cr3tpw", `,"b":2}`)
	f.Add(uint8(2), "x@y!z", "abcdef1234", "@")
	f.Fuzz(func(t *testing.T, form uint8, prefix, secret, suffix string) {
		if len(secret) < 6 || strings.Trim(secret, secretAlphabet) != "" {
			return
		}
		planted := plantForms[int(form)%len(plantForms)](secret)
		if strings.Contains(prefix+suffix+planted[:strings.Index(planted, secret)]+Redacted, secret) {
			return // the secret is also ordinary text here
		}
		in := prefix + planted + suffix
		out := RedactString(in)
		if strings.Contains(out, secret) {
			t.Fatalf("secret %q survived:\n in %q\nout %q", secret, in, out)
		}
		if again := RedactString(out); again != out {
			t.Fatalf("not idempotent: %q -> %q", out, again)
		}
		var buf bytes.Buffer
		l := slog.New(Redact(slog.NewJSONHandler(&buf, nil)))
		l.Info(in, "detail", in, "err", errors.New(in), slog.Group("g", "v", in))
		var rec map[string]any
		if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
			t.Fatalf("%q: %v", buf.String(), err)
		}
		delete(rec, "time") // its digits are not the secret
		if txt := fmt.Sprint(rec); strings.Contains(txt, secret) {
			t.Fatalf("secret %q survived the handler: %s", secret, txt)
		}
	})
}

func BenchmarkRedactHandler(b *testing.B) {
	l := slog.New(Redact(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug})))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		l.LogAttrs(ctx, slog.LevelDebug, "pve api call", slog.String("method", "GET"), slog.String("path", "/nodes/pve1/qemu/101/config"),
			slog.Int("status", 200), slog.Float64("duration_ms", 1.25))
	}
}

func BenchmarkRedactBaseline(b *testing.B) {
	l := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		l.LogAttrs(ctx, slog.LevelDebug, "pve api call", slog.String("method", "GET"), slog.String("path", "/nodes/pve1/qemu/101/config"),
			slog.Int("status", 200), slog.Float64("duration_ms", 1.25))
	}
}
