package userconfig

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const fp = "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99"

func TestPathFromEnv(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		want    string
		wantErr bool
	}{
		{"xdg", map[string]string{"XDG_CONFIG_HOME": "/xdg", "HOME": "/home/u"}, "/xdg/proxmox-mpc/config.yaml", false},
		{"home", map[string]string{"HOME": "/home/u"}, "/home/u/.config/proxmox-mpc/config.yaml", false},
		{"relative xdg ignored", map[string]string{"XDG_CONFIG_HOME": "rel", "HOME": "/home/u"}, "/home/u/.config/proxmox-mpc/config.yaml", false},
		{"nothing", map[string]string{}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := PathFromEnv(func(k string) string { return tt.env[k] })
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("PathFromEnv = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want *Config
	}{
		{"empty", "", &Config{}},
		{"comment only", "# nothing yet\n", &Config{}},
		{"null document", "~\n", &Config{}},
		{"null contexts", "contexts:\n", &Config{}},
		{
			"full",
			`current-context: home
contexts:
  - name: home
    endpoint: https://pve1.lan:8006
    fingerprint: ` + fp + `
    token-id: automation@pve!ci
    secret-file: /home/u/.config/proxmox-mpc/home.token
    default-node: pve1
  - name: lab
    endpoint: https://10.0.0.5:8006/
    ca-file: /etc/ssl/lab-ca.pem
    insecure: true
    username: root@pam
`,
			&Config{CurrentContext: "home", Contexts: []Context{
				{Name: "home", Endpoint: "https://pve1.lan:8006", Fingerprint: fp, TokenID: "automation@pve!ci", SecretFile: "/home/u/.config/proxmox-mpc/home.token", DefaultNode: "pve1"},
				{Name: "lab", Endpoint: "https://10.0.0.5:8006/", CAFile: "/etc/ssl/lab-ca.pem", Insecure: true, Username: "root@pam"},
			}},
		},
		{
			"flow style and numeric name",
			`contexts: [{name: 2024, endpoint: "https://[fd00::1]:8006", insecure: false}]`,
			&Config{Contexts: []Context{{Name: "2024", Endpoint: "https://[fd00::1]:8006"}}},
		},
		{
			"anchors",
			"base: &b\n  endpoint: https://x:8006\n",
			nil, // unknown key: checked in TestParseErrors
		},
	}
	for _, tt := range tests {
		if tt.want == nil {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	ctx := func(extra string) string {
		return "contexts:\n  - name: home\n    endpoint: https://pve1:8006\n" + extra
	}
	tests := []struct {
		name   string
		in     string
		want   string // exact error text
		secret string // must not appear in the error
	}{
		{"secret token key", ctx("    token: hunter2-abcdef\n"), "line 4: " + SecretMsg, "hunter2-abcdef"},
		{"secret api-token", ctx("    api-token: root@pam!x=deadbeef-1234\n"), "line 4: " + SecretMsg, "deadbeef-1234"},
		{"secret api_token", ctx("    api_token: xyz123secret\n"), "line 4: " + SecretMsg, "xyz123secret"},
		{"secret password", ctx("    password: pa55w0rd!\n"), "line 4: " + SecretMsg, "pa55w0rd!"},
		{"secret top-level", "PROXMOX_VE_API_TOKEN: topsecretvalue\n", "line 1: " + SecretMsg, "topsecretvalue"},
		{"secret nested", ctx("    auth:\n      client-secret: nested-secret-9\n"), "line 5: " + SecretMsg, "nested-secret-9"},
		{"secret wins over unknown key", "zzz: 1\npassword: hunter22\n", "line 2: " + SecretMsg, "hunter22"},
		{"token id with secret", ctx("    token-id: root@pam!ci=0b5c-secret-uuid\n"), `line 4: context "home": token-id must be the id only (USER@REALM!TOKENID); ` + SecretMsg, "0b5c-secret-uuid"},
		{"endpoint with password", "contexts:\n  - name: a\n    endpoint: https://root:s3cretpw@pve:8006\n", `line 3: context "a": endpoint must not contain a user or password; ` + SecretMsg, "s3cretpw"},
		{"unknown key", ctx("    nodes: [a]\n"), `line 4: unknown key "nodes" in context (known: ` + contextKeys + ")", ""},
		{"unknown top-level key", "context: x\n", `line 1: unknown key "context" (known: current-context, contexts)`, ""},
		{"anchor top-level", "base: &b\n  endpoint: https://x:8006\n", `line 1: unknown key "base" (known: current-context, contexts)`, ""},
		{"bad bool", ctx("    insecure: hunter2xyz\n"), "line 4: insecure must be true or false", "hunter2xyz"},
		{"mapping as string", ctx("    default-node: {a: b}\n"), "line 4: default-node must be a string", ""},
		{"contexts not list", "contexts: {name: a}\n", "line 1: contexts must be a list", ""},
		{"context not mapping", "contexts:\n  - home\n", "line 2: each context must be a mapping with name and endpoint", ""},
		{"root not mapping", "- a\n", "line 1: the file must be a mapping with current-context and contexts", ""},
		{"repeated key", ctx("    name: again\n"), `line 4: key "name" is repeated (first on line 2)`, ""},
		{"empty name", "contexts:\n  - endpoint: https://pve:8006\n", "line 2: context has no name", ""},
		{"blank name", "contexts:\n  - name: \"  \"\n    endpoint: https://pve:8006\n", "line 2: context has no name", ""},
		{"name with space", "contexts:\n  - name: my lab\n    endpoint: https://pve:8006\n", `line 2: context name "my lab" must not contain spaces or control characters`, ""},
		{"duplicate names", ctx("  - name: home\n    endpoint: https://pve2:8006\n"), `line 4: duplicate context name "home" (first on line 2)`, ""},
		{"no endpoint", "contexts:\n  - name: a\n", `line 2: context "a": endpoint is required (e.g. https://pve1:8006)`, ""},
		{"http endpoint", "contexts:\n  - name: a\n    endpoint: http://pve:8006\n", `line 3: context "a": endpoint must be an https:// URL (e.g. https://pve1:8006)`, ""},
		{"bare host endpoint", "contexts:\n  - name: a\n    endpoint: pve1:8006\n", `line 3: context "a": endpoint must be an https:// URL (e.g. https://pve1:8006)`, ""},
		{"no host", "contexts:\n  - name: a\n    endpoint: https:///api2\n", `line 3: context "a": endpoint has no host (e.g. https://pve1:8006)`, ""},
		{"query", "contexts:\n  - name: a\n    endpoint: https://pve:8006/?x=1\n", `line 3: context "a": endpoint must not have a query or fragment`, ""},
		{"bad fingerprint", ctx("    fingerprint: AA:BB\n"), `line 4: context "home": fingerprint must be a SHA-256 fingerprint of 32 hex pairs like AA:BB:...`, ""},
		{"bad token id", ctx("    token-id: automation\n"), `line 4: context "home": token-id must look like USER@REALM!TOKENID`, ""},
		{"bad username", ctx("    username: root\n"), `line 4: context "home": username must look like USER@REALM (e.g. root@pam)`, ""},
		{"token and user", ctx("    token-id: a@pve!t\n    username: root@pam\n"), `line 5: context "home": set token-id or username, not both`, ""},
		{"missing current", "current-context: prod\n" + ctx(""), `line 1: current-context "prod" does not match any context; known contexts: home`, ""},
		{"current without contexts", "current-context: prod\n", `line 1: current-context "prod" does not match any context; no contexts are defined`, ""},
		{"syntax error", "contexts:\n  - name: a\n   endpoint: x\n", "line 1: invalid YAML: did not find expected '-' indicator", ""},
		{"tab indentation", "contexts:\n\t- name: a\n", "line 2: invalid YAML: found character that cannot start any token", ""},
		{"two documents", ctx("---\ncontexts: []\n"), "line 4: the file holds more than one YAML document", ""},
		{"unknown alias", "contexts: *nope\n", "invalid YAML: unknown anchor 'nope' referenced", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Parse([]byte(tt.in))
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", cfg)
			}
			if cfg != nil {
				t.Errorf("Parse returned a config with an error")
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error:\n got: %s\nwant: %s", got, tt.want)
			}
			if tt.secret != "" && strings.Contains(err.Error(), tt.secret) {
				t.Errorf("error echoes the secret: %s", err)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Errorf("error is %T, want *ParseError", err)
			}
		})
	}
}

func TestLooksSecret(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key  string
		want bool
	}{
		{"token", true}, {"Token", true}, {"api-token", true}, {"api_token", true}, {"apiToken", true},
		{"secret", true}, {"token-secret", true}, {"password", true}, {"PROXMOX_VE_PASSWORD", true},
		{"passwd", true}, {"private-key", true}, {"api.key", true}, {"ticket", true}, {"CSRFPreventionToken", true},
		{"token-id", false}, {"secret-file", false}, {"name", false}, {"endpoint", false},
		{"username", false}, {"fingerprint", false}, {"ca-file", false}, {"current-context", false},
		{"default-node", false}, {"insecure", false},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			t.Parallel()
			if got := LooksSecret(tt.key); got != tt.want {
				t.Errorf("LooksSecret(%q) = %v, want %v", tt.key, got, tt.want)
			}
		})
	}
}

func sampleConfig() *Config {
	return &Config{CurrentContext: "home", Contexts: []Context{
		{Name: "home", Endpoint: "https://pve1:8006", TokenID: "ci@pve!deploy", SecretFile: "/s/home.token"},
		{Name: "lab", Endpoint: "https://lab:8006", Fingerprint: fp, Username: "root@pam"},
	}}
}

func TestGetSetDelete(t *testing.T) {
	t.Parallel()
	c := sampleConfig()
	got, err := c.Get("lab")
	if err != nil || got.Username != "root@pam" {
		t.Fatalf("Get(lab) = %+v, %v", got, err)
	}
	got.Username = "changed@pam"
	if c.Contexts[1].Username != "root@pam" {
		t.Error("Get must return a copy")
	}

	_, err = c.Get("prod")
	var nf *NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("Get(prod) error = %T %v, want *NotFoundError", err, err)
	}
	if diff := cmp.Diff(&NotFoundError{Name: "prod", Known: []string{"home", "lab"}}, nf); diff != "" {
		t.Errorf("NotFoundError (-want +got):\n%s", diff)
	}
	if want := `context "prod" not found; known contexts: home, lab`; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if want := `context "x" not found: no contexts are configured`; (&NotFoundError{Name: "x"}).Error() != want {
		t.Errorf("empty NotFoundError = %q", (&NotFoundError{Name: "x"}).Error())
	}

	c.Set(Context{Name: "lab", Endpoint: "https://lab2:8006"})
	if len(c.Contexts) != 2 || c.Contexts[1].Endpoint != "https://lab2:8006" || c.Contexts[1].Username != "" {
		t.Errorf("Set must replace in place: %+v", c.Contexts)
	}
	c.Set(Context{Name: "new", Endpoint: "https://n:8006"})
	if diff := cmp.Diff([]string{"home", "lab", "new"}, c.Names()); diff != "" {
		t.Errorf("Names after add (-want +got):\n%s", diff)
	}

	cur, err := c.Current()
	if err != nil || cur.Name != "home" {
		t.Errorf("Current() = %+v, %v", cur, err)
	}
	if !c.Delete("home") || c.Delete("home") {
		t.Error("Delete must report existence")
	}
	if c.CurrentContext != "" {
		t.Error("deleting the current context must clear current-context")
	}
	if _, err := c.Current(); !errors.Is(err, ErrNoCurrentContext) {
		t.Errorf("Current() with none = %v", err)
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "proxmox-mpc", "config.yaml")
	want := sampleConfig()
	if err := Save(path, want); err != nil {
		t.Fatalf("Save: %v", err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := st.Mode().Perm(); perm != 0o600 {
		t.Errorf("config mode = %04o, want 0600", perm)
	}
	dst, err := os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if perm := dst.Mode().Perm(); perm != 0o700 {
		t.Errorf("config dir mode = %04o, want 0700", perm)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	data, _ := os.ReadFile(path)
	wantText := `current-context: home
contexts:
  - name: home
    endpoint: https://pve1:8006
    token-id: ci@pve!deploy
    secret-file: /s/home.token
  - name: lab
    endpoint: https://lab:8006
    fingerprint: ` + fp + `
    username: root@pam
`
	if diff := cmp.Diff(wantText, string(data)); diff != "" {
		t.Errorf("file text (-want +got):\n%s", diff)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestSaveRejectsInvalid(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte("contexts: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := &Config{Contexts: []Context{{Name: "a", Endpoint: "http://insecure"}}}
	err := Save(path, bad)
	if err == nil || !strings.Contains(err.Error(), "endpoint must be an https:// URL") {
		t.Fatalf("Save(invalid) = %v", err)
	}
	data, _ := os.ReadFile(path)
	if string(data) != "contexts: []\n" {
		t.Errorf("invalid Save touched the file: %q", data)
	}
	if err := Save(filepath.Join(path, "x.yaml"), sampleConfig()); err == nil {
		t.Error("Save under a file must fail")
	}
}

func TestSaveEmptyConfig(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := Save(path, &Config{}); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if string(data) != "contexts: []\n" {
		t.Errorf("empty config = %q", data)
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	missing, err := Load(filepath.Join(dir, "nope.yaml"))
	if err != nil || missing == nil || len(missing.Contexts) != 0 {
		t.Fatalf("Load(missing) = %+v, %v; want empty config", missing, err)
	}

	bad := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(bad, []byte("contexts:\n  - name: a\n    endpoint: https://a:8006\n    token: s3cr3t-v4lue\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Load(bad)
	want := bad + " line 4: " + SecretMsg
	if err == nil || err.Error() != want {
		t.Errorf("Load(bad) = %v, want %s", err, want)
	}
	if err != nil && strings.Contains(err.Error(), "s3cr3t-v4lue") {
		t.Error("error echoes the secret")
	}

	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, make([]byte, maxFileSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("Load(big) = %v", err)
	}
	if _, err := Load(dir); err == nil {
		t.Error("Load(directory) must fail")
	}
}

func TestReadSecretFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good", "  0b5c1d2e-secret\n", 0o600)
	readonly := write("readonly", "abc", 0o400)
	loose := write("loose", "leaky-secret-value", 0o644)
	group := write("group", "grp-secret-value", 0o640)
	empty := write("empty", " \n\t", 0o600)
	large := write("large", strings.Repeat("x", maxSecretSize+1), 0o600)

	tests := []struct {
		name    string
		path    string
		want    string
		wantErr string
	}{
		{"trimmed", good, "0b5c1d2e-secret", ""},
		{"read-only owner", readonly, "abc", ""},
		{"world readable", loose, "", "secret file " + loose + " has mode 0644; run chmod 600 " + loose},
		{"group readable", group, "", "secret file " + group + " has mode 0640; run chmod 600 " + group},
		{"empty", empty, "", "secret file " + empty + " is empty"},
		{"too large", large, "", "is larger than"},
		{"directory", dir, "", "is not a regular file"},
		{"missing", filepath.Join(dir, "missing"), "", "no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ReadSecretFile(tt.path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				for _, s := range []string{"leaky-secret-value", "grp-secret-value"} {
					if strings.Contains(err.Error(), s) {
						t.Errorf("error echoes the secret: %v", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("secret = %q, want %q", got, tt.want)
			}
		})
	}
}
