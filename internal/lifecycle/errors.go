package lifecycle

import (
	"fmt"
	"strings"
)

// ValidationError is input rejected before any API call.
type ValidationError struct {
	What    string // "snapshot name", "guest", ...
	Value   string
	Problem string
	Fix     string
}

var _ error = (*ValidationError)(nil)

func (e *ValidationError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("invalid %s: %s", e.What, e.Problem)
	}
	return fmt.Sprintf("invalid %s %q: %s", e.What, e.Value, e.Problem)
}

// Hint is the fix.
func (e *ValidationError) Hint() string { return e.Fix }

// ProtectedError refuses a disruptive verb on guests tagged "protected".
type ProtectedError struct {
	Verb   string
	Guests []string // labels
}

var _ error = (*ProtectedError)(nil)

func (e *ProtectedError) Error() string {
	return fmt.Sprintf("refusing to %s protected guest(s): %s", e.Verb, strings.Join(e.Guests, ", "))
}

// Hint says how to override.
func (e *ProtectedError) Hint() string {
	return "these guests carry the tag \"protected\"; pass --force to " + e.Verb + " them anyway"
}

// RunningError refuses to delete a running guest.
type RunningError struct {
	Guests []string
}

var _ error = (*RunningError)(nil)

func (e *RunningError) Error() string {
	return "refusing to delete running guest(s): " + strings.Join(e.Guests, ", ")
}

// Hint offers --stop.
func (e *RunningError) Hint() string {
	return "PVE only deletes stopped guests; pass --stop to stop them first, or stop them with `proxmox-mpc stop`"
}
