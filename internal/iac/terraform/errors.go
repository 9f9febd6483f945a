package terraform

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// Error is a problem in a Terraform file, with its position.
type Error struct {
	File      string
	Line, Col int
	Summary   string
	HintText  string // what to do about it; returned by Hint
}

// Error returns "file:line:col: summary".
func (e *Error) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Summary)
}

// Hint returns what the user can do about the problem ("" when nothing useful).
func (e *Error) Hint() string { return e.HintText }

func errAt(r hcl.Range, hint, format string, args ...any) *Error {
	return &Error{File: r.Filename, Line: r.Start.Line, Col: r.Start.Column, Summary: fmt.Sprintf(format, args...), HintText: hint}
}

// diagErrors maps HCL diagnostics (errors only) to Errors.
func diagErrors(diags hcl.Diagnostics, hint string) []*Error {
	var out []*Error
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		e := &Error{Summary: d.Summary, HintText: hint}
		if d.Detail != "" {
			e.Summary += ": " + d.Detail
		}
		if d.Subject != nil {
			e.File, e.Line, e.Col = d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column
		}
		out = append(out, e)
	}
	return out
}
