package diag

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type hintErr struct {
	msg, hint string
	err       error
}

func (e *hintErr) Error() string { return e.msg }
func (e *hintErr) Hint() string  { return e.hint }
func (e *hintErr) Unwrap() error { return e.err }

type detailErr struct{ msg, detail string }

func (e *detailErr) Error() string  { return e.msg }
func (e *detailErr) Detail() string { return e.detail }

func TestFromError(t *testing.T) {
	t.Parallel()
	inner := &hintErr{msg: "inner", hint: "inner hint"}
	tests := []struct {
		name string
		err  error
		want Diagnostic
	}{
		{"nil", nil, Diagnostic{}},
		{"plain", errors.New("boom"), Diagnostic{Summary: "boom"}},
		{
			"multi-line message becomes detail",
			errors.New("first line\nsecond\nthird\n"),
			Diagnostic{Summary: "first line", Detail: "second\nthird"},
		},
		{
			"hint through wrap",
			fmt.Errorf("start vm 100: %w", inner),
			Diagnostic{Summary: "start vm 100: inner", Hint: "inner hint"},
		},
		{
			"outermost hinter wins",
			&hintErr{msg: "outer", hint: "outer hint", err: inner},
			Diagnostic{Summary: "outer", Hint: "outer hint"},
		},
		{
			"empty outer hint falls through",
			&hintErr{msg: "outer", err: inner},
			Diagnostic{Summary: "outer", Hint: "inner hint"},
		},
		{
			"detail via joined errors",
			fmt.Errorf("sync: %w", errors.Join(errors.New("a"), &detailErr{msg: "b", detail: "why b"})),
			Diagnostic{Summary: "sync: a", Detail: "why b"},
		},
		{
			"detailer overrides extra lines",
			fmt.Errorf("x\ny: %w", &detailErr{msg: "z", detail: "real detail"}),
			Diagnostic{Summary: "x", Detail: "real detail"},
		},
		{
			"diagnostic used as is",
			fmt.Errorf("ctx: %w", Diagnostic{Severity: SeverityWarning, Summary: "s", Detail: "d", Hint: "h"}),
			Diagnostic{Severity: SeverityWarning, Summary: "s", Detail: "d", Hint: "h"},
		},
		{
			"pointer diagnostic",
			&Diagnostic{Summary: "p", Hint: "ph"},
			Diagnostic{Summary: "p", Hint: "ph"},
		},
		{
			"diagnostic hint filled from outer hinter",
			&hintErr{msg: "outer", hint: "outer hint", err: Diagnostic{Summary: "s"}},
			Diagnostic{Summary: "s", Hint: "outer hint"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, FromError(tt.err)); diff != "" {
				t.Errorf("FromError mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

type cyclic struct{}

func (c *cyclic) Error() string { return "cycle" }
func (c *cyclic) Unwrap() error { return c }

func TestFromErrorCyclicChainTerminates(t *testing.T) {
	t.Parallel()
	if got := FromError(&cyclic{}); got.Summary != "cycle" || got.Hint != "" {
		t.Errorf("got %+v", got)
	}
}

func TestDiagnosticError(t *testing.T) {
	t.Parallel()
	d := Diagnostic{Summary: "sum", Detail: "det", Hint: "hint"}
	if d.Error() != "sum" {
		t.Errorf("Error() = %q, want %q", d.Error(), "sum")
	}
}

func TestRender(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		d     Diagnostic
		color bool
		want  string
	}{
		{
			"full error",
			Diagnostic{Summary: "not logged in to https://pve1:8006", Detail: "GET /nodes returned 401 (ticket expired).", Hint: "run `proxmox-mpc login`"},
			false,
			"Error: not logged in to https://pve1:8006\n  GET /nodes returned 401 (ticket expired).\nHint: run `proxmox-mpc login`\n",
		},
		{"summary only", Diagnostic{Summary: "boom"}, false, "Error: boom\n"},
		{
			"multi-line detail indented",
			Diagnostic{Summary: "s", Detail: "line1\n\nline3\n"},
			false,
			"Error: s\n  line1\n\n  line3\n",
		},
		{"warning", Diagnostic{Severity: SeverityWarning, Summary: "tls off"}, false, "Warning: tls off\n"},
		{"error colour", Diagnostic{Summary: "s", Hint: "h"}, true, "\x1b[31mError:\x1b[0m s\n\x1b[1mHint:\x1b[0m h\n"},
		{"warning colour", Diagnostic{Severity: SeverityWarning, Summary: "w"}, true, "\x1b[33mWarning:\x1b[0m w\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			Render(&buf, tt.d, tt.color)
			if diff := cmp.Diff(tt.want, buf.String()); diff != "" {
				t.Errorf("Render mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRenderJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		d    Diagnostic
		want string
	}{
		{"error", Diagnostic{Summary: "a <b>", Detail: "d", Hint: "h"}, `{"severity":"error","summary":"a <b>","detail":"d","hint":"h"}` + "\n"},
		{"warning empty fields", Diagnostic{Severity: SeverityWarning, Summary: "w"}, `{"severity":"warning","summary":"w","detail":"","hint":""}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := RenderJSON(&buf, tt.d); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, buf.String()); diff != "" {
				t.Errorf("RenderJSON mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSeverityText(t *testing.T) {
	t.Parallel()
	for _, s := range []Severity{SeverityError, SeverityWarning} {
		t.Run(s.String(), func(t *testing.T) {
			t.Parallel()
			b, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			var back Severity
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if back != s {
				t.Errorf("round trip %v -> %s -> %v", s, b, back)
			}
		})
	}
	var s Severity
	if err := s.UnmarshalText([]byte("fatal")); err == nil || !strings.Contains(err.Error(), "fatal") {
		t.Errorf("unknown severity error = %v", err)
	}
	if got := Severity(7).String(); got != "severity(7)" {
		t.Errorf("String() = %q", got)
	}
}
