package codegen

import (
	"github.com/zclconf/go-cty/cty"

	"github.com/proxmox-mpc/proxmox-mpc/internal/iac"
)

// SetChanges are the options `set` changes in code; nil fields stay as
// they are.
type SetChanges struct {
	Cores       *int
	MemoryMiB   *int
	Tags        *[]string // empty removes the tags
	Description *string   // "" removes it
	OnBoot      *bool
}

// Attrs maps the changes to the resource's attributes for a guest of kind.
func (c SetChanges) Attrs(kind iac.Kind) map[AttrPath]cty.Value {
	out := map[AttrPath]cty.Value{}
	if c.Cores != nil {
		out["cpu.cores"] = cty.NumberIntVal(int64(*c.Cores))
	}
	if c.MemoryMiB != nil {
		out["memory.dedicated"] = cty.NumberIntVal(int64(*c.MemoryMiB))
	}
	if c.Tags != nil {
		if len(*c.Tags) == 0 {
			out["tags"] = cty.NilVal
		} else {
			vals := make([]cty.Value, len(*c.Tags))
			for i, t := range *c.Tags {
				vals[i] = cty.StringVal(t)
			}
			out["tags"] = cty.ListVal(vals)
		}
	}
	if c.Description != nil {
		if *c.Description == "" {
			out["description"] = cty.NilVal
		} else {
			out["description"] = cty.StringVal(*c.Description)
		}
	}
	if c.OnBoot != nil {
		attr := AttrPath("on_boot")
		if kind == iac.KindCT {
			attr = "start_on_boot"
		}
		out[attr] = cty.BoolVal(*c.OnBoot)
	}
	return out
}
