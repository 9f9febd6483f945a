package terraform

import "github.com/proxmox-mpc/proxmox-mpc/internal/iac"

// Names returns the resource name Generate gives each guest (same index),
// for the same guests and existing map.
func Names(guests []iac.Guest, existing map[int]string) []string {
	return assignNames(guests, existing)
}

// Address is the resource address of a guest named name.
func Address(g iac.Guest, name string) string {
	if g.Kind == iac.KindCT {
		return TypeCT + "." + name
	}
	return TypeVM + "." + name
}
