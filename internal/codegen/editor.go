package codegen

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/proxmox-mpc/proxmox-mpc/internal/iac"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac/terraform"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

// Editor changes a workspace's Terraform code the way a person would, for
// create, set and delete inside a workspace: the change lands in the code
// and reaches the server through a plan and an apply.
type Editor struct {
	Workspace *workspace.Workspace
	DryRun    bool // compute the edits, write nothing
	// Cache, when not nil, keeps what reading each file yielded, so that
	// finding a guest parses only the files that changed (StoreCache).
	Cache terraform.Cache
	// Record, when set, stores a file create wrote as if generated, so
	// that the sync after the apply replaces it with the adopted form
	// (import block and all) instead of calling it a hand-written file.
	Record func(path string, content []byte) error
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
	code, files, err := e.code()
	if err != nil {
		return Located{}, err
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

// code reads the workspace's terraform/ code.
func (e *Editor) code() (*terraform.Code, map[string][]byte, error) {
	files, err := e.Workspace.ReadDir(workspace.TerraformDir, ".tf")
	if err != nil {
		return nil, nil, err
	}
	code, err := terraform.ReadCached(files, e.Cache)
	if err != nil {
		var es terraform.Errors
		if errors.As(err, &es) && len(es) > 0 {
			return nil, nil, fmt.Errorf("read the code: %w", es[0])
		}
		return nil, nil, fmt.Errorf("read the code: %w", err)
	}
	return code, files, nil
}

// VMIDs lists the VMIDs the code already uses, created or not.
func (e *Editor) VMIDs() (map[int]bool, error) {
	code, _, err := e.code()
	if err != nil {
		return nil, err
	}
	out := make(map[int]bool, len(code.Guests))
	for _, g := range code.Guests {
		if g.VMID != 0 {
			out[g.VMID] = true
		}
	}
	return out, nil
}

// Create writes the code of a guest that does not exist yet: the resource
// as the provider will create it (no import block), in a new file. g is
// the guest as PVE will store it (Config in PVE's read-back form); set
// adds creation-only attributes (a container's template, its vm_id).
func (e *Editor) Create(g state.Guest, set map[AttrPath]cty.Value) (Edit, error) {
	code, files, err := e.code()
	if err != nil {
		return Edit{}, err
	}
	model := iac.FromState(g)
	taken := map[string]bool{}
	for _, cg := range code.Guests {
		if cg.Kind == model.Kind && strings.EqualFold(cg.Name, model.Name) {
			return Edit{}, fmt.Errorf("%s %s is already in the code (%s)", model.Kind, model.Name, code.Files[cg.Address])
		}
		if cg.VMID == model.VMID && model.VMID != 0 {
			return Edit{}, fmt.Errorf("vmid %d is already used in the code by %s", model.VMID, cg.Address)
		}
		_, name, _ := strings.Cut(cg.Address, ".")
		taken[name] = true
	}
	name := terraform.ResourceName(model)
	path := workspace.TerraformDir + "/" + name + ".tf"
	if _, clash := files[path]; clash || taken[name] {
		name += "_" + strconv.Itoa(model.VMID)
		path = workspace.TerraformDir + "/" + name + ".tf"
	}
	gen, err := terraform.Generate([]iac.Guest{model}, terraform.Options{Existing: map[int]string{model.VMID: name}})
	if err != nil {
		return Edit{}, err
	}
	var src []byte
	for _, f := range gen {
		if f.Path == name+".tf" {
			src = f.Content
		}
	}
	if src == nil {
		return Edit{}, fmt.Errorf("generate the code of %s: no file", model.Name)
	}
	typ, _, _ := strings.Cut(terraform.Address(model, name), ".")
	out, err := dropImport(src, path, typ, name)
	if err != nil {
		return Edit{}, err
	}
	if len(set) > 0 {
		if out, err = SetAttributes(out, path, typ, name, set); err != nil {
			return Edit{}, err
		}
	}
	out = bytes.Replace(out, []byte("generated by proxmox-mpc from the live config."),
		[]byte("written by `proxmox-mpc create`: created on the server by the next apply."), 1)
	for bytes.Contains(out, []byte("\n\n\n")) { // where the import block was
		out = bytes.ReplaceAll(out, []byte("\n\n\n"), []byte("\n\n"))
	}
	ed := Edit{Path: path, After: out}
	if e.DryRun {
		return ed, nil
	}
	if err := e.Workspace.WriteFile(path, out, 0o644); err != nil {
		return ed, err
	}
	if e.Record != nil {
		if err := e.Record(path, out); err != nil {
			return ed, fmt.Errorf("remember %s as generated: %w", path, err)
		}
	}
	return ed, nil
}

// dropImport removes the import block that targets typ.name.
func dropImport(src []byte, filename, typ, name string) ([]byte, error) {
	f, diags := hclwrite.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, fmt.Errorf("%s: %w", filename, diags)
	}
	body := f.Body()
	for _, b := range body.Blocks() {
		if b.Type() != "import" {
			continue
		}
		if to := b.Body().GetAttribute("to"); to != nil && strings.TrimSpace(string(to.Expr().BuildTokens(nil).Bytes())) == typ+"."+name {
			body.RemoveBlock(b)
		}
	}
	return hclwrite.Format(f.Bytes()), nil
}
