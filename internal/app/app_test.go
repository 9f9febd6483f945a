package app

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
)

var update = flag.Bool("update", false, "rewrite golden files")

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	if env == nil {
		env = map[string]string{}
	}
	if _, ok := env["XDG_CONFIG_HOME"]; !ok {
		env["XDG_CONFIG_HOME"] = t.TempDir()
	}
	if _, ok := env["PMC_STATE_URL"]; !ok {
		// never let a test write a state store into the source tree
		env["PMC_STATE_URL"] = filepath.Join(t.TempDir(), "state.db")
	}
	code := Run(t.Context(), args, ios, func(k string) string { return env[k] })
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test ./internal/app -update): %v", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, d)
	}
}

// TestFieldSets pins the snake_case field set of every machine-readable
// output: docs/output-fields.md is the human copy of these golden files.
func TestFieldSets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
	}{
		{"get_vms", []string{"get", "vms", "--jq", ".[0] | keys"}},
		{"get_containers", []string{"get", "containers", "--jq", ".[0] | keys"}},
		{"get_nodes", []string{"get", "nodes", "--jq", ".[0] | keys"}},
		{"get_storage", []string{"get", "storage", "--jq", ".[0] | keys"}},
		{"get_tasks", []string{"get", "tasks", "--jq", ".[0] | keys"}},
		{"get_templates", []string{"get", "templates", "--jq", ".[] | keys"}},
		{"describe_vm", []string{"describe", "vm", "web-01", "--jq", "keys"}},
		{"describe_node", []string{"describe", "node", "pve1", "--jq", "keys"}},
		{"test_connection", []string{"test-connection", "--jq", "keys"}},
		{"version", []string{"version", "--jq", "keys"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := run(t, nil, append([]string{"--demo"}, tt.args...)...)
			if r.code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
			}
			golden(t, "fields_"+tt.name, uniqueLines(r.stdout))
		})
	}
}

func uniqueLines(s string) string {
	seen := map[string]bool{}
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if !seen[l] {
			seen[l] = true
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

func TestDemoGet(t *testing.T) {
	t.Parallel()
	type guest struct {
		VMID   int      `json:"vmid"`
		Name   string   `json:"name"`
		Type   string   `json:"type"`
		Node   string   `json:"node"`
		Status string   `json:"status"`
		Tags   []string `json:"tags"`
	}
	decode := func(t *testing.T, s string) []guest {
		t.Helper()
		var gs []guest
		if err := json.Unmarshal([]byte(s), &gs); err != nil {
			t.Fatalf("stdout is not a JSON list of guests: %v\n%s", err, s)
		}
		return gs
	}
	t.Run("vms are only VMs and sorted by vmid", func(t *testing.T) {
		t.Parallel()
		r := run(t, nil, "--demo", "get", "vms", "-o", "json")
		gs := decode(t, r.stdout)
		if len(gs) < 5 {
			t.Fatalf("homelab has %d VMs, want several", len(gs))
		}
		for i, g := range gs {
			if g.Type != "vm" {
				t.Errorf("get vms returned %s %d", g.Type, g.VMID)
			}
			if i > 0 && gs[i-1].VMID >= g.VMID {
				t.Errorf("not sorted by vmid at %d", i)
			}
		}
	})
	t.Run("filters", func(t *testing.T) {
		t.Parallel()
		all := decode(t, run(t, nil, "--demo", "get", "vms", "-o", "json").stdout)
		for _, args := range [][]string{
			{"--node", "pve1"}, {"--status", "running"}, {"--tag", "web"}, {"-l", "node!=pve1,status=running"},
		} {
			got := decode(t, run(t, nil, append([]string{"--demo", "get", "vms", "-o", "json"}, args...)...).stdout)
			if len(got) == 0 || len(got) >= len(all) {
				t.Errorf("%v kept %d of %d guests; the homelab should make it a strict, non-empty subset", args, len(got), len(all))
			}
			for _, g := range got {
				ok := true
				switch args[0] {
				case "--node":
					ok = g.Node == "pve1"
				case "--status":
					ok = g.Status == "running"
				case "--tag":
					ok = strings.Contains(strings.Join(g.Tags, ","), "web")
				case "-l":
					ok = g.Node != "pve1" && g.Status == "running"
				}
				if !ok {
					t.Errorf("%v let through %+v", args, g)
				}
			}
		}
	})
	t.Run("sort and limit", func(t *testing.T) {
		t.Parallel()
		got := decode(t, run(t, nil, "--demo", "get", "vms", "-o", "json", "--sort", "-vmid", "--limit", "2").stdout)
		if len(got) != 2 || got[0].VMID < got[1].VMID {
			t.Errorf("--sort -vmid --limit 2 gave %+v", got)
		}
	})
	t.Run("table is tab separated without header when piped", func(t *testing.T) {
		t.Parallel()
		r := run(t, nil, "--demo", "get", "nodes")
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		if len(lines) != 3 || !strings.HasPrefix(lines[0], "pve1\tonline\t") {
			t.Errorf("get nodes (non-TTY) printed:\n%s", r.stdout)
		}
	})
	t.Run("yaml", func(t *testing.T) {
		t.Parallel()
		r := run(t, nil, "--demo", "get", "nodes", "-o", "yaml")
		if !strings.Contains(r.stdout, "- name: pve1\n") {
			t.Errorf("yaml output:\n%s", r.stdout)
		}
	})
	t.Run("names and ids", func(t *testing.T) {
		t.Parallel()
		all := decode(t, run(t, nil, "--demo", "get", "vms", "-o", "json").stdout)
		r := run(t, nil, "--demo", "get", "vms", all[0].Name, "-o", "json")
		got := decode(t, r.stdout)
		if len(got) != 1 || got[0].VMID != all[0].VMID {
			t.Errorf("get vms %s gave %+v", all[0].Name, got)
		}
	})
}

func TestDescribe(t *testing.T) {
	t.Parallel()
	r := run(t, nil, "--demo", "describe", "vm", "web-01")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"Name:", "web-01", "Config:", "net0:", "digest", "Snapshots:", "Recent tasks:"} {
		if !strings.Contains(strings.ToLower(r.stdout), strings.ToLower(want)) {
			t.Errorf("describe vm output lacks %q:\n%s", want, r.stdout)
		}
	}
	r = run(t, nil, "--demo", "describe", "node", "pve1")
	for _, want := range []string{"Name:", "pve1", "Guests (", "Storage:", "local-lvm", "vmbr0"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("describe node output lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		code     int
		contains []string
	}{
		{"unknown command", []string{"gett", "vms"}, 2, []string{`unknown command "gett"`, "did you mean get, set or test?"}},
		{"unknown flag", []string{"get", "vms", "--stauts", "running"}, 2, []string{"unknown flag: --stauts", "--status"}},
		{"unknown kind", []string{"--demo", "get", "vmz"}, 2, []string{`unknown resource type "vmz"`, "did you mean vms?"}},
		{"unknown guest", []string{"--demo", "describe", "vm", "web-1"}, 2, []string{`vm "web-1" not found`, "did you mean web-01"}},
		{"unknown node", []string{"--demo", "describe", "node", "pve9"}, 2, []string{`node "pve9" not found`, "did you mean pve1"}},
		{"bad output", []string{"--demo", "get", "vms", "-o", "xml"}, 2, []string{"xml"}},
		{"bad selector", []string{"--demo", "get", "vms", "-l", "colour=red"}, 2, []string{`unknown key "colour"`, "keys: name"}},
		{"bad sort", []string{"--demo", "get", "vms", "--sort", "colour"}, 2, []string{`cannot sort by "colour"`, "memory_bytes"}},
		{"bad jq", []string{"--demo", "get", "vms", "--jq", ".[ | "}, 2, []string{"jq"}},
		{"no endpoint", []string{"get", "vms"}, 1, []string{"no Proxmox VE endpoint configured", "PROXMOX_VE_ENDPOINT", "--demo"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := run(t, nil, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit code = %d, want %d; stderr:\n%s", r.code, tt.code, r.stderr)
			}
			for _, c := range tt.contains {
				if !strings.Contains(r.stderr, c) {
					t.Errorf("stderr lacks %q:\n%s", c, r.stderr)
				}
			}
			if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic") {
				t.Errorf("stderr shows a stack trace:\n%s", r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("an error wrote to stdout:\n%s", r.stdout)
			}
		})
	}
}

// TestSimCommandEndToEnd is the "done when": start `sim` with a
// token, then test-connection with the printed fingerprint and get vms.
func TestSimCommandEndToEnd(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pr, pw := io.Pipe()
	ios, _, _, _ := iostreams.Test()
	ios.Out = pw
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"sim", "--listen", "127.0.0.1:0", "--token", "root@pam!ci=s3cret"}, ios, func(string) string { return "" })
		_ = pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	var endpoint, fp string
	fpRe := regexp.MustCompile(`fingerprint: ([0-9A-F:]{95})`)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "export PROXMOX_VE_ENDPOINT="); ok {
			endpoint = v
		}
		if m := fpRe.FindStringSubmatch(line); m != nil {
			fp = m[1]
		}
		if strings.HasPrefix(line, "proxmox-mpc test-connection") {
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if endpoint == "" || fp == "" {
		t.Fatalf("sim did not print endpoint (%q) and fingerprint (%q)", endpoint, fp)
	}
	env := map[string]string{"PROXMOX_VE_ENDPOINT": endpoint, "PROXMOX_VE_API_TOKEN": "root@pam!ci=s3cret", "XDG_CONFIG_HOME": t.TempDir()}
	fresh := func() map[string]string {
		return map[string]string{"PROXMOX_VE_ENDPOINT": endpoint, "PROXMOX_VE_API_TOKEN": "root@pam!ci=s3cret"}
	}

	r := run(t, env, "test-connection", "--fingerprint", fp)
	if r.code != 0 {
		t.Fatalf("test-connection exit %d:\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"Connected to " + endpoint, "fingerprint (" + fp + ")", "api-token", "PVE version:", "Privileges:"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("test-connection output lacks %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "Pinned this certificate") {
		t.Errorf("test-connection --fingerprint did not pin the certificate:\n%s", r.stderr)
	}
	// the pinned certificate is trusted without the flag, as the "done when" runs it
	r = run(t, env, "get", "vms", "-o", "json")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "[") {
		t.Fatalf("get vms exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	var vms []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &vms); err != nil || len(vms) == 0 {
		t.Fatalf("get vms -o json: %v\n%s", err, r.stdout)
	}

	// the failures a user meets, one line and a fix each
	wrongFP := strings.Repeat("AB:", 31) + "AB"
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		code     int
		contains []string
	}{
		{"fingerprint mismatch", env, []string{"test-connection", "--fingerprint", wrongFP}, 1, []string{fp}},
		{"self-signed without pin", fresh(), []string{"test-connection"}, 1, []string{"--fingerprint " + fp}},
		{"bad token", map[string]string{"PROXMOX_VE_ENDPOINT": endpoint, "PROXMOX_VE_API_TOKEN": "root@pam!ci=wrong"}, []string{"test-connection", "--fingerprint", fp}, 4, []string{"401"}},
		{"malformed fingerprint", fresh(), []string{"get", "vms", "--fingerprint", "AB:CD"}, 2, []string{"fingerprint"}},
		{"insecure warns", env, []string{"get", "nodes", "--insecure"}, 0, []string{"Warning:", "--fingerprint"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, tt.env, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", r.code, tt.code, r.stderr)
			}
			for _, c := range tt.contains {
				if !strings.Contains(r.stderr, c) {
					t.Errorf("stderr lacks %q:\n%s", c, r.stderr)
				}
			}
			if tt.code != 0 && !strings.Contains(r.stderr, "Hint:") {
				t.Errorf("no hint:\n%s", r.stderr)
			}
		})
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("sim exited %d after cancel", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sim did not stop after cancel")
	}
}

func TestUnreachable(t *testing.T) {
	t.Parallel()
	env := map[string]string{"PROXMOX_VE_ENDPOINT": "https://127.0.0.1:1", "PROXMOX_VE_API_TOKEN": "root@pam!x=y"}
	r := run(t, env, "test-connection", "--timeout", "2s")
	if r.code != 1 || !strings.Contains(r.stderr, "Hint:") || !strings.Contains(r.stderr, "127.0.0.1:1") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

// TestForbidden: a 403 names the missing privilege and exits 4.
func TestForbidden(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `{"data":null,"message":"Permission check failed (/, Sys.Audit)\n"}`)
	}))
	defer srv.Close()
	fp := pve.FormatFingerprint(srv.Certificate().Raw)
	env := map[string]string{"PROXMOX_VE_ENDPOINT": srv.URL, "PROXMOX_VE_API_TOKEN": "ro@pve!t=x"}
	r := run(t, env, "get", "nodes", "--fingerprint", fp)
	if r.code != 4 {
		t.Errorf("exit %d, want 4", r.code)
	}
	for _, want := range []string{"403", "Sys.Audit", "Hint:"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[2], "correlation id: ") {
		t.Errorf("want one error line, one hint line and the correlation id, got:\n%s", r.stderr)
	}
}

// TestDebugNeverShowsSecrets: --debug prints every API call, and no secret.
func TestDebugNeverShowsSecrets(t *testing.T) {
	t.Parallel()
	const secret = "0b4e0fd9-5a4d-4d5e-9a2b-1e0f2c3d4e5f"
	sim, err := pvesim.New(pvesim.Options{Tokens: []string{"root@pam!dbg=" + secret}, Users: map[string]string{"root@pam": "hunter2-pass"}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(sim)
	defer srv.Close()
	fp := pve.FormatFingerprint(srv.Certificate().Raw)
	for _, env := range []map[string]string{
		{"PROXMOX_VE_ENDPOINT": srv.URL, "PROXMOX_VE_API_TOKEN": "root@pam!dbg=" + secret},
		{"PROXMOX_VE_ENDPOINT": srv.URL, "PROXMOX_VE_USERNAME": "root@pam", "PROXMOX_VE_PASSWORD": "hunter2-pass"},
	} {
		r := run(t, env, "--debug", "describe", "vm", "web-01", "--fingerprint", fp)
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		if !strings.Contains(r.stderr, "path=/cluster/resources status=200") {
			t.Errorf("--debug did not show the API calls:\n%s", r.stderr)
		}
		for _, s := range []string{secret, "hunter2-pass", "PVE:root@pam:", "PVEAuthCookie"} {
			if strings.Contains(r.stderr+r.stdout, s) {
				t.Errorf("output shows secret %q", s)
			}
		}
	}
}

// TestTTYTable: a terminal gets a header and aligned columns; colour only
// when enabled.
func TestTTYTable(t *testing.T) {
	t.Parallel()
	ios, _, out, _ := iostreams.Test()
	ios.SetStdoutTTY(true)
	code := Run(t.Context(), []string{"--demo", "get", "nodes"}, ios, func(k string) string {
		if k == "XDG_CONFIG_HOME" {
			return t.TempDir()
		}
		return ""
	})
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "NAME ") || strings.Contains(out.String(), "\t") || strings.Contains(out.String(), "\x1b[") {
		t.Fatalf("TTY table:\n%s", out.String())
	}
	col := strings.Index(lines[0], "STATUS")
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l[col:], "online") {
			t.Errorf("STATUS column not aligned at %d in %q", col, l)
		}
	}
}

// TestCompletion: the shell completion offers guest and node names.
func TestCompletion(t *testing.T) {
	t.Parallel()
	r := run(t, nil, "--demo", "__complete", "describe", "vm", "web")
	if !strings.Contains(r.stdout, "web-01\n") || !strings.Contains(r.stdout, "db-01\n") {
		t.Errorf("describe vm completion:\n%s", r.stdout)
	}
	r = run(t, nil, "--demo", "__complete", "get", "nodes", "")
	if !strings.Contains(r.stdout, "pve1\npve2\npve3\n") {
		t.Errorf("get nodes completion:\n%s", r.stdout)
	}
	for _, sh := range []string{"bash", "zsh", "fish"} {
		r := run(t, nil, "completion", sh)
		if r.code != 0 || !strings.Contains(r.stdout, "proxmox-mpc") {
			t.Errorf("completion %s: exit %d", sh, r.code)
		}
	}
}

func newTLSServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func TestSyncFieldSets(t *testing.T) {
	t.Parallel()
	env := map[string]string{"PMC_STATE_URL": filepath.Join(t.TempDir(), "state.db")}
	r := run(t, env, "--demo", "sync", "-o", "json", "--jq", "keys")
	if r.code != 0 {
		t.Fatalf("sync exit %d: %s", r.code, r.stderr)
	}
	golden(t, "fields_sync", r.stdout)
	r = run(t, env, "history", "vm", "web-01", "-o", "json", "--jq", ".[0] | keys")
	if r.code != 0 {
		t.Fatalf("history exit %d: %s", r.code, r.stderr)
	}
	golden(t, "fields_history", r.stdout)
}
