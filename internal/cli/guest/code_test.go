package guest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/proxmox-mpc/proxmox-mpc/internal/codegen"
	"github.com/proxmox-mpc/proxmox-mpc/internal/lifecycle/lifecycletest"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

const webTF = `# VM 101 on node pve1
import {
  to = proxmox_virtual_environment_vm.web_01
  id = "pve1/101"
}

resource "proxmox_virtual_environment_vm" "web_01" {
  node_name = "pve1"
  name      = "web-01" # the front end
  cpu {
    cores = 2
  }
}
`

const dnsTF = `resource "proxmox_virtual_environment_container" "pihole" {
  node_name = "pve1"
  tags      = ["dns", "protected"]
  initialization {
    hostname = "pihole"
  }
  lifecycle {
    ignore_changes = [timeout_clone, timeout_create, timeout_delete, timeout_start, timeout_update]
  }
}
`

// codeEnv is a guest env inside a workspace with two guests in code.
func codeEnv(t *testing.T) (*env, string) {
	t.Helper()
	e := newEnv(t, lifecycletest.Options{})
	root := t.TempDir()
	ws := &workspace.Workspace{Root: root}
	for name, src := range map[string]string{"terraform/web_01.tf": webTF, "terraform/pihole.tf": dnsTF} {
		if err := ws.WriteFile(name, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e.f.CodeEditor = func(context.Context) (*codegen.Editor, error) { return &codegen.Editor{Workspace: ws}, nil }
	return e, root
}

func TestSetInCode(t *testing.T) {
	t.Parallel()
	e, root := codeEnv(t)
	before, _ := e.guest(t, "vm", 101)
	if err := e.run(t, NewCmdSet(e.f, e.lc, nil), "vm", "web-01", "--cores", "4", "--memory", "8G", "--tags", "web,prod"); err != nil {
		t.Fatalf("set: %v\n%s", err, e.errOut)
	}
	data, _ := os.ReadFile(filepath.Join(root, "terraform", "web_01.tf"))
	for _, want := range []string{"cores = 4", "dedicated = 8192", `["web", "prod"]`, "# the front end", `id = "pve1/101"`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("code lacks %q:\n%s", want, data)
		}
	}
	for _, want := range []string{"-    cores = 2", "+    cores = 4", "+++ b/terraform/web_01.tf"} {
		if !strings.Contains(e.out.String(), want) {
			t.Errorf("diff lacks %q:\n%s", want, e.out)
		}
	}
	if !strings.Contains(e.errOut.String(), "server is not changed yet") {
		t.Errorf("stderr %q does not say the server is unchanged", e.errOut)
	}
	after, _ := e.guest(t, "vm", 101)
	if after.CPUs != before.CPUs || len(e.ops(t)) != 0 {
		t.Errorf("set inside a workspace touched the server: cpus %v → %v, journal %v", before.CPUs, after.CPUs, e.ops(t))
	}
}

func TestSetInCodeLiveAndMissing(t *testing.T) {
	t.Parallel()
	e, _ := codeEnv(t)
	if err := e.run(t, NewCmdSet(e.f, e.lc, nil), "vm", "dev-sandbox", "--cores", "4"); err == nil || !strings.Contains(err.Error(), "not in this workspace's code") {
		t.Errorf("a guest without code: %v", err)
	}
	if err := e.run(t, NewCmdSet(e.f, e.lc, nil), "vm", "dev-sandbox", "--cores", "4", "--live"); err != nil {
		t.Fatalf("--live: %v\n%s", err, e.errOut)
	}
	if g, _ := e.guest(t, "vm", 109); g.CPUs != 4 {
		t.Errorf("--live did not change the server: cpus %v", g.CPUs)
	}
}

func TestDeleteInCode(t *testing.T) {
	t.Parallel()
	e, root := codeEnv(t)
	if err := e.run(t, NewCmdDelete(e.f, e.lc, nil), "ct", "pihole"); err == nil || !strings.Contains(err.Error(), "protected") {
		t.Errorf("protected guest: %v", err)
	}
	if err := e.run(t, NewCmdDelete(e.f, e.lc, nil), "vm", "-l", "tag=web"); err == nil {
		t.Error("a selector was accepted inside a workspace")
	}
	if err := e.run(t, NewCmdDelete(e.f, e.lc, nil), "vm", "web-01", "--dry-run"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "terraform", "web_01.tf")); err != nil {
		t.Fatalf("--dry-run removed the file: %v", err)
	}
	if err := e.run(t, NewCmdDelete(e.f, e.lc, nil), "vm", "web-01"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "terraform", "web_01.tf")); !os.IsNotExist(err) {
		t.Errorf("the file of the only resource is still there: %v", err)
	}
	if _, ok := e.guest(t, "vm", 101); !ok {
		t.Error("delete inside a workspace deleted the guest on the server")
	}
	if err := e.run(t, NewCmdDelete(e.f, e.lc, nil), "ct", "pihole", "--force"); err != nil {
		t.Fatal(err)
	}
}
