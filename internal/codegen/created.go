package codegen

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// CreatedGuest is the guest a create will make, as PVE will store it: the
// create form (lifecycle's validated POST parameters) with its allocation
// syntax ("local-lvm:32") turned into the stored volume form
// ("local-lvm:vm-104-disk-0,size=32G"), plus the creation-only attributes
// Editor.Create must set (a container's vm_id and template).
func CreatedGuest(form url.Values, vmid int, node, name string, ct, start bool) (state.Guest, map[AttrPath]cty.Value) {
	cfg := map[string]string{}
	for k, v := range form {
		if len(v) == 0 || k == "vmid" || k == "start" || k == "ostemplate" {
			continue
		}
		cfg[k] = v[0]
	}
	for _, k := range []string{"scsi0", "rootfs"} {
		v, ok := cfg[k]
		if !ok {
			continue
		}
		head, opts, _ := strings.Cut(v, ",")
		storage, gib, _ := strings.Cut(head, ":")
		stored := fmt.Sprintf("%s:vm-%d-disk-0", storage, vmid)
		if opts != "" {
			stored += "," + opts
		}
		cfg[k] = stored + ",size=" + gib + "G"
	}
	typ, status := state.TypeVM, "stopped"
	if ct {
		typ = state.TypeCT
	}
	if start {
		status = "running"
	}
	g := state.Guest{VMID: vmid, Type: typ, Node: node, Name: name, Status: status, Config: cfg}
	set := map[AttrPath]cty.Value{}
	if ct {
		set["vm_id"] = cty.NumberIntVal(int64(vmid))
		set["operating_system.template_file_id"] = cty.StringVal(form.Get("ostemplate"))
	}
	return g, set
}
