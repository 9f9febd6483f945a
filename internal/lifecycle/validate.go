package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/proxmox-mpc/proxmox-mpc/internal/diag"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
)

// VMID bounds of PVE (pve-vmid).
const (
	MinVMID = 100
	MaxVMID = 999999999
)

// dnsLabelRE is one label of PVE's dns-name format: letters, digits and
// hyphens, neither first nor last a hyphen.
var dnsLabelRE = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$`)

// ValidateGuestName checks a VM name or container hostname against PVE's
// dns-name format (dot-separated DNS labels of at most 63 characters).
func ValidateGuestName(name string) error {
	if name == "" {
		return &ValidationError{What: "name", Problem: "empty", Fix: "pass --name, e.g. --name web-01"}
	}
	if len(name) > 253 {
		return &ValidationError{What: "name", Value: name[:20] + "…", Problem: "longer than 253 characters", Fix: "choose a shorter name"}
	}
	for _, l := range strings.Split(name, ".") {
		if len(l) > 63 || !dnsLabelRE.MatchString(l) {
			return &ValidationError{What: "name", Value: name, Problem: "must be a DNS name: letters, digits and '-' (not first or last), labels of at most 63 separated by '.'", Fix: "e.g. web-01 or web-01.lab"}
		}
	}
	return nil
}

// ValidateVMID checks the VMID range (a number VMID only; 0 = choose).
func ValidateVMID(vmid int) error {
	if vmid < MinVMID || vmid > MaxVMID {
		return &ValidationError{What: "VMID", Value: strconv.Itoa(vmid), Problem: fmt.Sprintf("outside %d..%d", MinVMID, MaxVMID), Fix: "leave --vmid out to take the next free id"}
	}
	return nil
}

// ParseMemory parses a memory size ("8G", "512M"; a bare number is MiB,
// as PVE's memory option is) into MiB.
func ParseMemory(s string) (int, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(s); err == nil {
		if n < 16 {
			return 0, &ValidationError{What: "memory", Value: s, Problem: "less than 16 MiB", Fix: "e.g. --memory 2G or --memory 2048 (MiB)"}
		}
		return n, nil
	}
	b, err := pve.ParseSize(s)
	if err != nil {
		return 0, &ValidationError{What: "memory", Value: s, Problem: "not a size", Fix: "e.g. --memory 8G, 512M or 2048 (MiB)"}
	}
	if b%(1<<20) != 0 {
		return 0, &ValidationError{What: "memory", Value: s, Problem: "not a whole number of MiB", Fix: "e.g. --memory 1536M"}
	}
	if b < 16<<20 {
		return 0, &ValidationError{What: "memory", Value: s, Problem: "less than 16 MiB", Fix: "e.g. --memory 2G"}
	}
	return int(b >> 20), nil
}

// ParseDiskSize parses a disk size ("32G"; a bare number is GiB, as in
// PVE's STORAGE:SIZE shorthand) into bytes; it must be whole GiB.
func ParseDiskSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(s); err == nil {
		s = strconv.Itoa(n) + "G"
	}
	b, err := pve.ParseSize(s)
	if err != nil || b <= 0 {
		return 0, &ValidationError{What: "disk size", Value: s, Problem: "not a positive size", Fix: "e.g. --disk 32G"}
	}
	if b%(1<<30) != 0 {
		return 0, &ValidationError{What: "disk size", Value: s, Problem: "not a whole number of GiB", Fix: "e.g. --disk 32G"}
	}
	return b, nil
}

// ValidateCores checks a CPU core count.
func ValidateCores(n int) error {
	if n < 1 || n > 8192 {
		return &ValidationError{What: "cores", Value: strconv.Itoa(n), Problem: "must be at least 1", Fix: "e.g. --cores 2"}
	}
	return nil
}

// tagRE is PVE's pve-tag format.
var tagRE = regexp.MustCompile(`^(?i)[a-z0-9_][a-z0-9_\-+.]*$`)

// ParseTags splits "a,b" (or ";"/space separated) tags, checks each and
// drops repeats.
func ParseTags(s string) ([]string, error) {
	var out []string
	for _, t := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' }) {
		if !tagRE.MatchString(t) {
			return nil, &ValidationError{What: "tag", Value: t, Problem: "must start with a letter, digit or '_' and contain only letters, digits, _ - + .", Fix: "e.g. --tags web,prod"}
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out, nil
}

// checkVMIDFree asks the server whether vmid is unused.
func (s *Service) checkVMIDFree(ctx context.Context, vmid int) error {
	if err := ValidateVMID(vmid); err != nil {
		return err
	}
	err := s.client.CheckID(ctx, vmid)
	var ae *pve.APIError
	if errors.As(err, &ae) && ae.Status == 400 {
		return &ValidationError{What: "VMID", Value: strconv.Itoa(vmid), Problem: "already in use", Fix: "choose another --vmid, or leave it out to take the next free id"}
	}
	return err
}

// nextVMID returns vmid after checking it is free, or the next free one.
func (s *Service) nextVMID(ctx context.Context, vmid int) (int, error) {
	if vmid != 0 {
		return vmid, s.checkVMIDFree(ctx, vmid)
	}
	return s.client.NextID(ctx)
}

// checkNode checks that node exists and is online.
func (s *Service) checkNode(ctx context.Context, node string) error {
	nodes, err := s.client.Nodes(ctx)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(nodes))
	for _, n := range nodes {
		if n.Node == node {
			if n.Status != "online" {
				return &ValidationError{What: "node", Value: node, Problem: "is " + n.Status, Fix: "pick an online node; `proxmox-mpc get nodes` lists them"}
			}
			return nil
		}
		names = append(names, n.Node)
	}
	fix := "nodes: " + strings.Join(names, ", ")
	if sug := diag.Suggest(node, names); len(sug) > 0 {
		fix = "did you mean " + strings.Join(sug, " or ") + "?"
	}
	return &ValidationError{What: "node", Value: node, Problem: "not in the cluster", Fix: fix}
}

// checkStorage checks that storage is usable on node for content and has
// need bytes available (need 0 = no room check), and returns it.
func (s *Service) checkStorage(ctx context.Context, node, storage, content string, need int64) (pve.Storage, error) {
	list, err := s.client.Storage(ctx, node)
	if err != nil {
		return pve.Storage{}, err
	}
	var fitting []string
	var found *pve.Storage
	for i, st := range list {
		if slices.Contains(strings.Split(st.Content, ","), content) {
			fitting = append(fitting, st.Storage)
		}
		if st.Storage == storage {
			found = &list[i]
		}
	}
	fix := "storages on " + node + " for " + content + ": " + strings.Join(fitting, ", ")
	switch {
	case found == nil:
		if sug := diag.Suggest(storage, fitting); len(sug) > 0 {
			fix = "did you mean " + strings.Join(sug, " or ") + "?"
		}
		return pve.Storage{}, &ValidationError{What: "storage", Value: storage, Problem: "does not exist on node " + node, Fix: fix}
	case !slices.Contains(strings.Split(found.Content, ","), content):
		return pve.Storage{}, &ValidationError{What: "storage", Value: storage, Problem: "does not hold " + content + " (it holds " + found.Content + ")", Fix: fix}
	case !bool(found.Active):
		return pve.Storage{}, &ValidationError{What: "storage", Value: storage, Problem: "is not active on node " + node, Fix: fix}
	case need > 0 && int64(found.Avail) < need:
		return pve.Storage{}, &ValidationError{What: "storage", Value: storage, Problem: fmt.Sprintf("has %s free, %s needed", pve.FormatSize(int64(found.Avail)), pve.FormatSize(need)), Fix: "free space, or pick another --storage; " + fix}
	}
	return *found, nil
}

// firstStorage picks the storage of node for content: local (not shared)
// storages first, then the one with the most room.
func (s *Service) firstStorage(ctx context.Context, node, content string) (string, error) {
	list, err := s.client.Storage(ctx, node)
	if err != nil {
		return "", err
	}
	best, bestShared, avail := "", true, int64(-1)
	for _, st := range list {
		if !bool(st.Active) || !slices.Contains(strings.Split(st.Content, ","), content) {
			continue
		}
		shared := bool(st.Shared)
		if best == "" || (bestShared && !shared) || (shared == bestShared && int64(st.Avail) > avail) {
			best, bestShared, avail = st.Storage, shared, int64(st.Avail)
		}
	}
	if best == "" {
		return "", &ValidationError{What: "node", Value: node, Problem: "has no active storage for " + content, Fix: "pass --storage, or enable " + content + " content on a storage"}
	}
	return best, nil
}

// checkBridge checks that bridge is a bridge (or OVS bridge) on node.
func (s *Service) checkBridge(ctx context.Context, node, bridge string) error {
	ifs, err := s.client.Network(ctx, node)
	if err != nil {
		return err
	}
	var bridges []string
	for _, i := range ifs {
		if i.Type == "bridge" || i.Type == "OVSBridge" {
			if i.Iface == bridge {
				return nil
			}
			bridges = append(bridges, i.Iface)
		}
	}
	return &ValidationError{What: "bridge", Value: bridge, Problem: "not a bridge on node " + node, Fix: "bridges on " + node + ": " + strings.Join(bridges, ", ")}
}
