package workspace

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseConfig(t *testing.T) {
	t.Parallel()
	full := Config{Name: "lab", Endpoint: "https://pve1:8006", Fingerprint: strings.Repeat("AB:", 31) + "AB"}
	full.Auth.TokenEnv = "PVE_TOKEN"
	full.Defaults = Defaults{Node: "pve1", Storage: "local-lvm", Bridge: "vmbr0"}
	tests := []struct {
		name     string
		in       string
		want     Config
		wantLine int
		wantMsg  string
	}{
		{name: "minimal", in: "name: lab\nendpoint: https://pve1:8006\n", want: Config{Name: "lab", Endpoint: "https://pve1:8006"}},
		{name: "full", in: "# c\nname: lab\nendpoint: https://pve1:8006\nfingerprint: " + full.Fingerprint +
			"\nauth:\n  token-env: PVE_TOKEN\ndefaults:\n  node: pve1\n  storage: local-lvm\n  bridge: vmbr0\n", want: full},
		{name: "context", in: "name: lab\ncontext: home\n", want: Config{Name: "lab", Context: "home"}},
		{name: "unknown key", in: "name: lab\nendpoint: https://pve1:8006\nendpiont: x\n", wantLine: 3, wantMsg: `unknown key "endpiont"`},
		{name: "unknown nested key", in: "name: lab\nendpoint: https://pve1:8006\ndefaults:\n  nodes: a\n", wantLine: 4, wantMsg: `unknown key "nodes"`},
		{name: "password key", in: "name: lab\nendpoint: https://pve1:8006\nauth:\n  password: hunter2\n", wantLine: 4, wantMsg: "secrets are never stored"},
		{name: "api token key", in: "name: lab\napi_token: x\n", wantLine: 2, wantMsg: "secrets are never stored"},
		{name: "token value", in: "name: lab\nendpoint: https://pve1:8006\ndefaults:\n  node: root@pam!ci=0b5c-11aa\n", wantLine: 4, wantMsg: "looks like a secret"},
		{name: "header value", in: "name: lab\ncontext: 'PVEAPIToken=root@pam!x=y'\n", wantLine: 2, wantMsg: "looks like a secret"},
		{name: "token in token-env", in: "name: lab\nendpoint: https://pve1:8006\nauth:\n  token-env: 'a@pam!b=c'\n", wantLine: 4, wantMsg: "looks like a secret"},
		{name: "password url", in: "name: lab\nendpoint: https://pve1:8006\nstate:\n  url: postgres://u:pw@db/pmc\n", wantLine: 4, wantMsg: "looks like a secret"},
		{name: "bad name", in: "name: my lab\nendpoint: https://pve1:8006\n", wantLine: 1, wantMsg: "name: must be"},
		{name: "http endpoint", in: "name: lab\nendpoint: http://pve1:8006\n", wantLine: 2, wantMsg: "endpoint: must be an https:// URL"},
		{name: "no endpoint", in: "name: lab\n", wantMsg: "set endpoint"},
		{name: "bad fingerprint", in: "name: lab\nendpoint: https://pve1:8006\nfingerprint: AA:BB\n", wantLine: 3, wantMsg: "fingerprint: must be"},
		{name: "token-id needs file", in: "name: lab\nendpoint: https://pve1:8006\nauth:\n  token-id: a@pam!b\n", wantLine: 4, wantMsg: "needs secret-file"},
		{name: "relative secret file", in: "name: lab\nendpoint: https://pve1:8006\nauth:\n  token-id: a@pam!b\n  secret-file: s.txt\n", wantLine: 5, wantMsg: "absolute path"},
		{name: "wrong type", in: "name: lab\nendpoint: https://pve1:8006\ninsecure: maybe\n", wantLine: 3, wantMsg: "cannot unmarshal"},
		{name: "duplicate key", in: "name: lab\nname: lab2\nendpoint: https://pve1:8006\n", wantLine: 2, wantMsg: "already defined"},
		{name: "two documents", in: "name: lab\n---\nname: b\n", wantLine: 2, wantMsg: "more than one YAML document"},
		{name: "not a mapping", in: "- a\n", wantLine: 1, wantMsg: "must be a mapping"},
		{name: "empty", in: "", wantMsg: "empty"},
		{name: "syntax", in: "name: [\n", wantMsg: "did not find"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseConfig([]byte(tt.in))
			if tt.wantMsg == "" {
				if err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(tt.want, got); d != "" {
					t.Errorf("config (-want +got):\n%s", d)
				}
				return
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a *ParseError", err)
			}
			if !strings.Contains(pe.Msg, tt.wantMsg) || (tt.wantLine != 0 && pe.Line != tt.wantLine) {
				t.Errorf("err = line %d %q, want line %d containing %q", pe.Line, pe.Msg, tt.wantLine, tt.wantMsg)
			}
			for _, secret := range []string{"hunter2", "0b5c-11aa", "pw@db", "a@pam!b=c", "maybe"} {
				if strings.Contains(pe.Error(), secret) {
					t.Errorf("error %q echoes a value from the file", pe.Error())
				}
			}
		})
	}
}

func TestParseErrorFormat(t *testing.T) {
	t.Parallel()
	e := &ParseError{File: "/w/.proxmox-mpc/config.yaml", Line: 3, Msg: `unknown key "x"`}
	if got, want := e.Error(), `/w/.proxmox-mpc/config.yaml:3: unknown key "x"`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if e.Hint() == "" {
		t.Error("no hint")
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	t.Parallel()
	cfg := Config{Name: "lab", Endpoint: "https://pve1:8006", Insecure: true, State: State{URL: "postgres://pmc@db/pmc"}}
	cfg.Auth.Username = "root@pam"
	cfg.Auth.SecretFile = "/home/u/.config/proxmox-mpc/pw"
	data, err := marshalConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseConfig(data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if d := cmp.Diff(cfg, got); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
}

func TestNameFromDir(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/home/u/my-homelab":            "my-homelab",
		"/x/My Lab_2":                   "My-Lab-2",
		"/x/---":                        "workspace",
		"/x/über":                       "ber",
		"/x/" + strings.Repeat("a", 70): strings.Repeat("a", 63),
	} {
		if got := NameFromDir(in); got != want {
			t.Errorf("NameFromDir(%q) = %q, want %q", in, got, want)
		}
		if c := (Config{Name: NameFromDir(in), Context: "x"}); c.Validate() != nil {
			t.Errorf("NameFromDir(%q) is not a valid name: %v", in, c.Validate())
		}
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("name: lab\nendpoint: https://pve1:8006\n"))
	f.Add([]byte("name: lab\nauth:\n  password: x\n"))
	f.Add([]byte("name: lab\ncontext: root@pam!a=b\n"))
	f.Add([]byte("name: &a lab\nendpoint: *a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig(data)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err %T %v is not a *ParseError", err, err)
			}
			if m := tokenValueRE.FindString(string(data)); m != "" && strings.Contains(err.Error(), m) {
				t.Fatalf("error %q echoes a secret-looking value", err)
			}
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("accepted an invalid config: %v", err)
		}
		out, err := marshalConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseConfig(out)
		if err != nil {
			t.Fatalf("re-parse of marshalled config: %v\n%s", err, out)
		}
		if d := cmp.Diff(cfg, again); d != "" {
			t.Fatalf("round trip (-first +second):\n%s", d)
		}
	})
}

func TestParseConfigLogs(t *testing.T) {
	t.Parallel()
	cfg, err := ParseConfig([]byte("name: lab\nendpoint: https://pve1:8006\nlogs:\n  max-size-mb: 5\n  max-age-days: 3\n  max-files: 4\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Logs != (Logs{MaxSizeMB: 5, MaxAgeDays: 3, MaxFiles: 4}) {
		t.Errorf("logs = %+v", cfg.Logs)
	}
	if _, err := ParseConfig([]byte("name: lab\nendpoint: https://pve1:8006\nlogs:\n  max-files: -1\n")); err == nil {
		t.Error("a negative max-files was accepted")
	}
	if _, err := ParseConfig([]byte("name: lab\nendpoint: https://pve1:8006\nlogs:\n  keep: 3\n")); err == nil {
		t.Error("an unknown logs key was accepted")
	}
}
