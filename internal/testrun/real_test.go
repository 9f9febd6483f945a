package testrun

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// requireTool returns the first of names on PATH. When none is, the test
// is skipped — or fails when PMC_REQUIRE_TOOLS=1 (CI, through
// scripts/with-tools.sh), where the first name is required.
func requireTool(t *testing.T, names ...string) string {
	t.Helper()
	if os.Getenv("PMC_REQUIRE_TOOLS") == "1" {
		if _, err := exec.LookPath(names[0]); err != nil {
			t.Fatalf("PMC_REQUIRE_TOOLS=1 but %s is not on PATH (run the tests through scripts/with-tools.sh)", names[0])
		}
		return names[0]
	}
	for _, n := range names {
		if _, err := exec.LookPath(n); err == nil {
			return n
		}
	}
	t.Skipf("%s not on PATH (set PMC_REQUIRE_TOOLS=1 to make this a failure)", strings.Join(names, " or "))
	return ""
}

// onlyTool makes LookPath find tool alone, so the runner uses the tool the
// test chose.
func onlyTool(tool string) func(string) (string, error) {
	return func(name string) (string, error) {
		if name != tool {
			return "", exec.ErrNotFound
		}
		return exec.LookPath(name)
	}
}

func runCheck(t *testing.T, r *Runner, name string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for _, c := range r.ExternalChecks() {
		if c.Name == name {
			return c.Run(ctx)
		}
	}
	t.Fatalf("no check %q", name)
	return Result{}
}

const (
	tfFormatted   = "locals {\n  greeting = \"hello\"\n}\n\noutput \"greeting\" {\n  value = local.greeting\n}\n"
	tfUnformatted = "locals {\n  greeting=\"hello\"\n    other = 1\n}\n"
	tftestPass    = "run \"greets\" {\n  command = plan\n\n  assert {\n    condition     = output.greeting == \"hello\"\n    error_message = \"wrong greeting\"\n  }\n}\n"
	tftestFail    = "run \"greets\" {\n  command = plan\n\n  assert {\n    condition     = output.greeting == \"bye\"\n    error_message = \"greeting is not bye\"\n  }\n}\n"
	tfBPG         = "terraform {\n  required_providers {\n    proxmox = {\n      source  = \"bpg/proxmox\"\n      version = \"0.111.1\"\n    }\n  }\n}\n"
)

func TestRealTofuFmt(t *testing.T) {
	tool := requireTool(t, "tofu", "terraform")
	t.Setenv("TF_CLI_CONFIG_FILE", os.DevNull)
	tests := []struct {
		name   string
		files  map[string]string
		want   Status
		detail string
	}{
		{"formatted", map[string]string{"terraform/main.tf": tfFormatted}, StatusPassed, ""},
		{"unformatted", map[string]string{"terraform/main.tf": tfFormatted, "terraform/bad.tf": tfUnformatted}, StatusFailed, "would: bad.tf"},
		{"unformatted nested", map[string]string{"terraform/main.tf": tfFormatted, "terraform/mod/x.tf": tfUnformatted}, StatusFailed, "mod/x.tf"},
		{"syntax error", map[string]string{"terraform/main.tf": "locals {\n"}, StatusFailed, "Error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Runner{Dir: workspaceDir(t, tt.files), LookPath: onlyTool(tool)}
			got := runCheck(t, r, CheckTofuFmt)
			if got.Status != tt.want || !strings.Contains(got.Detail, tt.detail) {
				t.Errorf("%s fmt: got %s %q, want %s containing %q", tool, got.Status, got.Detail, tt.want, tt.detail)
			}
		})
	}
}

func TestRealTofuTest(t *testing.T) {
	tool := requireTool(t, "tofu")
	t.Setenv("TF_CLI_CONFIG_FILE", os.DevNull)
	tests := []struct {
		name   string
		files  map[string]string
		want   Status
		detail string
	}{
		{"passes", map[string]string{"terraform/main.tf": tfFormatted, "tests/terraform/a.tftest.hcl": tftestPass}, StatusPassed, "1 passed, 0 failed"},
		{"fails", map[string]string{"terraform/main.tf": tfFormatted, "tests/terraform/a.tftest.hcl": tftestFail}, StatusFailed, "greeting is not bye"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Runner{Dir: workspaceDir(t, tt.files), LookPath: onlyTool(tool)}
			got := runCheck(t, r, CheckTofuTest)
			if got.Status != tt.want || !strings.Contains(got.Detail, tt.detail) {
				t.Errorf("%s test: got %s %q, want %s containing %q", tool, got.Status, got.Detail, tt.want, tt.detail)
			}
		})
	}
}

// TestRealTofuTestProviderOffline needs the registry to be out of reach
// (as on CI); where bpg/proxmox can be installed, it is skipped.
func TestRealTofuTestProviderOffline(t *testing.T) {
	tool := requireTool(t, "tofu")
	t.Setenv("TF_CLI_CONFIG_FILE", os.DevNull)
	t.Setenv("TF_PLUGIN_CACHE_DIR", "")
	r := &Runner{Dir: workspaceDir(t, map[string]string{
		"terraform/versions.tf": tfBPG, "tests/terraform/a.tftest.hcl": tftestPass,
	}), LookPath: onlyTool(tool), InitTimeout: 90 * time.Second}
	got := runCheck(t, r, CheckTofuTest)
	if got.Status != StatusSkipped {
		t.Skipf("bpg/proxmox could be installed here (%s %q): this test needs an offline registry", got.Status, got.Detail)
	}
	if !strings.HasPrefix(got.Detail, "provider bpg/proxmox not installed: ") || strings.Contains(got.Detail, "\n") {
		t.Errorf("detail = %q, want one line starting \"provider bpg/proxmox not installed: \"", got.Detail)
	}
}

const (
	inventoryOK = "all:\n  children:\n    pve1:\n      hosts:\n        web-01:\n          ansible_host: 192.0.2.10\n          vmid: 101\n"
	// A scalar is not an inventory: ansible-inventory warns and exits 0.
	inventoryBad = "just a string\n"
	playbookOK   = "- name: Ping\n  hosts: all\n  gather_facts: false\n  tasks:\n    - name: Ping\n      ansible.builtin.ping:\n"
	playbookBad  = "- name: Ping\n  hosts: all\n  tasks:\n    - name: Two actions\n      ansible.builtin.ping:\n      ansible.builtin.debug:\n        msg: hi\n"
)

func TestRealAnsible(t *testing.T) {
	tests := []struct {
		name      string
		check     string
		tool      string
		inventory string
		playbook  string
		want      Status
		detail    string
	}{
		{"inventory ok", CheckAnsibleInventory, "ansible-inventory", inventoryOK, playbookOK, StatusPassed, ""},
		{"inventory unparsable", CheckAnsibleInventory, "ansible-inventory", inventoryBad, playbookOK, StatusFailed, "inventory"},
		{"syntax ok", CheckAnsibleSyntax, "ansible-playbook", inventoryOK, playbookOK, StatusPassed, ""},
		{"syntax error", CheckAnsibleSyntax, "ansible-playbook", inventoryOK, playbookBad, StatusFailed, "ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requireTool(t, tt.tool)
			r := &Runner{Dir: workspaceDir(t, map[string]string{
				"ansible/inventory.yml": tt.inventory, "ansible/playbooks/site.yml": tt.playbook,
			})}
			got := runCheck(t, r, tt.check)
			if got.Status != tt.want || !strings.Contains(got.Detail, tt.detail) {
				t.Errorf("got %s %q, want %s containing %q", got.Status, got.Detail, tt.want, tt.detail)
			}
		})
	}
}
