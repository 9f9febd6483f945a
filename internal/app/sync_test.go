package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
)

// TestSyncThenFromState is the state issue's "done when": sync against
// the simulator over HTTPS, then answer from the state without the server.
func TestSyncThenFromState(t *testing.T) {
	t.Parallel()
	sim, err := pvesim.New(pvesim.Options{TaskDuration: -1})
	if err != nil {
		t.Fatal(err)
	}
	srv := newTLSServer(t, sim)
	fp := pve.FormatFingerprint(srv.Certificate().Raw)
	dir := t.TempDir()
	statePath := filepath.Join(dir, ".proxmox-mpc", "state.db")
	env := map[string]string{
		"PROXMOX_VE_ENDPOINT": srv.URL, "PROXMOX_VE_API_TOKEN": pvesim.DefaultToken,
		"PMC_STATE_URL": statePath,
	}

	r := run(t, env, "sync", "--fingerprint", fp)
	if r.code != 0 {
		t.Fatalf("sync exit %d:\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "Synced: +17 new, ~0 changed, -0 removed in ") {
		t.Errorf("first sync summary:\n%s", r.stdout)
	}
	live := run(t, env, "get", "vms", "-o", "json", "--fingerprint", fp)

	// The server goes away; the state still answers.
	srv.Close()
	stored := run(t, env, "get", "vms", "-o", "json", "--from-state")
	if stored.code != 0 {
		t.Fatalf("get --from-state exit %d:\n%s", stored.code, stored.stderr)
	}
	var a, b []map[string]any
	if err := json.Unmarshal([]byte(live.stdout), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(stored.stdout), &b); err != nil {
		t.Fatal(err)
	}
	if len(a) != len(b) || len(a) == 0 {
		t.Fatalf("live has %d VMs, state %d", len(a), len(b))
	}
	for i := range a {
		for _, k := range []string{"vmid", "name", "node", "status", "tags", "pool", "template", "memory_bytes"} {
			if ja, jb := mustJSON(a[i][k]), mustJSON(b[i][k]); ja != jb {
				t.Errorf("vm %v field %s: live %s, state %s", a[i]["vmid"], k, ja, jb)
			}
		}
	}
	for _, args := range [][]string{
		{"get", "nodes", "--from-state"}, {"get", "containers", "--from-state"}, {"get", "storage", "--from-state"},
		{"get", "templates", "--from-state"}, {"describe", "vm", "web-01", "--from-state"}, {"describe", "node", "pve1", "--from-state"},
		{"history", "vm", "web-01"},
	} {
		if r := run(t, env, args...); r.code != 0 || r.stdout == "" {
			t.Errorf("%v: exit %d, stdout %q, stderr:\n%s", args, r.code, r.stdout, r.stderr)
		}
	}
	r = run(t, env, "get", "tasks", "--from-state")
	if r.code != 1 || !strings.Contains(r.stderr, "tasks are not kept in the state store") {
		t.Errorf("get tasks --from-state: exit %d\n%s", r.code, r.stderr)
	}
}

func TestSyncChangesAndHistory(t *testing.T) {
	t.Parallel()
	sim, err := pvesim.New(pvesim.Options{TaskDuration: -1})
	if err != nil {
		t.Fatal(err)
	}
	srv := newTLSServer(t, sim)
	fp := pve.FormatFingerprint(srv.Certificate().Raw)
	env := map[string]string{
		"PROXMOX_VE_ENDPOINT": srv.URL, "PROXMOX_VE_API_TOKEN": pvesim.DefaultToken,
		"PMC_STATE_URL": filepath.Join(t.TempDir(), "state.db"),
	}
	if r := run(t, env, "sync", "--fingerprint", fp); r.code != 0 {
		t.Fatalf("sync: %s", r.stderr)
	}
	// change the cluster behind our back: cores 2 → 4, migrate web-02, delete a container
	c, err := pve.New(pve.Config{Endpoint: srv.URL, APIToken: pvesim.DefaultToken, Fingerprint: fp})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, err := c.UpdateConfig(ctx, "pve1", pve.KindVM, 101, map[string][]string{"cores": {"4"}}, false); err != nil {
		t.Fatal(err)
	}
	upid, err := c.Migrate(ctx, "pve2", pve.KindVM, 102, map[string][]string{"target": {"pve3"}, "online": {"1"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitTask(ctx, upid, pve.WaitOptions{Interval: time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	upid, err = c.DeleteGuest(ctx, "pve1", pve.KindCT, 203, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitTask(ctx, upid, pve.WaitOptions{Interval: time.Millisecond}); err != nil {
		t.Fatal(err)
	}

	dry := run(t, env, "sync", "--dry-run", "--fingerprint", fp)
	for _, want := range []string{"~ web-01 config.cores: 2 → 4", "~ web-02 node: pve2 → pve3", "- alpine-test (guest/203)", "Dry run: +0 new, ~2 changed, -1 removed"} {
		if !strings.Contains(dry.stdout, want) {
			t.Errorf("dry run lacks %q:\n%s", want, dry.stdout)
		}
	}
	if r := run(t, env, "history", "vm", "web-01"); strings.Contains(r.stdout, "config.cores") {
		t.Errorf("dry run wrote history:\n%s", r.stdout)
	}
	if r := run(t, env, "sync", "--fingerprint", fp); !strings.Contains(r.stdout, "+0 new, ~2 changed, -1 removed") {
		t.Errorf("second sync:\n%s%s", r.stdout, r.stderr)
	}
	r := run(t, env, "history", "vm", "web-01")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "\tcreated\t") || !strings.HasSuffix(lines[1], "\tchanged\tconfig.cores\t2\t4") {
		t.Errorf("history vm web-01:\n%s", r.stdout)
	}
	if r := run(t, env, "history", "vm", "web-02"); !strings.Contains(r.stdout, "\tchanged\tnode\tpve2\tpve3") || strings.Contains(r.stdout, "removed") {
		t.Errorf("a migration must be one change, not a removal and a creation:\n%s", r.stdout)
	}
	if r := run(t, env, "history", "ct", "alpine-test"); !strings.Contains(r.stdout, "\tremoved\t") {
		t.Errorf("history of the deleted container:\n%s%s", r.stdout, r.stderr)
	}
	if r := run(t, env, "sync", "-o", "json", "--jq", ".changes | length", "--fingerprint", fp); strings.TrimSpace(r.stdout) != "0" {
		t.Errorf("a sync with nothing changed recorded changes: %s%s", r.stdout, r.stderr)
	}
}

func TestStateErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, []byte("this is not a database, but it is somebody's file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		contains []string
	}{
		{"no state yet", map[string]string{"PMC_STATE_URL": filepath.Join(dir, "none.db")}, []string{"get", "vms", "--from-state"}, []string{"no sync recorded in", "proxmox-mpc sync"}},
		{"not a database", map[string]string{"PMC_STATE_URL": garbage}, []string{"get", "vms", "--from-state"}, []string{garbage, "Hint:"}},
		{"bad url", map[string]string{"PMC_STATE_URL": "mysql://u:pw@h/db"}, []string{"get", "vms", "--from-state"}, []string{"unsupported --state-url", "postgres://"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := run(t, tt.env, tt.args...)
			if r.code == 0 {
				t.Fatalf("exit 0, want an error")
			}
			for _, c := range tt.contains {
				if !strings.Contains(r.stderr, c) {
					t.Errorf("stderr lacks %q:\n%s", c, r.stderr)
				}
			}
			if strings.Contains(r.stderr, "pw@") {
				t.Errorf("password shown:\n%s", r.stderr)
			}
		})
	}
	got, err := os.ReadFile(garbage)
	if err != nil || string(got) != "this is not a database, but it is somebody's file\n" {
		t.Errorf("the damaged file was changed: %q, %v", got, err)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
