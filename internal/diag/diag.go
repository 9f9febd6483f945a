// Package diag turns errors into user-facing diagnostics — a one-line
// Summary (what failed), a Detail (why, with real values) and a Hint (the
// exact next command) — and renders them as text or JSON. It is a leaf
// package: stdlib only.
package diag

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Severity ranks a diagnostic.
type Severity int

// Severities.
const (
	SeverityError Severity = iota
	SeverityWarning
)

// String returns "error" or "warning".
func (s Severity) String() string {
	switch s {
	case SeverityError:
		return "error"
	case SeverityWarning:
		return "warning"
	default:
		return fmt.Sprintf("severity(%d)", int(s))
	}
}

// MarshalText implements encoding.TextMarshaler ("error", "warning").
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Severity) UnmarshalText(b []byte) error {
	switch string(b) {
	case "error":
		*s = SeverityError
	case "warning":
		*s = SeverityWarning
	default:
		return fmt.Errorf("unknown severity %q", b)
	}
	return nil
}

// Diagnostic is a user-facing error or warning. It implements error, so a
// command may return one directly to control exactly what the user sees.
type Diagnostic struct {
	Severity Severity
	Summary  string
	Detail   string
	Hint     string
}

var _ error = Diagnostic{}

// Error returns the Summary.
func (d Diagnostic) Error() string { return d.Summary }

// Detailer is implemented by errors that carry an explanatory detail.
type Detailer interface{ Detail() string }

// Hinter is implemented by errors that know the user's next step.
type Hinter interface{ Hint() string }

// FromError builds a Diagnostic from err.
//
//   - An error that is (errors.As) a Diagnostic or *Diagnostic is used as is (nil *Diagnostic is skipped);
//     its empty Detail/Hint are filled from the rest of the chain.
//   - Otherwise Summary is the first line of err.Error(); Detail comes from
//     the outermost error in the chain with a non-empty Detail(), or, if
//     none, from the remaining lines of err.Error(); Hint comes from the
//     outermost error with a non-empty Hint().
//
// The chain is walked depth-first through Unwrap() error and
// Unwrap() []error, like errors.As. A nil err gives the zero Diagnostic.
func FromError(err error) Diagnostic {
	if err == nil {
		return Diagnostic{}
	}
	d, ok := findDiagnostic(err)
	if !ok {
		msg := strings.TrimRight(err.Error(), "\n")
		summary, rest, _ := strings.Cut(msg, "\n")
		d.Summary = strings.TrimSpace(summary)
		d.Detail = strings.TrimSpace(rest)
		if det := findString(err, detailOf); det != "" {
			d.Detail = det
		}
	}
	if d.Detail == "" {
		d.Detail = findString(err, detailOf)
	}
	if d.Hint == "" {
		d.Hint = findString(err, hintOf)
	}
	return d
}

// findDiagnostic is errors.As for Diagnostic and *Diagnostic, bounded in
// depth so a cyclic Unwrap cannot hang.
func findDiagnostic(err error) (Diagnostic, bool) {
	var found *Diagnostic
	walk(err, func(e error) bool {
		switch x := e.(type) {
		case Diagnostic:
			found = &x
		case *Diagnostic:
			if x != nil {
				found = x
			}
		}
		return found != nil
	})
	if found == nil {
		return Diagnostic{}, false
	}
	return *found, true
}

func detailOf(err error) string {
	if x, ok := err.(Detailer); ok {
		return x.Detail()
	}
	return ""
}

func hintOf(err error) string {
	if x, ok := err.(Hinter); ok {
		return x.Hint()
	}
	return ""
}

// findString returns the first non-empty value of get in err's tree.
func findString(err error, get func(error) string) string {
	var out string
	walk(err, func(e error) bool {
		out = strings.TrimSpace(get(e))
		return out != ""
	})
	return out
}

// maxDepth bounds the chain walk so a cyclic Unwrap cannot hang.
const maxDepth = 100

// walk visits err's tree depth-first (the order errors.As uses) through
// Unwrap() error and Unwrap() []error until visit returns true.
func walk(err error, visit func(error) bool) bool {
	var rec func(e error, depth int) bool
	rec = func(e error, depth int) bool {
		if e == nil || depth > maxDepth {
			return false
		}
		if visit(e) {
			return true
		}
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			return rec(u.Unwrap(), depth+1)
		case interface{ Unwrap() []error }:
			for _, inner := range u.Unwrap() {
				if rec(inner, depth+1) {
					return true
				}
			}
		}
		return false
	}
	return rec(err, 0)
}

const (
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiBold   = "\x1b[1m"
	ansiReset  = "\x1b[0m"
)

// Render writes d as text:
//
//	Error: <summary>
//	  <detail line 1>
//	  <detail line 2>
//	Hint: <hint>
//
// "Warning: " replaces "Error: " for warnings. Empty Detail and Hint are
// omitted. With color the label is red (error) or yellow (warning) and the
// "Hint:" label is bold.
func Render(w io.Writer, d Diagnostic, color bool) {
	var b strings.Builder
	label, code := "Error:", ansiRed
	if d.Severity == SeverityWarning {
		label, code = "Warning:", ansiYellow
	}
	if color {
		label = code + label + ansiReset
	}
	b.WriteString(label)
	b.WriteByte(' ')
	b.WriteString(d.Summary)
	b.WriteByte('\n')
	if detail := strings.TrimRight(d.Detail, "\n"); detail != "" {
		for line := range strings.SplitSeq(detail, "\n") {
			if strings.TrimSpace(line) == "" {
				b.WriteByte('\n')
				continue
			}
			b.WriteString("  ")
			b.WriteString(strings.TrimRight(line, " \t\r"))
			b.WriteByte('\n')
		}
	}
	if d.Hint != "" {
		hl := "Hint:"
		if color {
			hl = ansiBold + hl + ansiReset
		}
		b.WriteString(hl)
		b.WriteByte(' ')
		b.WriteString(d.Hint)
		b.WriteByte('\n')
	}
	_, _ = io.WriteString(w, b.String())
}

type jsonDiagnostic struct {
	Severity Severity `json:"severity"`
	Summary  string   `json:"summary"`
	Detail   string   `json:"detail"`
	Hint     string   `json:"hint"`
}

// RenderJSON writes d as one JSON object followed by a newline:
// {"severity":"error","summary":"...","detail":"...","hint":"..."}.
// All four fields are always present (empty strings when unset).
func RenderJSON(w io.Writer, d Diagnostic) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(jsonDiagnostic(d)); err != nil {
		return fmt.Errorf("write diagnostic json: %w", err)
	}
	return nil
}

// OrList joins choices for a suggestion: "a", "a or b", "a, b or c".
func OrList(s []string) string {
	if len(s) < 3 {
		return strings.Join(s, " or ")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}
