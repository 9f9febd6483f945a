package app

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/proxmox-mpc/proxmox-mpc/internal/iac/terraform"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
)

// requireTool finds a tool on PATH; missing, the test is skipped unless
// PMC_REQUIRE_TOOLS=1 (the project's test command installs the tools).
func requireTool(t *testing.T, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if os.Getenv("PMC_REQUIRE_TOOLS") == "1" {
		t.Fatalf("%s not on PATH, and PMC_REQUIRE_TOOLS=1", strings.Join(names, " or "))
	}
	t.Skipf("%s not installed (scripts/with-tools.sh installs it)", strings.Join(names, " or "))
	return ""
}

// TestWorkspaceCode is the IaC issue's "done when": init against the
// homelab simulator, sync, and get terraform/, ansible/ and tests/ that
// read back, pass the provider-schema check, tofu fmt and ansible-inventory,
// and stay byte-identical on a second sync.
func TestWorkspaceCode(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	bin := buildBinary(t)
	srv, fp := simTLS(t, pvesim.Options{TaskDuration: -1})

	dir, home := t.TempDir(), t.TempDir()
	pmc := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		cmd.Env = []string{"HOME=" + home, "NO_COLOR=1", "PROXMOX_VE_API_TOKEN=" + pvesim.DefaultToken, "PATH=" + os.Getenv("PATH")}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("proxmox-mpc %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	pmc("init", "--endpoint", srv.URL, "--fingerprint", fp, "--yes")
	out := pmc("sync")
	if !strings.Contains(out, "Code: 27 files: 27 created") {
		t.Fatalf("first sync:\n%s", out)
	}

	files := readTree(t, filepath.Join(dir, "terraform"), ".tf")
	code, err := terraform.Read(files)
	if err != nil {
		t.Fatalf("the generated code does not read back: %v", err)
	}
	if len(code.Guests) != 17 || len(code.Imports) != 17 {
		t.Errorf("read back %d guests and %d import blocks, want 17 each", len(code.Guests), len(code.Imports))
	}
	if errs := terraform.CheckSchema(files); len(errs) > 0 {
		t.Errorf("provider schema check: %v", errs)
	}
	for _, p := range []string{"ansible/inventory.yml", "ansible/group_vars/all.yml", "ansible/playbooks/site.yml", "tests/ansible/run.sh", "tests/terraform/pve1.tftest.hcl"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}

	// Nothing changed: the second sync writes nothing.
	before := readTree(t, dir, "")
	if out := pmc("sync"); !strings.Contains(out, "Code: 27 files: 27 unchanged") {
		t.Errorf("second sync:\n%s", out)
	}
	if after := readTree(t, dir, ""); !mapsEqual(before, after) {
		t.Error("a second sync with nothing changed rewrote files")
	}

	t.Run("tofu fmt", func(t *testing.T) {
		tofu := requireTool(t, "tofu", "terraform")
		cmd := exec.Command(tofu, "fmt", "-check", "-diff", "-recursive", ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE=/dev/null")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("tofu fmt -check: %v\n%s", err, out)
		}
	})
	t.Run("ansible-inventory", func(t *testing.T) {
		ai := requireTool(t, "ansible-inventory")
		cmd := exec.Command(ai, "-i", "ansible/inventory.yml", "--list")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "ANSIBLE_LOCAL_TEMP="+t.TempDir(), "HOME="+home)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("ansible-inventory: %v\n%s", err, out)
		}
		static := hostsOf(t, out)
		dynamic := hostsOf(t, []byte(pmc("inventory", "--list")))
		if len(static) != 17 || !slices.Equal(static, dynamic) {
			t.Errorf("hosts: ansible-inventory on inventory.yml %v, `proxmox-mpc inventory --list` %v", static, dynamic)
		}
	})
}

// hostsOf lists the hosts of ansible-inventory --list JSON.
func hostsOf(t *testing.T, out []byte) []string {
	t.Helper()
	var inv struct {
		Meta struct {
			HostVars map[string]json.RawMessage `json:"hostvars"`
		} `json:"_meta"`
	}
	if err := json.Unmarshal(out, &inv); err != nil {
		t.Fatalf("inventory JSON: %v\n%s", err, out)
	}
	hosts := make([]string, 0, len(inv.Meta.HostVars))
	for h := range inv.Meta.HostVars {
		hosts = append(hosts, h)
	}
	slices.Sort(hosts)
	return hosts
}

// readTree reads the files under root ending in ext (all when ""),
// skipping .proxmox-mpc, keyed by path relative to root.
func readTree(t *testing.T, root, ext string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".proxmox-mpc" {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ext) {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		out[rel] = data
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mapsEqual(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if string(b[k]) != string(v) {
			return false
		}
	}
	return true
}
