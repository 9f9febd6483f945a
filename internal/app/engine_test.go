package app

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

// TestPlanApplyDestroy walks the plan/apply issue's "done when" against
// the simulator: sync → "No changes." → create vm (code) → plan → apply →
// set the cores of a running VM → the plan says it needs a reboot →
// apply → destroy the new VM — every step in the journal.
func TestPlanApplyDestroy(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	bin := buildBinary(t)
	srv, fp := simTLS(t, pvesim.Options{TaskDuration: 20 * time.Millisecond})

	dir, home := t.TempDir(), t.TempDir()
	// tofu may be on PATH (CI): keep `--engine auto` off the network.
	mirror, rc := t.TempDir(), filepath.Join(t.TempDir(), "cli.tfrc")
	if err := os.WriteFile(rc, fmt.Appendf(nil, "provider_installation {\n  filesystem_mirror {\n    path = %q\n  }\n}\n", mirror), 0o600); err != nil {
		t.Fatal(err)
	}
	pmc := func(wantCode int, args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		cmd.Env = []string{"HOME=" + home, "NO_COLOR=1", "PROXMOX_VE_API_TOKEN=" + pvesim.DefaultToken, "PATH=" + os.Getenv("PATH"),
			"TF_CLI_CONFIG_FILE=" + rc, "CHECKPOINT_DISABLE=1"}
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != wantCode {
			t.Fatalf("proxmox-mpc %s: exit %d, want %d\n%s", strings.Join(args, " "), code, wantCode, out)
		}
		return string(out)
	}
	pmc(0, "init", "--endpoint", srv.URL, "--fingerprint", fp, "--yes")
	pmc(0, "sync")
	if out := pmc(0, "plan", "--detailed-exitcode"); !strings.Contains(out, "No changes.") {
		t.Fatalf("plan right after sync:\n%s", out)
	}

	out := pmc(0, "create", "vm", "--name", "web-77", "--cores", "2", "--memory", "2G", "--disk", "8G")
	if !strings.Contains(out, "+++ b/terraform/web_77.tf") {
		t.Fatalf("create in a workspace did not write code:\n%s", out)
	}
	if out := pmc(2, "plan", "--detailed-exitcode"); !strings.Contains(out, "Plan: 1 to add, 0 to change, 0 to destroy.") {
		t.Fatalf("plan after create:\n%s", out)
	}
	if out := pmc(0, "apply", "--yes"); !strings.Contains(out, "Apply complete") {
		t.Fatalf("apply:\n%s", out)
	}
	if out := pmc(0, "plan"); !strings.Contains(out, "No changes.") {
		t.Fatalf("plan after apply:\n%s", out)
	}

	pmc(0, "set", "vm", "web-01", "--cores", "4")
	out = pmc(2, "plan", "--detailed-exitcode")
	if !strings.Contains(out, "needs reboot") || !strings.Contains(out, "cores = 2 -> 4") {
		t.Fatalf("plan after set on a running VM:\n%s", out)
	}
	pmc(0, "apply", "--yes")

	if out := pmc(0, "destroy", "web-77", "--yes"); !strings.Contains(out, "1 to destroy") {
		t.Fatalf("destroy:\n%s", out)
	}
	if _, err := os.Stat(dir + "/terraform/web_77.tf"); !os.IsNotExist(err) {
		t.Errorf("the destroyed guest's code is still there: %v", err)
	}
	journal := pmc(0, "journal", "--limit", "20")
	for _, want := range []string{"apply-create", "apply-update", "apply-delete"} {
		if !strings.Contains(journal, want) {
			t.Errorf("journal lacks %s:\n%s", want, journal)
		}
	}
}

// TestCodeWorkspace: code goes only into initialised workspaces, not into
// the bare .proxmox-mpc a sync outside a workspace leaves behind.
func TestCodeWorkspace(t *testing.T) {
	t.Parallel()
	bare := t.TempDir()
	if err := os.MkdirAll(filepath.Join(bare, ".proxmox-mpc"), 0o700); err != nil {
		t.Fatal(err)
	}
	var nf *workspace.NotFoundError
	if _, err := codeWorkspace(bare); !errors.As(err, &nf) {
		t.Errorf("bare .proxmox-mpc: err = %v, want *workspace.NotFoundError", err)
	}
	dir := t.TempDir()
	if _, err := workspace.Init(dir, workspace.Config{Name: "lab", Endpoint: "https://pve1:8006"}, workspace.InitOptions{}); err != nil {
		t.Fatal(err)
	}
	if ws, err := codeWorkspace(filepath.Join(dir, "terraform")); err != nil || !ws.Initialized {
		t.Errorf("initialised workspace: %+v, %v", ws, err)
	}
}
