package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
)

func TestStatus(t *testing.T) {
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
	r := run(t, env, "status", "--fingerprint", fp)
	for _, want := range []string{"reachable, PVE 9.1", "Last sync  never: run `proxmox-mpc sync`", "Guests     17:"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("status before any sync lacks %q:\n%s%s", want, r.stdout, r.stderr)
		}
	}
	if r := run(t, env, "sync", "--fingerprint", fp); r.code != 0 {
		t.Fatalf("sync: %s", r.stderr)
	}
	r = run(t, env, "status", "--fingerprint", fp)
	if !strings.Contains(r.stdout, "Changes    none on the server since the last sync") || !strings.Contains(r.stdout, "(sync 1): +17 new") {
		t.Errorf("status after sync:\n%s", r.stdout)
	}
	// start the stopped VM 109 behind our back
	c, err := pve.New(pve.Config{Endpoint: srv.URL, APIToken: pvesim.DefaultToken, Fingerprint: fp})
	if err != nil {
		t.Fatal(err)
	}
	upid, err := c.GuestAction(t.Context(), "pve1", pve.KindVM, 109, "start")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitTask(t.Context(), upid, pve.WaitOptions{Interval: time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	r = run(t, env, "status", "--fingerprint", fp)
	if !strings.Contains(r.stdout, "~ vm 109 dev-sandbox status: stopped → running") {
		t.Errorf("status does not show the start:\n%s", r.stdout)
	}
	r = run(t, env, "status", "--fingerprint", fp, "-o", "json", "--jq", ".changed_since_sync[0].kind")
	if strings.TrimSpace(r.stdout) != "status" {
		t.Errorf("status json: %q %s", r.stdout, r.stderr)
	}
	// server gone: still answers from the state, says so, exits 0
	srv.Close()
	r = run(t, env, "status", "--fingerprint", fp, "--timeout", "2s")
	if r.code != 0 || !strings.Contains(r.stdout, "unreachable") || !strings.Contains(r.stdout, "(as of the last sync)") {
		t.Errorf("status with the server down: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestContextCommands(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	dir := filepath.Join(home, "proxmox-mpc")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	fp := strings.Repeat("AB:", 31) + "CD"
	conf := "current-context: home\ncontexts:\n  - name: home\n    endpoint: https://home:8006\n    fingerprint: " + fp + "\n  - name: lab\n    endpoint: https://lab:8006\n"
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"XDG_CONFIG_HOME": home}
	r := run(t, env, "context", "list")
	if r.stdout != "*\thome\thttps://home:8006\tenvironment\n\tlab\thttps://lab:8006\tenvironment\n" {
		t.Errorf("context list:\n%q", r.stdout)
	}
	if r := run(t, env, "context", "use", "lab"); r.code != 0 {
		t.Fatalf("context use: %s", r.stderr)
	}
	if r := run(t, env, "context", "list", "-o", "json", "--jq", `.[] | select(.current) | .name`); strings.TrimSpace(r.stdout) != "lab" {
		t.Errorf("current after use: %q", r.stdout)
	}
	r = run(t, env, "context", "use", "hom")
	if r.code != 2 || !strings.Contains(r.stderr, "did you mean home?") {
		t.Errorf("context use hom: exit %d\n%s", r.code, r.stderr)
	}
}
