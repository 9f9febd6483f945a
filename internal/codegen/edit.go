package codegen

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/pmezard/go-difflib/difflib"
	"github.com/zclconf/go-cty/cty"
)

// Edit is one file changed by create, set or delete in a workspace.
type Edit struct {
	Path          string // relative to the workspace root
	Before, After []byte // Before nil: a new file; After nil: a removed file
}

// Diff is the unified diff of the edit, like `git diff`.
func (e Edit) Diff() string {
	from, to := "a/"+e.Path, "b/"+e.Path
	if e.Before == nil {
		from = "/dev/null"
	}
	if e.After == nil {
		to = "/dev/null"
	}
	out, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: lines(e.Before), B: lines(e.After),
		FromFile: from, ToFile: to, Context: 3,
	})
	if err != nil {
		return ""
	}
	return out
}

// lines splits for difflib; nothing is no lines (not one empty line).
func lines(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	return difflib.SplitLines(string(b))
}

// AttrPath names an attribute by its nesting: "cpu.cores" is the cores
// attribute of the first cpu block; "name" a top-level attribute.
type AttrPath string

// SetAttributes sets attributes of one resource block (typ, name) in an
// HCL file, in place: comments, order and every other attribute a person
// wrote stay as they are. A missing nested block is added; a cty.NilVal
// value removes the attribute.
func SetAttributes(src []byte, filename, typ, name string, set map[AttrPath]cty.Value) ([]byte, error) {
	f, diags := hclwrite.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, fmt.Errorf("%s: %w", filename, diags)
	}
	block := f.Body().FirstMatchingBlock("resource", []string{typ, name})
	if block == nil {
		return nil, fmt.Errorf("%s: no resource %s.%s", filename, typ, name)
	}
	paths := make([]string, 0, len(set))
	for p := range set {
		paths = append(paths, string(p))
	}
	slices.Sort(paths)
	for _, p := range paths {
		body := block.Body()
		parts := strings.Split(p, ".")
		for _, b := range parts[:len(parts)-1] {
			nb := body.FirstMatchingBlock(b, nil)
			if nb == nil {
				if set[AttrPath(p)] == cty.NilVal {
					body = nil
					break
				}
				nb = body.AppendNewBlock(b, nil)
			}
			body = nb.Body()
		}
		if body == nil {
			continue
		}
		attr := parts[len(parts)-1]
		if v := set[AttrPath(p)]; v == cty.NilVal {
			body.RemoveAttribute(attr)
		} else {
			body.SetAttributeValue(attr, v)
		}
	}
	return hclwrite.Format(f.Bytes()), nil
}

// RemoveResource removes one resource block and the import block that
// targets it from an HCL file; empty is true when nothing but comments and
// blank lines would be left (the caller then removes the file).
func RemoveResource(src []byte, filename, typ, name string) (out []byte, empty bool, err error) {
	f, diags := hclwrite.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, false, fmt.Errorf("%s: %w", filename, diags)
	}
	body := f.Body()
	block := body.FirstMatchingBlock("resource", []string{typ, name})
	if block == nil {
		return nil, false, fmt.Errorf("%s: no resource %s.%s", filename, typ, name)
	}
	body.RemoveBlock(block)
	for _, b := range body.Blocks() {
		if b.Type() != "import" {
			continue
		}
		if to := b.Body().GetAttribute("to"); to != nil && strings.TrimSpace(string(to.Expr().BuildTokens(nil).Bytes())) == typ+"."+name {
			body.RemoveBlock(b)
		}
	}
	out = hclwrite.Format(f.Bytes())
	return out, len(body.Blocks()) == 0 && len(body.Attributes()) == 0, nil
}
