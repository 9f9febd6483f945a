package terraform

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/proxmox-mpc/proxmox-mpc/internal/iac"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
)

// TestGenerateHomelabGolden pins the whole output for homelab.
func TestGenerateHomelabGolden(t *testing.T) {
	t.Parallel()
	files, err := Generate(guestsOf(t, pvesim.ScenarioHomelab, 0), Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("testdata", "golden")
	if *update {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(dir, 0o750); err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if err := os.WriteFile(filepath.Join(dir, f.Path), f.Content, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if len(entries) != len(files) {
		t.Errorf("%d golden files, %d generated (run with -update)", len(entries), len(files))
	}
	for _, f := range files {
		want, err := os.ReadFile(filepath.Join(dir, f.Path))
		if err != nil {
			t.Errorf("%v (run with -update)", err)
			continue
		}
		if !bytes.Equal(want, f.Content) {
			t.Errorf("%s differs from the golden file (run with -update and review):\n%s", f.Path, f.Content)
		}
	}
}

// TestGenerateProperties: formatted as tofu fmt would, deterministic, no
// secrets or endpoints, only the two resource types, every file passes the
// schema check — for homelab, large and the §7 examples.
func TestGenerateProperties(t *testing.T) {
	t.Parallel()
	sets := map[string][]iac.Guest{
		"homelab": guestsOf(t, pvesim.ScenarioHomelab, 0),
		"large":   guestsOf(t, pvesim.ScenarioLarge, 1000),
	}
	var adoption []iac.Guest
	for _, id := range []string{"vm100", "vm101", "vm102", "ct200", "ct201"} {
		adoption = append(adoption, iac.FromState(loadGuest(t, filepath.Join("testdata", "adoption", id+".json"))))
	}
	sets["adoption"] = adoption
	for name, guests := range sets {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			files, err := Generate(guests, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(files) != len(guests)+3 {
				t.Errorf("%d files for %d guests", len(files), len(guests))
			}
			// Reversed input gives the same bytes.
			rev := make([]iac.Guest, len(guests))
			for i, g := range guests {
				rev[len(guests)-1-i] = g
			}
			again, err := Generate(rev, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for i, f := range files {
				if !bytes.Equal(hclwrite.Format(f.Content), f.Content) {
					t.Errorf("%s is not formatted", f.Path)
				}
				if again[i].Path != f.Path || !bytes.Equal(again[i].Content, f.Content) {
					t.Errorf("%s: output depends on input order", f.Path)
				}
				s := string(f.Content)
				for _, bad := range []string{"https://sim", "password", "api_token", "PVEAPIToken", "timeout_create =", "mac_addresses", "ipv4_addresses", "clone {", "migrate ="} {
					if strings.Contains(s, bad) {
						t.Errorf("%s contains %q", f.Path, bad)
					}
				}
				if strings.Contains(s, "resource \"") && !strings.Contains(s, "resource \""+TypeVM+"\"") && !strings.Contains(s, "resource \""+TypeCT+"\"") {
					t.Errorf("%s: unexpected resource type", f.Path)
				}
			}
			for _, e := range CheckSchema(fileMap(files)) {
				t.Errorf("schema: %v", e)
			}
		})
	}
}

func TestResourceNames(t *testing.T) {
	t.Parallel()
	vm := func(id int, name string) iac.Guest {
		return iac.Guest{Kind: iac.KindVM, VMID: id, Node: "pve", Name: name, VM: &iac.VM{}}
	}
	ct := func(id int, name string) iac.Guest {
		return iac.Guest{Kind: iac.KindCT, VMID: id, Node: "pve", Name: name, CT: &iac.CT{}}
	}
	tests := []struct {
		name     string
		guests   []iac.Guest
		existing map[int]string
		want     []string
	}{
		{"derived", []iac.Guest{vm(100, "Web-01.lab"), ct(200, "9lives"), vm(101, "")}, nil, []string{"web_01_lab", "ct_9lives", "vm_101"}},
		{"collision across kinds", []iac.Guest{vm(101, "web"), ct(200, "web"), vm(102, "db")}, nil, []string{"web_101", "web_200", "db"}},
		{"existing wins", []iac.Guest{vm(101, "web"), vm(102, "web")}, map[int]string{102: "web"}, []string{"web_101", "web"}},
		{"reserved file names", []iac.Guest{vm(101, "versions"), vm(102, "--")}, nil, []string{"versions_101", "vm_102"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := assignNames(tt.guests, tt.existing)
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("guest %d: %q, want %q", tt.guests[i].VMID, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestGenerateRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		guests []iac.Guest
	}{
		{"unknown kind", []iac.Guest{{Kind: "lxc", VMID: 1, Node: "pve"}}},
		{"no node", []iac.Guest{{Kind: iac.KindVM, VMID: 1, VM: &iac.VM{}}}},
		{"duplicate vmid", []iac.Guest{{Kind: iac.KindVM, VMID: 1, Node: "a", VM: &iac.VM{}}, {Kind: iac.KindVM, VMID: 1, Node: "a", VM: &iac.VM{}}}},
		{"vm without part", []iac.Guest{{Kind: iac.KindVM, VMID: 1, Node: "a"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Generate(tt.guests, Options{}); err == nil {
				t.Error("no error")
			}
		})
	}
}
