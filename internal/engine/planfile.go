package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/iac"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// FormatVersion is the version of the saved plan document and of the JSON
// view. Load refuses any other.
const FormatVersion = 1

// savedPlan is the saved plan document.
type savedPlan struct {
	FormatVersion int       `json:"format_version"`
	CreatedAt     time.Time `json:"created_at"`
	CodeHash      string    `json:"code_hash"`
	// Digests are the live config digests the plan saw, by VMID, for every
	// guest it updates, replaces or deletes.
	Digests   map[int]string `json:"digests"`
	Unchanged int            `json:"unchanged"`
	Changes   []savedChange  `json:"changes"`
}

// savedChange carries the desired model and the live guest, so that apply
// needs neither the code nor a new read to know what to do.
type savedChange struct {
	GuestChange
	Desired *iac.Guest   `json:"desired,omitempty"`
	Live    *state.Guest `json:"live,omitempty"`
}

// Save writes the plan as a versioned JSON document (plan -out FILE).
func Save(w io.Writer, p Plan) error {
	doc := savedPlan{
		FormatVersion: FormatVersion, CreatedAt: p.CreatedAt, CodeHash: p.CodeHash,
		Digests: map[int]string{}, Unchanged: p.NoOps, Changes: make([]savedChange, len(p.Changes)),
	}
	for i, c := range p.Changes {
		doc.Changes[i] = savedChange{GuestChange: c, Desired: c.Desired, Live: c.Live}
		if c.Digest != "" {
			doc.Digests[c.VMID] = c.Digest
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("save plan: %w", err)
	}
	return nil
}

// PlanFileError is a saved plan that cannot be read.
type PlanFileError struct {
	Reason string
}

func (e *PlanFileError) Error() string { return "read saved plan: " + e.Reason }

// Hint says what to do.
func (e *PlanFileError) Hint() string {
	return "make the plan again with `proxmox-mpc plan -out FILE` using this version of proxmox-mpc"
}

// Load reads a plan written by Save. It refuses an unknown format
// version and a document whose changes are not well-formed.
func Load(r io.Reader) (Plan, error) {
	var head struct {
		FormatVersion *int `json:"format_version"`
	}
	raw, err := io.ReadAll(io.LimitReader(r, 1<<30))
	if err != nil {
		return Plan{}, fmt.Errorf("read saved plan: %w", err)
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return Plan{}, &PlanFileError{Reason: "not a saved plan (" + err.Error() + ")"}
	}
	if head.FormatVersion == nil {
		return Plan{}, &PlanFileError{Reason: "not a saved plan (no format_version)"}
	}
	if *head.FormatVersion != FormatVersion {
		return Plan{}, &PlanFileError{Reason: fmt.Sprintf("format version %d is not supported (this version reads %d)", *head.FormatVersion, FormatVersion)}
	}
	var doc savedPlan
	if err := json.Unmarshal(raw, &doc); err != nil {
		return Plan{}, &PlanFileError{Reason: err.Error()}
	}
	p := Plan{CreatedAt: doc.CreatedAt, CodeHash: doc.CodeHash, NoOps: doc.Unchanged}
	for i, sc := range doc.Changes {
		c := sc.GuestChange
		c.Desired, c.Live = sc.Desired, sc.Live
		if err := checkSaved(c); err != nil {
			return Plan{}, &PlanFileError{Reason: fmt.Sprintf("change %d (%s): %v", i, c.Address, err)}
		}
		p.Changes = append(p.Changes, c)
	}
	return p, nil
}

func checkSaved(c GuestChange) error {
	if _, ok := severity[c.Disruption]; !ok {
		return fmt.Errorf("unknown disruption %q", c.Disruption)
	}
	switch c.Action {
	case Create:
		if c.Desired == nil {
			return errors.New("a create without its desired guest")
		}
	case Update, Replace:
		if c.Desired == nil || c.Digest == "" {
			return errors.New("an update without its desired guest or digest")
		}
	case Delete:
		if c.VMID <= 0 || c.Digest == "" {
			return errors.New("a delete without its vmid or digest")
		}
	default:
		return fmt.Errorf("unknown action %q", c.Action)
	}
	if c.Desired != nil && c.Desired.Kind != iac.KindVM && c.Desired.Kind != iac.KindCT {
		return fmt.Errorf("unknown kind %q", c.Desired.Kind)
	}
	return nil
}

// StaleGuest is a guest that changed on the server since the plan.
type StaleGuest struct {
	Address string
	VMID    int
	Why     string
}

// StaleError means a saved plan no longer matches the code or the server.
type StaleError struct {
	CodeChanged bool
	Guests      []StaleGuest
}

func (e *StaleError) Error() string {
	var parts []string
	if e.CodeChanged {
		parts = append(parts, "the code changed since the plan was made")
	}
	for _, g := range e.Guests {
		parts = append(parts, fmt.Sprintf("%s (vmid %d) %s", g.Address, g.VMID, g.Why))
	}
	return "the saved plan is stale: " + strings.Join(parts, "; ")
}

// Hint says what to do.
func (e *StaleError) Hint() string {
	return "run `proxmox-mpc plan -out FILE` again and apply the new plan"
}

// Stale reports whether the plan can still be applied: the code must hash
// to codeHash and every guest the plan touches must still have the config
// digest the plan saw (liveDigests: VMID → digest of every live guest).
// The error is a *StaleError naming what changed.
func (p Plan) Stale(codeHash string, liveDigests map[int]string) error {
	e := &StaleError{CodeChanged: codeHash != p.CodeHash}
	for _, c := range p.Changes {
		cur, exists := liveDigests[c.VMID]
		switch {
		case c.Action == Create:
			if c.VMID != 0 && exists {
				e.Guests = append(e.Guests, StaleGuest{c.Address, c.VMID, "was created on the server since the plan"})
			}
		case !exists:
			e.Guests = append(e.Guests, StaleGuest{c.Address, c.VMID, "is gone from the server"})
		case cur != c.Digest:
			e.Guests = append(e.Guests, StaleGuest{c.Address, c.VMID, "changed on the server since the plan (config digest " + short(c.Digest) + " → " + short(cur) + ")"})
		}
	}
	if !e.CodeChanged && len(e.Guests) == 0 {
		return nil
	}
	slices.SortFunc(e.Guests, func(a, b StaleGuest) int { return a.VMID - b.VMID })
	return e
}

func short(d string) string {
	if len(d) > 12 {
		return d[:12]
	}
	if d == "" {
		return strconv.Quote(d)
	}
	return d
}
