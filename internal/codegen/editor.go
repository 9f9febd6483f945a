package codegen

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/proxmox-mpc/proxmox-mpc/internal/iac"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac/terraform"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

// Editor changes a workspace's Terraform code the way a person would, for
// create, set and delete inside a workspace: the change lands in the code
// and reaches the server through a plan and an apply.
type Editor struct {
	Workspace *workspace.Workspace
	DryRun    bool // compute the edits, write nothing
}

// NotInCodeError says a guest has no resource in terraform/.
type NotInCodeError struct{ Kind, Name string }

func (e *NotInCodeError) Error() string {
	return fmt.Sprintf("%s %s is not in this workspace's code (terraform/)", e.Kind, e.Name)
}

// Hint says how to get it there.
func (e *NotInCodeError) Hint() string {
	return "run `proxmox-mpc sync` to bring the live guests into the code, or use --live to change the server directly"
}

// Located is a guest found in the code.
type Located struct {
	terraform.Guest
	Path string // workspace-relative file
	Src  []byte
}

// Find locates a guest's resource by name (VM name or CT hostname) or VMID.
func (e *Editor) Find(kind iac.Kind, ref string) (Located, error) {
	files, err := e.Workspace.ReadDir(workspace.TerraformDir, ".tf")
	if err != nil {
		return Located{}, err
	}
	code, err := terraform.Read(files)
	if err != nil {
		var es terraform.Errors
		if errors.As(err, &es) && len(es) > 0 {
			return Located{}, fmt.Errorf("read the code: %w", es[0])
		}
		return Located{}, fmt.Errorf("read the code: %w", err)
	}
	vmid, numErr := strconv.Atoi(ref)
	var hits []terraform.Guest
	for _, g := range code.Guests {
		if g.Kind != kind {
			continue
		}
		if strings.EqualFold(g.Name, ref) || (numErr == nil && g.VMID == vmid) {
			hits = append(hits, g)
		}
	}
	switch len(hits) {
	case 0:
		return Located{}, &NotInCodeError{Kind: string(kind), Name: ref}
	case 1:
	default:
		addrs := make([]string, len(hits))
		for i, h := range hits {
			addrs[i] = h.Address
		}
		return Located{}, fmt.Errorf("%s %s matches %d resources in the code (%s): use the VMID", kind, ref, len(hits), strings.Join(addrs, ", "))
	}
	path := code.Files[hits[0].Address]
	src := files[path]
	return Located{Guest: hits[0], Path: path, Src: src}, nil
}

// Set changes attributes of a guest's resource in place and writes the
// file; the returned Edit shows the change. An edit that changes nothing
// writes nothing.
func (e *Editor) Set(kind iac.Kind, ref string, set map[AttrPath]cty.Value) (Edit, error) {
	loc, err := e.Find(kind, ref)
	if err != nil {
		return Edit{}, err
	}
	typ, name, _ := strings.Cut(loc.Address, ".")
	out, err := SetAttributes(loc.Src, loc.Path, typ, name, set)
	if err != nil {
		return Edit{}, err
	}
	ed := Edit{Path: loc.Path, Before: loc.Src, After: out}
	if string(out) == string(loc.Src) || e.DryRun {
		return ed, nil
	}
	return ed, e.Workspace.WriteFile(loc.Path, out, 0o644)
}

// Delete removes a guest's resource (and its import block) from the code;
// the file goes when nothing else is left in it.
func (e *Editor) Delete(kind iac.Kind, ref string) (Edit, error) {
	loc, err := e.Find(kind, ref)
	if err != nil {
		return Edit{}, err
	}
	typ, name, _ := strings.Cut(loc.Address, ".")
	out, empty, err := RemoveResource(loc.Src, loc.Path, typ, name)
	if err != nil {
		return Edit{}, err
	}
	if empty && !hasContent(out) {
		if e.DryRun {
			return Edit{Path: loc.Path, Before: loc.Src}, nil
		}
		return Edit{Path: loc.Path, Before: loc.Src}, e.Workspace.RemoveFile(loc.Path)
	}
	ed := Edit{Path: loc.Path, Before: loc.Src, After: out}
	if e.DryRun {
		return ed, nil
	}
	return ed, e.Workspace.WriteFile(loc.Path, out, 0o644)
}

// hasContent reports whether src has anything but comments and blank lines.
func hasContent(src []byte) bool {
	return slices.ContainsFunc(strings.Split(string(src), "\n"), func(l string) bool {
		l = strings.TrimSpace(l)
		return l != "" && !strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "//")
	})
}
