package lifecycle

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/proxmox-mpc/proxmox-mpc/internal/inventory"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
)

// CloneRequest asks to clone a VM or container.
type CloneRequest struct {
	Source inventory.Guest
	Name   string // the new VM name or container hostname
	VMID   int    // 0 = the next free id
	Target string // node; "" = the source's node
	// Full copies the disks. Clones of templates are linked by default;
	// clones of other guests are always full, as PVE does.
	Full    bool
	Storage string // full clones only; "" = the source disks' storages
}

// ClonePlan is a clone's plan and what it will create.
type ClonePlan struct {
	Plan
	VMID   int
	Node   string
	Linked bool
}

// diskKeyRE matches the config keys that hold volumes.
var diskKeyRE = regexp.MustCompile(`^(?:(?:ide|sata|scsi|virtio|mp)\d+|efidisk0|tpmstate0|rootfs)$`)

// guestDisk is one volume of a guest config.
type guestDisk struct {
	Key, Storage string
	Size         int64
}

// guestDisks reads a guest's config and returns its volumes (no CD-ROMs,
// cloud-init drives, passthrough or unused disks) and the config digest.
func (s *Service) guestDisks(ctx context.Context, g inventory.Guest) ([]guestDisk, *pve.GuestConfig, error) {
	cfg, err := s.client.GuestConfig(ctx, g.Node, kindOf(g), g.VMID)
	if err != nil {
		return nil, nil, fmt.Errorf("read config of %s: %w", Label(g), err)
	}
	var out []guestDisk
	for _, k := range cfg.Keys() {
		if !diskKeyRE.MatchString(k) {
			continue
		}
		d, err := pve.ParseDisk(cfg.Values[k])
		if err != nil || d.Storage == "" || d.Media == "cdrom" || strings.Contains(d.Volume, "cloudinit") {
			continue
		}
		out = append(out, guestDisk{Key: k, Storage: d.Storage, Size: d.Size})
	}
	return out, cfg, nil
}

// contentOf is the storage content type of a guest's disks.
func contentOf(typ string) string {
	if typ == inventory.TypeCT {
		return "rootdir"
	}
	return "images"
}

// PlanClone validates a clone (name, VMID free, target node online,
// storages present on the target with room for full copies, shared
// storage for linked clones to another node) and plans its one call.
func (s *Service) PlanClone(ctx context.Context, req CloneRequest) (ClonePlan, error) {
	src := req.Source
	if err := ValidateGuestName(req.Name); err != nil {
		return ClonePlan{}, err
	}
	if req.VMID != 0 {
		if err := ValidateVMID(req.VMID); err != nil {
			return ClonePlan{}, err
		}
	}
	full := req.Full || !src.Template
	if req.Storage != "" && !full {
		return ClonePlan{}, &ValidationError{What: "option", Value: "--storage", Problem: "a linked clone keeps its disks on the template's storage", Fix: "add --full to copy the disks to " + req.Storage}
	}
	target := src.Node
	if req.Target != "" {
		if err := s.checkNode(ctx, req.Target); err != nil {
			return ClonePlan{}, err
		}
		target = req.Target
	}
	disks, _, err := s.guestDisks(ctx, src)
	if err != nil {
		return ClonePlan{}, err
	}
	if err := s.checkCloneStorage(ctx, src, disks, target, full, req.Storage); err != nil {
		return ClonePlan{}, err
	}
	vmid, err := s.nextVMID(ctx, req.VMID)
	if err != nil {
		return ClonePlan{}, err
	}
	form := url.Values{"newid": {strconv.Itoa(vmid)}}
	if src.Type == inventory.TypeCT {
		form.Set("hostname", req.Name)
	} else {
		form.Set("name", req.Name)
	}
	if full {
		form.Set("full", "1")
	}
	if target != src.Node {
		form.Set("target", target)
	}
	if req.Storage != "" {
		form.Set("storage", req.Storage)
	}
	p := ClonePlan{VMID: vmid, Node: target, Linked: !full}
	p.Verb = "clone"
	p.Warnings = guestWarnings(src)
	p.Steps = []Step{{Action: "clone", Guest: src, Call: Call{Method: "POST", Path: guestPath(src) + "/clone", Params: form}}}
	return p, nil
}

// checkCloneStorage checks where the clone's disks will live.
func (s *Service) checkCloneStorage(ctx context.Context, src inventory.Guest, disks []guestDisk, target string, full bool, storage string) error {
	if !full {
		if target == src.Node {
			return nil
		}
		list, err := s.client.Storage(ctx, src.Node)
		if err != nil {
			return err
		}
		for _, d := range disks {
			i := slices.IndexFunc(list, func(st pve.Storage) bool { return st.Storage == d.Storage })
			if i < 0 || !bool(list[i].Shared) {
				return &ValidationError{What: "target", Value: target, Problem: fmt.Sprintf("a linked clone must stay on %s: disk %s is on local storage %s", src.Node, d.Key, d.Storage), Fix: "add --full (and --storage on " + target + "), or leave --target out"}
			}
		}
		return nil
	}
	need := map[string]int64{}
	for _, d := range disks {
		st := d.Storage
		if storage != "" {
			st = storage
		}
		need[st] += d.Size
	}
	if storage != "" && len(disks) == 0 {
		need[storage] = 0
	}
	keys := make([]string, 0, len(need))
	for k := range need {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, st := range keys {
		if _, err := s.checkStorage(ctx, target, st, contentOf(src.Type), need[st]); err != nil {
			return err
		}
	}
	return nil
}
