package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/iac/terraform"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// Inputs are what a plan is made from: the code read from terraform/ and
// the live guests (a fresh discovery, or the last sync).
type Inputs struct {
	Code     *terraform.Code
	CodeHash string // HashFiles of the files Code was read from
	Live     []state.Guest
	// Managed reports whether a live guest is (or was) managed by the code;
	// nil: none, so nothing is deleted.
	Managed func(vmid int) bool
}

// Plan makes the plan of in at time now.
func (in *Inputs) Plan(now time.Time) Plan {
	var guests []terraform.Guest
	var files map[string]string
	if in.Code != nil {
		guests, files = in.Code.Guests, in.Code.Files
	}
	return Diff(guests, in.Live, DiffOptions{Managed: in.Managed, Files: files, CodeHash: in.CodeHash, Now: now})
}

// HashFiles is the SHA-256 (hex) of a set of files (name → content),
// independent of map order: the code hash of a plan.
func HashFiles(files map[string][]byte) string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	h := sha256.New()
	for _, n := range names {
		h.Write([]byte(strconv.Itoa(len(n)) + ":" + n + "\n" + strconv.Itoa(len(files[n])) + "\n"))
		h.Write(files[n])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Digests maps the VMID of every live guest to its config digest, for
// Plan.Stale.
func Digests(live []state.Guest) map[int]string {
	out := make(map[int]string, len(live))
	for _, g := range live {
		if g.RemovedAt == nil {
			out[g.VMID] = g.Digest
		}
	}
	return out
}
