package native

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/proxmox-mpc/proxmox-mpc/internal/iac"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// UnsupportedError is a change the native engine cannot make.
type UnsupportedError struct {
	Target string // vm/101
	Attr   string // the attribute or config key
	Why    string
}

var _ error = (*UnsupportedError)(nil)

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("%s: cannot apply %s: %s", e.Target, e.Attr, e.Why)
}

// Hint says what to do instead.
func (e *UnsupportedError) Hint() string {
	return "change this attribute in the Proxmox UI or with the tofu engine (--engine tofu), then run `proxmox-mpc sync`; or revert it in the code"
}

func pveKind(k iac.Kind) pve.GuestKind {
	if k == iac.KindCT {
		return pve.KindCT
	}
	return pve.KindVM
}

func target(k iac.Kind, vmid int) string { return string(k) + "/" + strconv.Itoa(vmid) }

// CreateForm builds the form of POST /nodes/{node}/qemu|lxc for a new
// guest. ostemplate is the container template volume (containers only).
// Secrets are never part of it: a container gets no password.
func CreateForm(g iac.Guest, ostemplate string) (url.Values, error) {
	if g.VMID < 100 {
		return nil, &UnsupportedError{Target: target(g.Kind, g.VMID), Attr: "vm_id", Why: "a new guest needs an explicit VMID of at least 100"}
	}
	if g.Clone != nil {
		return nil, &UnsupportedError{Target: target(g.Kind, g.VMID), Attr: "clone", Why: "creating a guest by cloning a template is not supported by the native engine yet"}
	}
	r, err := renderConfig(&g, nil)
	if err != nil {
		return nil, err
	}
	form := url.Values{"vmid": {strconv.Itoa(g.VMID)}}
	for k, v := range r.conf {
		form.Set(k, v)
	}
	if g.Pool != "" {
		form.Set("pool", g.Pool)
	}
	if g.Template && g.Kind == iac.KindVM {
		form.Set("template", "1")
	}
	if g.Kind == iac.KindCT {
		if ostemplate == "" {
			return nil, &UnsupportedError{Target: target(g.Kind, g.VMID), Attr: "operating_system.template_file_id", Why: "a new container needs its template volume (like local:vztmpl/debian-13-standard_13.1-2_amd64.tar.zst)"}
		}
		form.Set("ostemplate", ostemplate)
	}
	return form, nil
}

// resize grows one disk to an absolute size.
type resize struct {
	Disk string // scsi0, rootfs, mp1
	Size string // "40G"
}

// update is what an in-place update does, besides the config PUT.
type update struct {
	Set       map[string]string
	Delete    []string // sorted
	Resizes   []resize
	MigrateTo string
	// PoolFrom/PoolTo change pool membership (VMs only: the model has no
	// pool for containers).
	PoolFrom, PoolTo string
	Power            string // "start", "shutdown" or ""
}

// configForm is the PUT /config form of u (without digest).
func (u update) configForm() url.Values {
	if len(u.Set) == 0 && len(u.Delete) == 0 {
		return nil
	}
	form := url.Values{}
	for k, v := range u.Set {
		form.Set(k, v)
	}
	if len(u.Delete) > 0 {
		form.Set("delete", strings.Join(u.Delete, ","))
	}
	return form
}

// skipKeys are config keys an update never sets or deletes.
var skipKeys = map[string]bool{"digest": true, "template": true, "lock": true, "parent": true, "snaptime": true}

// planUpdate translates desired vs live into the calls of an in-place
// update. It checks its own work: the live config with the changes
// applied must read back (iac.FromState) as the desired model; when it
// does not, the change cannot be expressed and an *UnsupportedError says
// which attributes.
func planUpdate(desired iac.Guest, live state.Guest) (update, error) {
	tgt := target(desired.Kind, live.VMID)
	var u update
	if string(desired.Kind) != live.Type {
		return u, &UnsupportedError{Target: tgt, Attr: "kind", Why: "a VM cannot become a container or back; that is a replace"}
	}
	if desired.Template != live.Template {
		return u, &UnsupportedError{Target: tgt, Attr: "template", Why: "converting between a guest and a template is not supported by the native engine"}
	}
	liveModel := iac.FromState(live)
	if err := planVolumes(&u, tgt, desired, liveModel); err != nil {
		return u, err
	}
	r, err := renderConfig(&desired, live.Config)
	if err != nil {
		return u, err
	}
	base := norm(liveModel)
	u.Set = map[string]string{}
	probe := live
	for _, k := range slices.Sorted(maps.Keys(r.conf)) {
		v := r.conf[k]
		if skipKeys[k] || live.Config[k] == v {
			continue
		}
		probe.Config = maps.Clone(live.Config)
		probe.Config[k] = simValue(r, k, v)
		if !cmp.Equal(norm(iac.FromState(probe)), base, cmpOpts) {
			u.Set[k] = v
		}
	}
	for _, k := range slices.Sorted(maps.Keys(live.Config)) {
		if _, want := r.conf[k]; want || skipKeys[k] {
			continue
		}
		probe.Config = maps.Clone(live.Config)
		delete(probe.Config, k)
		if !cmp.Equal(norm(iac.FromState(probe)), base, cmpOpts) {
			u.Delete = append(u.Delete, k)
		}
	}
	// self-check: the result must read back as the desired model
	after := live
	after.Config = maps.Clone(live.Config)
	for k, v := range u.Set {
		after.Config[k] = simValue(r, k, v)
	}
	for _, k := range u.Delete {
		delete(after.Config, k)
	}
	for _, rs := range u.Resizes {
		after.Config[rs.Disk] = setOption(after.Config[rs.Disk], "size", rs.Size)
	}
	if d := cmp.Diff(norm(desired), norm(iac.FromState(after)), cmpOpts); d != "" {
		return u, &UnsupportedError{Target: tgt, Attr: "configuration", Why: "the change cannot be expressed as PVE config keys (desired -, reachable +):\n" + d}
	}
	if desired.Node != "" && desired.Node != live.Node {
		u.MigrateTo = desired.Node
	}
	if desired.Kind == iac.KindVM && desired.Pool != live.Pool {
		u.PoolFrom, u.PoolTo = live.Pool, desired.Pool
	}
	running := live.Status == "running"
	switch {
	case desired.Template:
	case desired.Started && !running:
		u.Power = "start"
	case !desired.Started && running:
		u.Power = "shutdown"
	}
	return u, nil
}

// planVolumes adds the resizes of growing disks and refuses shrinking or
// moving them.
func planVolumes(u *update, tgt string, desired, live iac.Guest) error {
	type vol struct {
		ds  string
		gib int
	}
	have := map[string]vol{}
	want := map[string]vol{}
	switch {
	case desired.Kind == iac.KindVM && desired.VM != nil && live.VM != nil:
		for _, d := range live.VM.Disks {
			have[d.Interface] = vol{d.Datastore, d.SizeGiB}
		}
		for _, d := range desired.VM.Disks {
			want[d.Interface] = vol{d.Datastore, d.SizeGiB}
		}
	case desired.Kind == iac.KindCT && desired.CT != nil && live.CT != nil:
		have["rootfs"] = vol{live.CT.RootFS.Datastore, live.CT.RootFS.SizeGiB}
		want["rootfs"] = vol{desired.CT.RootFS.Datastore, desired.CT.RootFS.SizeGiB}
		for i, mp := range live.CT.MountPoints {
			if g, ok := parseGiB(mp.Size); ok {
				have["mp"+strconv.Itoa(i)] = vol{volumeStorage(mp.Volume), g}
			}
		}
		for i, mp := range desired.CT.MountPoints {
			if g, ok := parseGiB(mp.Size); ok {
				want["mp"+strconv.Itoa(i)] = vol{volumeStorage(mp.Volume), g}
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		w := want[k]
		h, ok := have[k]
		if !ok {
			continue // a new volume: allocated by the config PUT
		}
		if w.ds != "" && h.ds != "" && w.ds != h.ds {
			return &UnsupportedError{Target: tgt, Attr: k, Why: fmt.Sprintf("moving a disk from %s to %s is not supported by the native engine", h.ds, w.ds)}
		}
		switch {
		case w.gib < h.gib:
			return &UnsupportedError{Target: tgt, Attr: k, Why: fmt.Sprintf("PVE cannot shrink a disk (%d GiB to %d GiB)", h.gib, w.gib)}
		case w.gib > h.gib:
			u.Resizes = append(u.Resizes, resize{Disk: k, Size: strconv.Itoa(w.gib) + "G"})
		}
	}
	return nil
}

// volumeStorage returns the storage of a volume id or storage id.
func volumeStorage(v string) string {
	ds, _, _ := strings.Cut(v, ":")
	return ds
}

// simValue is the value PVE would store for k: allocations get their size.
func simValue(r *rendered, k, v string) string {
	if gib, ok := r.alloc[k]; ok && gib > 0 {
		return v + ",size=" + strconv.Itoa(gib) + "G"
	}
	return v
}

// setOption sets or replaces opt=value in a property string.
func setOption(prop, opt, value string) string {
	items := iac.ParseProps(prop, "")
	for i, it := range items {
		if it.Key == opt && !it.Bare {
			items[i].Value = value
			return iac.JoinProps(items)
		}
	}
	return iac.JoinProps(append(items, iac.Prop{Key: opt, Value: value}))
}

var cmpOpts = cmp.Options{cmpopts.EquateEmpty()}

// norm drops what the config does not carry (or what apply handles
// apart): notes, run state, placement, HA and creation-only settings.
func norm(g iac.Guest) iac.Guest {
	g.Unmapped, g.Ignore, g.HA, g.Clone = nil, nil, nil, nil
	g.Started, g.Node, g.Pool, g.Template = false, "", "", false
	g.PreventDestroy = false // code-only: the provider's lifecycle, not a PVE value
	if g.CT != nil && g.CT.TemplateFileID != "" {
		ct := *g.CT
		ct.TemplateFileID = "" // creation-only, not in PVE's config
		g.CT = &ct
	}
	if g.VM != nil {
		vm := *g.VM
		if a := vm.Agent; a != nil && !a.Enabled && !a.Trim && (a.Type == "virtio" || a.Type == "") {
			vm.Agent = nil // not recorded at import either
		}
		if t := vm.TPM; t != nil && (t.Datastore == "local-lvm" || t.Datastore == "") && t.Version == "v2.0" {
			vm.TPM = nil
		}
		g.VM = &vm
	}
	if g.Kind == iac.KindCT {
		g.Description = strings.TrimSuffix(g.Description, "\n")
	}
	return g
}
