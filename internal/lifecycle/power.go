package lifecycle

import (
	"fmt"
	"slices"
	"strings"

	"github.com/proxmox-mpc/proxmox-mpc/internal/inventory"
)

// Power verbs.
const (
	VerbStart    = "start"
	VerbStop     = "stop"
	VerbShutdown = "shutdown"
	VerbReboot   = "reboot"
	VerbSuspend  = "suspend"
	VerbResume   = "resume"
)

// PowerVerbs lists the power verbs in help order.
func PowerVerbs() []string {
	return []string{VerbStart, VerbStop, VerbShutdown, VerbReboot, VerbSuspend, VerbResume}
}

// ProtectedTag marks guests that stop, shutdown, reboot, suspend and
// delete refuse without --force.
const ProtectedTag = "protected"

// PowerRequest asks for one power verb on guests.
type PowerRequest struct {
	Verb   string
	Guests []inventory.Guest
	// Force acts on guests tagged "protected".
	Force bool
	// Timeout (seconds) for shutdown; 0 = the server default. Reboot and
	// shutdown of containers take it too.
	Timeout int
}

// disruptive verbs interrupt a running guest.
func disruptive(verb string) bool {
	return verb == VerbStop || verb == VerbShutdown || verb == VerbReboot || verb == VerbSuspend
}

// PlanPower plans a power verb: one POST .../status/{verb} per guest that
// needs it. Guests already in the wanted state and templates are skipped
// with a note; locked and HA-managed guests get a warning; protected
// guests are refused (a *ProtectedError) unless Force.
func (s *Service) PlanPower(req PowerRequest) (Plan, error) {
	if !slices.Contains(PowerVerbs(), req.Verb) {
		return Plan{}, &ValidationError{What: "verb", Value: req.Verb, Problem: "not a power verb", Fix: "use one of " + strings.Join(PowerVerbs(), ", ")}
	}
	if req.Timeout < 0 {
		return Plan{}, &ValidationError{What: "timeout", Value: fmt.Sprint(req.Timeout), Problem: "must not be negative", Fix: "pass --timeout in seconds, e.g. --timeout 120"}
	}
	p := Plan{Verb: req.Verb}
	var protected []string
	for _, g := range req.Guests {
		if disruptive(req.Verb) && isProtected(g) && !req.Force {
			protected = append(protected, Label(g))
			continue
		}
		if skip := powerSkip(req.Verb, g); skip != "" {
			p.Skipped = append(p.Skipped, Notice{Guest: g, Message: skip})
			continue
		}
		p.Warnings = append(p.Warnings, guestWarnings(g)...)
		call := Call{Method: "POST", Path: guestPath(g) + "/status/" + req.Verb}
		if req.Timeout > 0 && (req.Verb == VerbShutdown || req.Verb == VerbReboot || (req.Verb == VerbStop && g.Type == inventory.TypeVM)) {
			call.Params = map[string][]string{"timeout": {fmt.Sprint(req.Timeout)}}
		}
		p.Steps = append(p.Steps, Step{Action: req.Verb, Guest: g, Call: call, Group: len(p.Steps)})
	}
	if len(protected) > 0 {
		return Plan{}, &ProtectedError{Verb: req.Verb, Guests: protected}
	}
	return p, nil
}

func powerSkip(verb string, g inventory.Guest) string {
	if g.Template {
		return "is a template; templates cannot run"
	}
	running := strings.EqualFold(g.Status, "running")
	switch verb {
	case VerbStart:
		if running {
			return "is already running"
		}
	case VerbStop, VerbShutdown, VerbReboot, VerbSuspend, VerbResume:
		if strings.EqualFold(g.Status, "stopped") {
			return "is not running"
		}
	}
	return ""
}

func isProtected(g inventory.Guest) bool {
	return slices.ContainsFunc(g.Tags, func(t string) bool { return strings.EqualFold(t, ProtectedTag) })
}

// guestWarnings are the notes shown before acting on g.
func guestWarnings(g inventory.Guest) []Notice {
	var out []Notice
	if g.Lock != "" {
		out = append(out, Notice{Guest: g, Message: fmt.Sprintf("is locked (%s); the server will likely refuse", g.Lock)})
	}
	if g.HAState != "" {
		out = append(out, Notice{Guest: g, Message: fmt.Sprintf("is managed by HA (state %s); the HA manager may override this", g.HAState)})
	}
	if isProtected(g) {
		out = append(out, Notice{Guest: g, Message: "is tagged protected (acting because of --force)"})
	}
	return out
}
