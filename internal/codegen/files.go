package codegen

import (
	"errors"
	"fmt"
	"strings"

	"github.com/proxmox-mpc/proxmox-mpc/internal/iac"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac/ansible"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac/terraform"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac/testgen"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

// Files is the Generator of a workspace: terraform/ (bpg/proxmox, one file
// per guest with its import block), ansible/ (inventory, group_vars, site
// playbook) and tests/ (plan-mode .tftest.hcl per node, ansible checks).
func Files(guests []state.Guest, existing map[int]string) ([]File, error) {
	models := make([]iac.Guest, 0, len(guests))
	for _, g := range guests {
		if g.RemovedAt == nil {
			models = append(models, iac.FromState(g))
		}
	}
	tf, err := terraform.Generate(models, terraform.Options{Existing: existing})
	if err != nil {
		return nil, err
	}
	ans, err := ansible.Generate(guests, ansible.Options{})
	if err != nil {
		return nil, err
	}
	tests, err := testgen.Generate(subjects(models, terraform.Names(models, existing)))
	if err != nil {
		return nil, err
	}
	out := make([]File, 0, len(tf)+len(ans)+len(tests))
	for _, f := range tf {
		out = append(out, File{Path: workspace.TerraformDir + "/" + f.Path, Content: f.Content})
	}
	for _, f := range ans {
		out = append(out, File{Path: workspace.AnsibleDir + "/" + f.Path, Content: f.Content})
	}
	for _, f := range tests {
		out = append(out, File{Path: workspace.TestsDir + "/" + f.Path, Content: f.Content, Exec: f.Mode&0o100 != 0})
	}
	return out, nil
}

// subjects are what the generated tests assert per guest: the values the
// code holds for name, node, cores, memory and disk sizes.
func subjects(models []iac.Guest, names []string) []testgen.Subject {
	out := make([]testgen.Subject, 0, len(models))
	for i, g := range models {
		s := testgen.Subject{Address: terraform.Address(g, names[i]), Kind: string(g.Kind), Name: g.Name, Node: g.Node, VMID: g.VMID}
		switch {
		case g.VM != nil:
			s.Cores, s.MemoryMiB = g.VM.CPU.Cores, g.VM.Memory.DedicatedMiB
			for j, d := range g.VM.Disks {
				if d.SizeGiB > 0 {
					s.Disks = append(s.Disks, testgen.DiskSize{Attr: fmt.Sprintf("disk[%d].size", j), GiB: d.SizeGiB})
				}
			}
		case g.CT != nil:
			s.Cores, s.MemoryMiB = g.CT.Cores, g.CT.MemoryMiB
			if g.CT.RootFS.SizeGiB > 0 {
				s.Disks = append(s.Disks, testgen.DiskSize{Attr: "disk[0].size", GiB: g.CT.RootFS.SizeGiB})
			}
		}
		out = append(out, s)
	}
	return out
}

// ExistingNames reads the workspace's terraform/ code and returns the
// resource name each VMID already has there, so regeneration keeps every
// address stable. Code that does not parse stops the regeneration: its
// addresses are unknown. With a cache (c not nil) only the files not in it
// are parsed; see terraform.ReadCached.
func ExistingNames(ws *workspace.Workspace, c terraform.Cache) (map[int]string, error) {
	files, err := ws.ReadDir(workspace.TerraformDir, ".tf")
	if err != nil {
		return nil, err
	}
	out := map[int]string{}
	if len(files) == 0 {
		return out, nil
	}
	code, err := terraform.ReadCached(files, c)
	if err != nil {
		var es terraform.Errors
		if errors.As(err, &es) && len(es) > 0 {
			return nil, fmt.Errorf("read the existing code: %w", es[0])
		}
		return nil, fmt.Errorf("read the existing code: %w", err)
	}
	for _, g := range code.Guests {
		if g.VMID == 0 {
			continue
		}
		_, name, _ := strings.Cut(g.Address, ".")
		out[g.VMID] = name
	}
	return out, nil
}
