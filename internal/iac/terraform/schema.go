package terraform

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// schemaJSON is the bpg/proxmox 0.111.1 schema of the two resource types
// the writer emits, taken from `tofu providers schema -json` with the
// description texts removed (TestEmbeddedSchema keeps it equal to
// ../shared/terraform/bpg-proxmox-schema.json).
//
//go:embed schema/bpg-vm-ct.json
var schemaJSON []byte

type resourceSchema struct {
	Version int         `json:"version"`
	Block   schemaBlock `json:"block"`
}

type schemaBlock struct {
	Attributes map[string]schemaAttr   `json:"attributes,omitempty"`
	BlockTypes map[string]schemaNested `json:"block_types,omitempty"`
	Deprecated bool                    `json:"deprecated,omitempty"`
}

type schemaAttr struct {
	Type       json.RawMessage `json:"type"`
	Required   bool            `json:"required,omitempty"`
	Optional   bool            `json:"optional,omitempty"`
	Computed   bool            `json:"computed,omitempty"`
	Sensitive  bool            `json:"sensitive,omitempty"`
	Deprecated bool            `json:"deprecated,omitempty"`
}

type schemaNested struct {
	NestingMode string      `json:"nesting_mode"`
	Block       schemaBlock `json:"block"`
	MinItems    int         `json:"min_items,omitempty"`
	MaxItems    int         `json:"max_items,omitempty"`
}

// deprecatedObjectAttrs are attributes inside list-of-object attributes
// (written as blocks) that the provider deprecates; the JSON schema cannot
// say so for object members (ADOPTION.md §2: network_device.enabled warns
// on every plan).
var deprecatedObjectAttrs = map[string]bool{"network_device.enabled": true}

// metaArgs are the resource meta-arguments Terraform handles itself.
var metaArgs = map[string]bool{"count": true, "for_each": true, "depends_on": true, "provider": true}

const schemaHint = "see the provider documentation of bpg/proxmox 0.111 for the attributes of this resource"

func loadSchema() (map[string]resourceSchema, error) {
	var s map[string]resourceSchema
	if err := json.Unmarshal(schemaJSON, &s); err != nil {
		return nil, fmt.Errorf("decode embedded provider schema: %w", err)
	}
	return s, nil
}

// CheckSchema checks every proxmox_virtual_environment_vm and
// proxmox_virtual_environment_container resource in files (name → content)
// against the bpg/proxmox 0.111.1 schema: attributes exist, can be set and
// have a compatible type, nested blocks exist with an allowed count,
// required attributes are present, nothing deprecated is used, and
// ignore_changes names real attributes. Syntax errors are reported too.
// Other resource types are not checked. Errors are sorted by position.
func CheckSchema(files map[string][]byte) []*Error {
	schemas, err := loadSchema()
	if err != nil {
		return []*Error{{Summary: err.Error()}}
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	perFile := make([][]*Error, len(names))
	forEach(len(names), func(i int) { perFile[i] = checkFile(schemas, names[i], files[names[i]]) })
	var errs []*Error
	for _, e := range perFile {
		errs = append(errs, e...)
	}
	slices.SortStableFunc(errs, func(a, b *Error) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Col - b.Col
	})
	return errs
}

func checkFile(schemas map[string]resourceSchema, name string, src []byte) []*Error {
	f, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
	if diags.HasErrors() {
		return diagErrors(diags, "fix the syntax error; `tofu fmt` shows it too")
	}
	body, ok := f.Body.(*hclsyntax.Body)
	if !ok {
		return nil
	}
	var errs []*Error
	for _, b := range body.Blocks {
		if b.Type != "resource" || len(b.Labels) != 2 {
			continue
		}
		rs, ok := schemas[b.Labels[0]]
		if !ok {
			continue
		}
		errs = append(errs, checkBlock(b.Labels[0], b.DefRange(), b.Body, &rs.Block, true)...)
	}
	return errs
}

func checkBlock(path string, at hcl.Range, body *hclsyntax.Body, s *schemaBlock, top bool) []*Error {
	var errs []*Error
	for _, a := range sortedAttrs(body) {
		if top && metaArgs[a.Name] {
			continue
		}
		sa, ok := s.Attributes[a.Name]
		if !ok {
			errs = append(errs, errAt(a.NameRange, schemaHint, "%s: unknown attribute %q", path, a.Name))
			continue
		}
		if !sa.Required && !sa.Optional {
			errs = append(errs, errAt(a.NameRange, "remove it: the provider computes it", "%s.%s: attribute is read-only", path, a.Name))
			continue
		}
		if sa.Deprecated {
			errs = append(errs, errAt(a.NameRange, schemaHint, "%s.%s: attribute is deprecated", path, a.Name))
		}
		ty, err := ctyjson.UnmarshalType(sa.Type)
		if err != nil {
			continue
		}
		errs = append(errs, checkValue(path+"."+a.Name, a, ty)...)
	}
	for name, sa := range s.Attributes {
		if sa.Required && body.Attributes[name] == nil {
			errs = append(errs, errAt(at, schemaHint, "%s: missing required attribute %q", path, name))
		}
	}
	counts := map[string]int{}
	for _, b := range body.Blocks {
		if top && b.Type == "lifecycle" {
			errs = append(errs, checkLifecycle(path, b.Body, s)...)
			continue
		}
		counts[b.Type]++
		if nb, ok := s.BlockTypes[b.Type]; ok {
			if nb.Block.Deprecated {
				errs = append(errs, errAt(b.TypeRange, schemaHint, "%s.%s: block is deprecated", path, b.Type))
			}
			if len(b.Labels) > 0 {
				errs = append(errs, errAt(b.TypeRange, schemaHint, "%s.%s: block takes no labels", path, b.Type))
			}
			errs = append(errs, checkBlock(path+"."+b.Type, b.TypeRange, b.Body, &nb.Block, false)...)
			continue
		}
		if sa, ok := s.Attributes[b.Type]; ok {
			// A list of objects may be written as blocks (SDKv2 "attributes as blocks").
			ty, err := ctyjson.UnmarshalType(sa.Type)
			if err == nil && (ty.IsListType() || ty.IsSetType()) && ty.ElementType().IsObjectType() && (sa.Optional || sa.Required) {
				errs = append(errs, checkObjectBlock(path+"."+b.Type, b, ty.ElementType())...)
				continue
			}
		}
		errs = append(errs, errAt(b.TypeRange, schemaHint, "%s: unknown block %q", path, b.Type))
	}
	for name, nb := range s.BlockTypes {
		n := counts[name]
		if nb.MaxItems > 0 && n > nb.MaxItems {
			errs = append(errs, errAt(at, schemaHint, "%s: %d %s blocks, at most %d allowed", path, n, name, nb.MaxItems))
		}
		if n < nb.MinItems {
			errs = append(errs, errAt(at, schemaHint, "%s: %d %s blocks, at least %d required", path, n, name, nb.MinItems))
		}
	}
	return errs
}

func checkObjectBlock(path string, b *hclsyntax.Block, ty cty.Type) []*Error {
	var errs []*Error
	for _, a := range sortedAttrs(b.Body) {
		if !ty.HasAttribute(a.Name) {
			errs = append(errs, errAt(a.NameRange, schemaHint, "%s: unknown attribute %q", path, a.Name))
			continue
		}
		if deprecatedObjectAttrs[strings.TrimPrefix(path, path[:strings.IndexByte(path, '.')+1])+"."+a.Name] {
			errs = append(errs, errAt(a.NameRange, schemaHint, "%s.%s: attribute is deprecated", path, a.Name))
		}
		errs = append(errs, checkValue(path+"."+a.Name, a, ty.AttributeType(a.Name))...)
	}
	for _, nb := range b.Body.Blocks {
		errs = append(errs, errAt(nb.TypeRange, schemaHint, "%s: unknown block %q", path, nb.Type))
	}
	return errs
}

func checkValue(path string, a *hclsyntax.Attribute, ty cty.Type) []*Error {
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() {
		return nil // not a literal: Read reports it
	}
	if _, err := convert.Convert(v, ty); err != nil {
		return []*Error{errAt(a.Expr.Range(), schemaHint, "%s: wrong type: want %s (%v)", path, ty.FriendlyName(), err)}
	}
	return nil
}

func checkLifecycle(path string, body *hclsyntax.Body, s *schemaBlock) []*Error {
	var errs []*Error
	a := body.Attributes["ignore_changes"]
	if a == nil {
		return nil
	}
	exprs, diags := hcl.ExprList(a.Expr)
	if diags.HasErrors() {
		return nil // "all" keyword or similar: Terraform's concern
	}
	for _, e := range exprs {
		tr, d := hcl.AbsTraversalForExpr(e)
		if d.HasErrors() || len(tr) == 0 {
			errs = append(errs, errAt(e.Range(), "list attribute names, e.g. [scsi_hardware]", "%s.lifecycle.ignore_changes: not an attribute name", path))
			continue
		}
		root := tr.RootName()
		_, isAttr := s.Attributes[root]
		_, isBlock := s.BlockTypes[root]
		if !isAttr && !isBlock {
			errs = append(errs, errAt(e.Range(), schemaHint, "%s.lifecycle.ignore_changes: unknown attribute %q", path, root))
		}
	}
	return errs
}

func sortedAttrs(b *hclsyntax.Body) []*hclsyntax.Attribute {
	out := make([]*hclsyntax.Attribute, 0, len(b.Attributes))
	for _, a := range b.Attributes {
		out = append(out, a)
	}
	slices.SortFunc(out, func(x, y *hclsyntax.Attribute) int {
		if x.SrcRange.Start.Byte != y.SrcRange.Start.Byte {
			return x.SrcRange.Start.Byte - y.SrcRange.Start.Byte
		}
		return strings.Compare(x.Name, y.Name)
	})
	return out
}
