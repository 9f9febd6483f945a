package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/discovery"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac/terraform"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// fixtureInventory is a one-node cluster: 4 CPUs, 8 GiB, local-lvm with
// 10 GiB free, bridge vmbr0, a container template, an ISO, a VM template
// 9000 and a protected container 300.
func fixtureInventory() *state.Inventory {
	return &state.Inventory{
		Nodes: []state.Node{{Name: "pve1", Status: "online", CPUs: 4, MemoryBytes: 8 << 30}},
		Storages: []state.Storage{
			{Node: "pve1", Name: "local-lvm", Type: "lvmthin", TotalBytes: 100 << 30, UsedBytes: 90 << 30},
			{Node: "pve1", Name: "local", Type: "dir", TotalBytes: 50 << 30, UsedBytes: 10 << 30},
		},
		Networks: []state.Network{{Node: "pve1", Name: "vmbr0", Type: "bridge"}, {Node: "pve1", Name: "eno1", Type: "eth"}},
		Volumes: []state.Volume{
			{Node: "pve1", Storage: "local", Volid: "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst", Content: "vztmpl"},
			{Node: "pve1", Storage: "local", Volid: "local:iso/debian-12.iso", Content: "iso"},
		},
		Guests: []state.Guest{
			{VMID: 9000, Type: "vm", Node: "pve1", Name: "tpl", Template: true, Config: map[string]string{"name": "tpl", "template": "1"}},
			{VMID: 300, Type: "ct", Node: "pve1", Name: "vault", Tags: []string{"protected"}, Status: "running", Config: map[string]string{
				"hostname": "vault", "tags": "protected", "memory": "512", "rootfs": "local-lvm:vm-300-disk-0,size=4G", "ostype": "debian"}},
		},
	}
}

// vm is a VM resource; opts are extra lines inside its block.
func vm(name string, vmid int, opts ...string) string {
	return fmt.Sprintf(`resource "proxmox_virtual_environment_vm" %q {
  node_name = "pve1"
  vm_id     = %d
  name      = %q
%s}
`, name, vmid, name, strings.Join(opts, ""))
}

const (
	smallVM = "  cpu {\n    cores = 2\n  }\n  memory {\n    dedicated = 1024\n  }\n"
	diskVM  = "  disk {\n    interface    = \"scsi0\"\n    datastore_id = \"local-lvm\"\n    size         = 8\n  }\n"
	nicVM   = "  network_device {\n    bridge = \"vmbr0\"\n  }\n"
)

type wantIssue struct {
	Sev   Severity
	Check string
	File  string
	Line  int
}

func issuesOf(rep Report) []wantIssue {
	out := []wantIssue{}
	for _, is := range rep.Issues {
		out = append(out, wantIssue{is.Severity, is.Check, is.File, is.Line})
	}
	return out
}

func TestValidate(t *testing.T) {
	t.Parallel()
	managed := func(id int) bool { return id == 300 }
	tests := []struct {
		name     string
		tf       map[string]string
		scan     map[string]string
		noState  bool
		insecure bool
		opts     ValidateOptions
		want     []wantIssue
	}{
		{name: "clean", tf: map[string]string{"terraform/web.tf": vm("web", 100, smallVM, diskVM, nicVM)}, want: []wantIssue{}},
		{name: "syntax error", tf: map[string]string{"terraform/web.tf": "resource \"proxmox_virtual_environment_vm\" \"web\" {\n  name = \n}\n"},
			want: []wantIssue{{SevError, CheckCode, "terraform/web.tf", 2}, {SevWarning, CheckState, "", 0}}},
		{name: "not a literal", tf: map[string]string{"terraform/web.tf": vm("web", 100, "  description = var.d\n")},
			want: []wantIssue{{SevError, CheckCode, "terraform/web.tf", 5}, {SevWarning, CheckState, "", 0}}},
		{name: "unknown attribute", tf: map[string]string{"terraform/web.tf": vm("web", 100, "  colour = \"red\"\n")},
			want: []wantIssue{{SevError, CheckSchema, "terraform/web.tf", 5}, {SevWarning, CheckCode, "terraform/web.tf", 5}}},
		{name: "duplicate vmid and name", tf: map[string]string{"terraform/a.tf": vm("a", 100), "terraform/b.tf": vm("b", 100) + strings.Replace(vm("c", 101), `name      = "c"`, `name      = "a"`, 1)},
			want: []wantIssue{{SevError, CheckDuplicate, "terraform/a.tf", 3}, {SevWarning, CheckDuplicate, "terraform/a.tf", 4}, {SevError, CheckDuplicate, "terraform/b.tf", 3}, {SevWarning, CheckDuplicate, "terraform/b.tf", 9}}},
		{name: "node missing", tf: map[string]string{"terraform/web.tf": strings.Replace(vm("web", 100), "pve1", "pve9", 1)},
			want: []wantIssue{{SevError, CheckNode, "terraform/web.tf", 2}}},
		{name: "bridge missing", tf: map[string]string{"terraform/web.tf": vm("web", 100, nicVM, "  network_device {\n    bridge = \"vmbr9\"\n  }\n")},
			want: []wantIssue{{SevError, CheckBridge, "terraform/web.tf", 9}}},
		{name: "storage missing", tf: map[string]string{"terraform/web.tf": vm("web", 100, strings.Replace(diskVM, "local-lvm", "ceph", 1))},
			want: []wantIssue{{SevError, CheckStorage, "terraform/web.tf", 7}}},
		{name: "storage too small", tf: map[string]string{"terraform/web.tf": vm("web", 100, strings.Replace(diskVM, "= 8", "= 32", 1))},
			want: []wantIssue{{SevError, CheckStorage, "terraform/web.tf", 7}}},
		{name: "memory overcommit", tf: map[string]string{"terraform/a.tf": vm("a", 100, "  memory {\n    dedicated = 6144\n  }\n"), "terraform/b.tf": vm("b", 101, "  memory {\n    dedicated = 4096\n  }\n")},
			want: []wantIssue{{SevError, CheckCapacity, "terraform/b.tf", 6}}},
		{name: "memory overcommit allowed", opts: ValidateOptions{MemoryOvercommit: 1.5}, tf: map[string]string{"terraform/a.tf": vm("a", 100, "  memory {\n    dedicated = 6144\n  }\n"), "terraform/b.tf": vm("b", 101, "  memory {\n    dedicated = 4096\n  }\n")},
			want: []wantIssue{}},
		{name: "cpu overcommit", tf: map[string]string{"terraform/a.tf": vm("a", 100, "  cpu {\n    cores = 17\n  }\n")},
			want: []wantIssue{{SevError, CheckCapacity, "terraform/a.tf", 6}}},
		{name: "iso missing", tf: map[string]string{"terraform/a.tf": vm("a", 100, "  cdrom {\n    file_id = \"local:iso/gone.iso\"\n  }\n"), "terraform/b.tf": vm("b", 101, "  cdrom {\n    file_id = \"local:iso/debian-12.iso\"\n  }\n")},
			want: []wantIssue{{SevError, CheckTemplate, "terraform/a.tf", 6}}},
		{name: "ct template missing", tf: map[string]string{"terraform/ct.tf": `resource "proxmox_virtual_environment_container" "ct" {
  node_name = "pve1"
  initialization {
    hostname = "ct"
  }
  operating_system {
    template_file_id = "local:vztmpl/alpine.tar.xz"
  }
}
`}, want: []wantIssue{{SevError, CheckTemplate, "terraform/ct.tf", 7}}},
		{name: "protected guest deleted", noState: false, tf: map[string]string{"terraform/web.tf": vm("web", 100)},
			want: []wantIssue{{SevError, CheckProtected, "", 0}}},
		{name: "no state", noState: true, tf: map[string]string{"terraform/web.tf": vm("web", 100)},
			want: []wantIssue{{SevWarning, CheckState, "", 0}}},
		{name: "secrets", tf: map[string]string{"terraform/web.tf": vm("web", 100)}, scan: map[string]string{
			"terraform/providers.tf":     "provider \"proxmox\" {\n  api_token = \"root@pam!ci=0b0e2c1a-1111-2222-3333-444455556666\"\n}\n",
			"terraform/users.tf":         "  password = \"hunter2\"\n  password = var.pw\n  # password = \"old\"\n",
			"terraform/ci.tf":            "  cipassword = \"s3cret\"\n",
			"ansible/group_vars/all.yml": "ansible_password: hunter2\nansible_become_password: !vault |\n  $ANSIBLE_VAULT;1.1\nother_password: \"{{ lookup('env', 'X') }}\"\nhdr: \"Authorization: PVEAPIToken=x\"\n",
		}, want: []wantIssue{{SevError, CheckSecret, "ansible/group_vars/all.yml", 1}, {SevError, CheckSecret, "ansible/group_vars/all.yml", 5},
			{SevError, CheckSecret, "terraform/ci.tf", 1}, {SevError, CheckSecret, "terraform/providers.tf", 2}, {SevError, CheckSecret, "terraform/users.tf", 1}}},
		{name: "insecure", insecure: true, tf: map[string]string{"terraform/web.tf": vm("web", 100)},
			want: []wantIssue{{SevWarning, CheckTLS, ".proxmox-mpc/config.yaml", 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := ValidateInputs{Terraform: bytesMap(tt.tf), Scan: bytesMap(tt.scan), Managed: managed,
				ConfigFile: ".proxmox-mpc/config.yaml", Config: []byte("name: lab\nendpoint: https://pve1:8006\ninsecure: true\n"), Insecure: tt.insecure}
			if !tt.noState {
				in.Inventory = fixtureInventory()
			}
			if tt.name != "protected guest deleted" {
				in.Managed = nil
			}
			rep := Validate(in, tt.opts)
			if d := cmp.Diff(tt.want, issuesOf(rep)); d != "" {
				t.Errorf("issues (-want +got):\n%s\nall: %+v", d, rep.Issues)
			}
			for _, is := range rep.Issues {
				if strings.Contains(is.Message, "hunter2") || strings.Contains(is.Message, "0b0e2c1a") {
					t.Errorf("issue echoes a secret: %s", is.Message)
				}
			}
		})
	}
}

func bytesMap(m map[string]string) map[string][]byte {
	out := make(map[string][]byte, len(m))
	for k, v := range m {
		out[k] = []byte(v)
	}
	return out
}

func TestValidate_protectedReplace(t *testing.T) {
	t.Parallel()
	inv := fixtureInventory()
	_, files := syncedFiles(t, inv.Guests[1:]) // the protected container
	for name, src := range files {
		// Moving the root disk to another datastore replaces a container.
		files[name] = bytes.Replace(src, []byte(`datastore_id = "local-lvm"`), []byte(`datastore_id = "local"`), 1)
	}
	rep := Validate(ValidateInputs{Terraform: files, Inventory: inv, Managed: func(int) bool { return true }}, ValidateOptions{})
	var got []string
	for _, is := range rep.Issues {
		if is.Check == CheckProtected {
			got = append(got, fmt.Sprintf("%s:%d %s", is.File, is.Line, is.Message))
		}
	}
	want := []string{`terraform/ct-vault.tf:0 container "vault" (300) is tagged protected, and the plan replaces it (destroys and creates it again)`}
	if len(got) != 1 || !strings.HasPrefix(got[0], "terraform/") || !strings.HasSuffix(got[0], strings.SplitN(want[0], " ", 2)[1]) {
		t.Errorf("protected issues = %q, want one like %q; all: %+v", got, want, rep.Issues)
	}
}

// TestValidate_golden renders a report with findings of every kind, plain,
// coloured and as JSON.
func TestValidate_golden(t *testing.T) {
	t.Parallel()
	in := ValidateInputs{
		Terraform: bytesMap(map[string]string{
			"terraform/web.tf": vm("web", 100, nicVM, "  network_device {\n    bridge = \"vmbr9\"\n  }\n"),
			"terraform/db.tf":  vm("db", 100, "  memory {\n    dedicated = 16384\n  }\n"),
		}),
		Inventory: fixtureInventory(), Managed: func(id int) bool { return id == 300 },
		Scan:       bytesMap(map[string]string{"ansible/inventory.yml": "ansible_password: hunter2\n"}),
		ConfigFile: ".proxmox-mpc/config.yaml", Config: []byte("insecure: true\n"), Insecure: true,
	}
	rep := Validate(in, ValidateOptions{})
	for _, c := range []struct {
		name  string
		color bool
	}{{"TestValidate_plain", false}, {"TestValidate_color", true}} {
		var b bytes.Buffer
		if err := RenderValidation(&b, rep, c.color); err != nil {
			t.Fatal(err)
		}
		golden(t, c.name, b.Bytes())
	}
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "TestValidate_json", append(js, '\n'))
	if got := ValidationSummary(rep); got != "6 errors, 1 warning" {
		t.Errorf("summary = %q", got)
	}
}

// TestValidate_scenario: right after a sync, the generated code of the
// simulator's homelab validates without errors against its inventory.
func TestValidate_scenario(t *testing.T) {
	t.Parallel()
	inv := scenarioInventory(t, "homelab")
	_, files := syncedFiles(t, inv.Guests)
	rep := Validate(ValidateInputs{Terraform: files, Scan: files, Inventory: inv}, ValidateOptions{})
	if rep.Errors != 0 {
		t.Errorf("%d errors after a sync:\n%+v", rep.Errors, rep.Issues)
	}
	if rep.Guests != len(inv.Guests) {
		t.Errorf("guests = %d, want %d", rep.Guests, len(inv.Guests))
	}
}

func scenarioInventory(tb testing.TB, scenario string) *state.Inventory {
	tb.Helper()
	sim, err := pvesim.New(pvesim.Options{Scenario: scenario, TaskDuration: -1})
	if err != nil {
		tb.Fatal(err)
	}
	client, err := pve.New(pve.Config{Endpoint: "https://sim.invalid:8006", APIToken: pvesim.DefaultToken, Transport: sim.RoundTripper()})
	if err != nil {
		tb.Fatal(err)
	}
	inv, _, err := discovery.Discover(context.Background(), client, discovery.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return &inv
}

// syncedFiles is the code sync generates for guests, keyed as
// workspace.ReadDir keys it, and read back.
func syncedFiles(tb testing.TB, guests []state.Guest) (*terraform.Code, map[string][]byte) {
	tb.Helper()
	models := make([]iac.Guest, len(guests))
	for i, g := range guests {
		models[i] = iac.FromState(g)
	}
	gen, err := terraform.Generate(models, terraform.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range gen {
		files["terraform/"+f.Path] = f.Content
	}
	code, err := terraform.Read(files)
	if err != nil {
		tb.Fatal(err)
	}
	return code, files
}

func FuzzValidate(f *testing.F) {
	f.Add([]byte(vm("web", 100, smallVM, diskVM, nicVM)), []byte("password = \"x\"\n"))
	f.Add([]byte("resource \"proxmox_virtual_environment_vm\" \"a\" {\n"), []byte("ansible_password: !vault |\nroot@pam!ci=0123456789\n"))
	f.Fuzz(func(t *testing.T, tf, scan []byte) {
		rep := Validate(ValidateInputs{Terraform: map[string][]byte{"terraform/a.tf": tf}, Scan: map[string][]byte{"ansible/x.yml": scan},
			Inventory: fixtureInventory()}, ValidateOptions{})
		if rep.Errors+rep.Warnings != len(rep.Issues) {
			t.Fatalf("counts %d+%d != %d issues", rep.Errors, rep.Warnings, len(rep.Issues))
		}
	})
}

func FuzzParseGiB(f *testing.F) {
	for _, s := range []string{"16G", "512M", "1T", "8", "", "x", "-1G", "1e400G"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if g := parseGiB(s); g < 0 {
			t.Fatalf("parseGiB(%q) = %v", s, g)
		}
	})
}
