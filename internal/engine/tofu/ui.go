package tofu

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"time"
)

// Event types of the machine-readable UI that callers branch on. Any other
// type tofu prints ("outputs", "provision_progress", "ephemeral_action_started",
// a type added by a later release...) is passed on with its name as is.
const (
	EventVersion         = "version"
	EventLog             = "log" // a plain message ("Initializing provider plugins..."), or a line without a type
	EventDiagnostic      = "diagnostic"
	EventPlannedChange   = "planned_change"
	EventResourceDrift   = "resource_drift"
	EventChangeSummary   = "change_summary"
	EventApplyStart      = "apply_start"
	EventApplyProgress   = "apply_progress"
	EventApplyComplete   = "apply_complete"
	EventApplyErrored    = "apply_errored"
	EventRefreshStart    = "refresh_start"
	EventRefreshComplete = "refresh_complete"
	EventOutputs         = "outputs"
	// EventText is a line of the stream ParseUI could not decode, kept as
	// it was in Message.
	EventText = "text"
)

// Severities of diagnostics (and of log lines tofu marks as such).
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
)

// Event is one message of tofu's (or terraform's) machine-readable UI, the
// stream `plan|apply|destroy|init -json` print, one JSON object a line.
type Event struct {
	Type string `json:"type"`
	// Address of the resource the message is about
	// ("terraform_data.web[0]", "module.x.proxmox_virtual_environment_vm.y").
	Address string `json:"address,omitempty"`
	// Action: "create", "update", "replace", "delete", "read", "noop",
	// "move", "remove", "import", "forget" for planned changes and drift,
	// and the hook's action ("create", "update", "delete", ...) for apply_*.
	Action string `json:"action,omitempty"`
	// Elapsed is the time spent on the resource so far (apply_progress) or
	// in all (apply_complete, apply_errored).
	Elapsed time.Duration `json:"elapsed,omitempty"`
	// Message is the human line tofu wrote ("terraform_data.db: Creating...");
	// for a diagnostic it is the diagnostic's summary, without the
	// "Error: " prefix (Severity says which).
	Message string `json:"message"`
	// Severity is "error" or "warning" for diagnostics and for log lines
	// tofu raised to that level; "" otherwise.
	Severity string `json:"severity,omitempty"`
	// Detail is a diagnostic's detail, or why a planned change replaces
	// ("cannot_update", "replace_by_request", ...).
	Detail string `json:"detail,omitempty"`
	// File and Line locate a diagnostic in the configuration (relative to
	// the working directory, as tofu names it); empty when it has none.
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	// Summary is set for change_summary.
	Summary *ChangeSummary `json:"summary,omitempty"`
}

// ChangeSummary counts the changes of a plan, apply or destroy.
type ChangeSummary struct {
	Add       int    `json:"add"`
	Change    int    `json:"change"`
	Import    int    `json:"import"`
	Remove    int    `json:"remove"`
	Forget    int    `json:"forget"`              // OpenTofu only
	Operation string `json:"operation,omitempty"` // "plan", "apply" or "destroy"
}

// uiMessage is the union of the fields ParseUI reads. Everything is
// optional: a message that lacks a field simply leaves it empty.
type uiMessage struct {
	Level   string `json:"@level"`
	Message string `json:"@message"`
	Type    string `json:"type"`
	Hook    *struct {
		Resource       uiResource `json:"resource"`
		Action         string     `json:"action"`
		ElapsedSeconds float64    `json:"elapsed_seconds"`
	} `json:"hook"`
	Change *struct {
		Resource uiResource `json:"resource"`
		Action   string     `json:"action"`
		Reason   string     `json:"reason"`
	} `json:"change"`
	Changes    *ChangeSummary `json:"changes"`
	Diagnostic *struct {
		Severity string `json:"severity"`
		Summary  string `json:"summary"`
		Detail   string `json:"detail"`
		Address  string `json:"address"`
		Range    *struct {
			Filename string `json:"filename"`
			Start    struct {
				Line int `json:"line"`
			} `json:"start"`
		} `json:"range"`
	} `json:"diagnostic"`
}

type uiResource struct {
	Addr string `json:"addr"`
}

// maxLine bounds one line of the stream (a diagnostic with a long detail,
// a big planned change); a longer line is an error rather than unbounded
// memory.
const maxLine = 64 << 20

// ParseUI reads the machine-readable UI stream of tofu or terraform
// (https://developer.hashicorp.com/terraform/internals/machine-readable-ui;
// OpenTofu prints the same, with "tofu" for "terraform" in the version
// message and a "forget" count) and calls fn with each message, in order.
// It is tolerant: a message of an unknown type is passed on under its own
// type, a JSON object without a type is a log line, fields it does not
// know are ignored, and a line that is not a JSON object (or whose known
// fields have unexpected JSON types) is an EventText with the line as its
// Message.
// It returns only when r ends (nil) or fails to read (the error).
func ParseUI(r io.Reader, fn func(Event)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		ev := parseLine(line)
		if fn != nil {
			fn(ev)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read the -json output: %w", err)
	}
	return nil
}

// parseLine turns one line of the stream into an Event.
func parseLine(line []byte) Event {
	var m uiMessage
	if line[0] != '{' || json.Unmarshal(line, &m) != nil {
		return Event{Type: EventText, Message: string(line)}
	}
	ev := Event{Type: m.Type, Message: m.Message}
	if ev.Type == "" {
		ev.Type = EventLog
	}
	switch m.Level {
	case "error":
		ev.Severity = SeverityError
	case "warn":
		ev.Severity = SeverityWarning
	}
	if h := m.Hook; h != nil {
		ev.Address = h.Resource.Addr
		ev.Action = h.Action
		ev.Elapsed = seconds(h.ElapsedSeconds)
	}
	if c := m.Change; c != nil {
		ev.Address = c.Resource.Addr
		ev.Action = c.Action
		ev.Detail = c.Reason
	}
	if m.Changes != nil && ev.Type == EventChangeSummary {
		s := *m.Changes
		ev.Summary = &s
	}
	if d := m.Diagnostic; d != nil && ev.Type == EventDiagnostic {
		ev.Message = d.Summary
		ev.Detail = d.Detail
		if d.Address != "" {
			ev.Address = d.Address
		}
		switch d.Severity {
		case "error":
			ev.Severity = SeverityError
		case "warning":
			ev.Severity = SeverityWarning
		}
		if d.Range != nil {
			ev.File = d.Range.Filename
			ev.Line = d.Range.Start.Line
		}
	}
	return ev
}

// seconds converts tofu's elapsed_seconds, clamping what a Duration cannot
// hold (the field is an int in practice; JSON allows anything).
func seconds(s float64) time.Duration {
	switch {
	case math.IsNaN(s) || s <= 0:
		return 0
	case s >= float64(math.MaxInt64/int64(time.Second)):
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(s * float64(time.Second))
}
