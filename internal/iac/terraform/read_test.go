package terraform

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/iac"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
)

// normalise clears what the writer puts only in comments, never in
// attributes, so Read cannot see it:
//   - Unmapped (the "# not managed:" lines),
//   - HA (the "# HA:" line; HA is not part of these resources),
//   - a container's Pool (ADOPTION §5: pool_id is never written for a CT).
//
// It is applied to both sides of the round trip.
func normalise(g iac.Guest) iac.Guest {
	g.Unmapped = nil
	g.HA = nil
	if g.Kind == iac.KindCT {
		g.Pool = ""
	}
	return g
}

// TestRoundTrip: state → FromState → Generate → Read gives FromState's model
// back, for every guest of homelab and large.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	for _, sc := range []struct {
		name string
		n    int
	}{{pvesim.ScenarioHomelab, 0}, {pvesim.ScenarioLarge, 2000}} {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			guests := guestsOf(t, sc.name, sc.n)
			files, err := Generate(guests, Options{})
			if err != nil {
				t.Fatal(err)
			}
			code, err := Read(fileMap(files))
			if err != nil {
				t.Fatal(err)
			}
			if len(code.Warnings) > 0 {
				t.Errorf("warnings reading generated code: %v", code.Warnings)
			}
			if len(code.Guests) != len(guests) {
				t.Fatalf("read %d guests, wrote %d", len(code.Guests), len(guests))
			}
			byID := map[int]Guest{}
			for _, g := range code.Guests {
				byID[g.VMID] = g
				if code.Imports[g.Address] != g.Node+"/"+strconv.Itoa(g.VMID) {
					t.Errorf("%s: import id %q", g.Address, code.Imports[g.Address])
				}
			}
			for _, want := range guests {
				got, ok := byID[want.VMID]
				if !ok {
					t.Errorf("guest %d not read back", want.VMID)
					continue
				}
				if d := cmp.Diff(normalise(want), normalise(got.Guest)); d != "" {
					t.Errorf("guest %d (%s) (-want +got):\n%s", want.VMID, got.Address, d)
				}
			}
		})
	}
}

// TestReadHandEdits: attribute order, single-line blocks, comments and
// extra attributes are read; extras the model lacks are warnings.
func TestReadHandEdits(t *testing.T) {
	t.Parallel()
	src := `
// a person's comment
/* and another */
resource "proxmox_virtual_environment_vm" "web" {
  cpu { cores = 8 }
  name = "web"   # renamed by hand
  memory { dedicated = 2048 }
  node_name = "pve2"
  timeout_create = 600
  network_device { bridge = "vmbr1" }
  network_device {}
  operating_system { type = "l26" }
  scsi_hardware = "virtio-scsi-single"
}
import {
  id = "pve2/150"
  to = proxmox_virtual_environment_vm.web
}
resource "proxmox_virtual_environment_pool" "p" { pool_id = "x" }
`
	code, err := Read(map[string][]byte{"web.tf": []byte(src), "versions.tf": []byte(`terraform {}`)})
	if err != nil {
		t.Fatal(err)
	}
	if code.Other != 1 || len(code.Guests) != 1 {
		t.Fatalf("other %d guests %d", code.Other, len(code.Guests))
	}
	g := code.Guests[0]
	if g.VMID != 150 || g.Node != "pve2" || g.Name != "web" || g.VM.CPU.Cores != 8 || g.VM.Memory.DedicatedMiB != 2048 {
		t.Errorf("guest = %+v %+v", g.Guest, g.VM)
	}
	if len(g.VM.NICs) != 2 || g.VM.NICs[0].Bridge != "vmbr1" || g.VM.NICs[1].Bridge != "vmbr0" {
		t.Errorf("nics = %+v", g.VM.NICs)
	}
	if len(code.Warnings) != 1 || !strings.Contains(code.Warnings[0].Error(), "web.tf:9:3: ") || !strings.Contains(code.Warnings[0].Summary, "timeout_create") {
		t.Errorf("warnings = %v, want one for timeout_create at web.tf:9:3", code.Warnings)
	}
	if code.Files[g.Address] != "web.tf" {
		t.Errorf("files = %v", code.Files)
	}
}

func TestReadErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src, pos, summary, hint string
	}{
		{"variable", "resource \"proxmox_virtual_environment_vm\" \"a\" {\n  node_name = var.node\n}\n", "a.tf:2:15", "node_name: not a literal value", "literal values only"},
		{"function", "resource \"proxmox_virtual_environment_container\" \"a\" {\n  node_name = \"pve\"\n  cpu { cores = max(1, 2) }\n}\n", "a.tf:3:17", "cores: not a literal", "literal values only"},
		{"syntax", "resource \"proxmox_virtual_environment_vm\" \"a\" {\n  node_name = \n}\n", "a.tf:2:15", "Invalid expression", "syntax"},
		{"wrong type", "resource \"proxmox_virtual_environment_vm\" \"a\" {\n  node_name = \"pve\"\n  vm_id = \"abc\"\n}\n", "a.tf:3:11", "vm_id: want number", ""},
		{"bad import id", "import {\n  to = proxmox_virtual_environment_vm.a\n  id = \"100\"\n}\n", "a.tf:3:8", "not <node>/<vmid>", "<node>/<vmid>"},
		{"missing node", "resource \"proxmox_virtual_environment_vm\" \"a\" {\n}\n", "a.tf:1:1", "missing node_name", "node_name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Read(map[string][]byte{"a.tf": []byte(tt.src)})
			var es Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("err = %v, want Errors", err)
			}
			e := es[0]
			if !strings.HasPrefix(e.Error(), tt.pos+": ") {
				t.Errorf("error %q, want position %s", e.Error(), tt.pos)
			}
			if !strings.Contains(e.Summary, tt.summary) {
				t.Errorf("summary %q, want %q", e.Summary, tt.summary)
			}
			if !strings.Contains(es.Hint(), tt.hint) {
				t.Errorf("hint %q, want %q", es.Hint(), tt.hint)
			}
		})
	}
}

func FuzzRead(f *testing.F) {
	f.Add([]byte(`resource "proxmox_virtual_environment_vm" "a" { node_name = "pve" }`))
	f.Add([]byte("resource \"proxmox_virtual_environment_container\" \"b\" {\n node_name = \"x\"\n network_interface { name = \"eth0\" }\n lifecycle { ignore_changes = [memory] }\n}\n"))
	f.Add([]byte("import {\n to = proxmox_virtual_environment_vm.a\n id = \"pve/1\"\n}\n"))
	f.Add([]byte(`resource "proxmox_virtual_environment_vm" "a" { node_name = var.x }`))
	f.Fuzz(func(t *testing.T, src []byte) {
		files := map[string][]byte{"f.tf": src}
		code, err := Read(files)
		var es Errors
		if err != nil {
			if !errors.As(err, &es) {
				t.Fatalf("error %T is not Errors", err)
			}
			for _, e := range es {
				if e.File != "f.tf" || e.Line < 1 || e.Col < 1 {
					t.Fatalf("error without a position: %+v", e)
				}
			}
		}
		if code == nil {
			t.Fatal("nil code")
		}
		_ = CheckSchema(files)
	})
}
