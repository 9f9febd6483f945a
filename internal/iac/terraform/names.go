// Package terraform writes the guest model as Terraform code in the
// bpg/proxmox provider's dialect (proxmox_virtual_environment_vm and
// proxmox_virtual_environment_container, with import blocks), reads such
// code back, and checks it against the provider schema. Everything here is
// a pure function: it returns files and never writes them.
package terraform

import (
	"slices"
	"strconv"
	"strings"

	"github.com/proxmox-mpc/proxmox-mpc/internal/iac"
)

// Resource types the writer emits.
const (
	TypeVM = "proxmox_virtual_environment_vm"
	TypeCT = "proxmox_virtual_environment_container"
)

// Files the writer always writes; a guest file never takes one of these names.
var reservedFiles = map[string]bool{"versions": true, "providers": true, "variables": true, "outputs": true, "main": true}

// ResourceName derives a resource name from the guest name: lower case,
// runs of characters outside [a-z0-9_] become "_", and a name that does not
// start with a letter gets a "vm_" (VM) or "ct_" (container) prefix; an
// empty name becomes "vm_<vmid>" / "ct_<vmid>". Collisions are resolved by
// Generate, not here.
func ResourceName(g iac.Guest) string {
	var b strings.Builder
	lastUnderscore := false
	for _, r := range strings.ToLower(g.Name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			lastUnderscore = false
		default:
			if !lastUnderscore && b.Len() > 0 {
				b.WriteByte('_')
			}
			lastUnderscore = true
		}
	}
	name := strings.TrimRight(b.String(), "_")
	prefix := "vm_"
	if g.Kind == iac.KindCT {
		prefix = "ct_"
	}
	if name == "" {
		return prefix + strconv.Itoa(g.VMID)
	}
	if name[0] < 'a' || name[0] > 'z' {
		return prefix + name
	}
	return name
}

// validName reports whether s can be a resource name the writer emits.
func validName(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' && r != '-' {
			return false
		}
	}
	return true
}

// assignNames gives every guest a unique resource name (which is also its
// file name): existing names win; a derived name that several guests share,
// or that is taken or reserved, gets "_<vmid>" appended for every guest
// sharing it. Guests are identified by index.
func assignNames(guests []iac.Guest, existing map[int]string) []string {
	names := make([]string, len(guests))
	taken := map[string]bool{}
	for i, g := range guests {
		if n, ok := existing[g.VMID]; ok && validName(n) && !taken[n] && !reservedFiles[n] {
			names[i] = n
			taken[n] = true
		}
	}
	base := make([]string, len(guests))
	count := map[string]int{}
	for i, g := range guests {
		if names[i] != "" {
			continue
		}
		base[i] = ResourceName(g)
		count[base[i]]++
	}
	// Deterministic: resolve in VMID order, whatever the input order.
	order := make([]int, 0, len(guests))
	for i := range guests {
		if names[i] == "" {
			order = append(order, i)
		}
	}
	slices.SortFunc(order, func(a, b int) int { return guests[a].VMID - guests[b].VMID })
	for _, i := range order {
		n := base[i]
		if count[n] > 1 || taken[n] || reservedFiles[n] {
			n += "_" + strconv.Itoa(guests[i].VMID)
		}
		for k := 2; taken[n]; k++ {
			n = base[i] + "_" + strconv.Itoa(guests[i].VMID) + "_" + strconv.Itoa(k)
		}
		names[i] = n
		taken[n] = true
	}
	return names
}
