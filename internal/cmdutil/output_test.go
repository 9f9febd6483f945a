package cmdutil

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden files")

// golden compares got with testdata/<TestName>.golden ("/" in subtest
// names becomes "_"), rewriting the file with -update.
func golden(t *testing.T, got string) {
	t.Helper()
	path := filepath.Join("testdata", strings.ReplaceAll(t.Name(), "/", "_")+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update): %v", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("output differs from %s (-want +got):\n%s", path, diff)
	}
}

type guestRow struct {
	VMID    int      `json:"vmid"`
	Name    string   `json:"name"`
	Node    string   `json:"node"`
	Status  string   `json:"status"`
	MaxMem  int64    `json:"maxmem"`
	Tags    []string `json:"tags"`
	HA      bool     `json:"ha"`
	Comment string   `json:"comment,omitempty"`
}

func sampleRows() []guestRow {
	return []guestRow{
		{VMID: 100, Name: "web-01", Node: "pve1", Status: "running", MaxMem: 8589934592, Tags: []string{"web", "prod"}, HA: true},
		{VMID: 101, Name: "ウェブ-02", Node: "pve2", Status: "stopped", MaxMem: 10000000000, Tags: []string{}, Comment: "line one\nline two"},
		{VMID: 9999, Name: "db\t\x1b[31mevil", Node: "pve1", Status: "paused", MaxMem: 536870912, Tags: []string{"yes", "123"}},
	}
}

func guestColumns() []Column[guestRow] {
	return []Column[guestRow]{
		{Header: "vmid", Value: func(r guestRow) string { return fmt.Sprint(r.VMID) }, RightAlign: true},
		{Header: "name", Value: func(r guestRow) string { return r.Name }, Color: func(cs *iostreams.ColorScheme, v string) string { return cs.Bold(v) }},
		{Header: "status", Value: func(r guestRow) string { return r.Status }, Color: func(cs *iostreams.ColorScheme, v string) string { return cs.ColorFromStatus(v) }},
		{Header: "ha", Value: func(r guestRow) string {
			if r.HA {
				return "✓"
			}
			return "-"
		}},
		{Header: "node", Value: func(r guestRow) string { return r.Node }, Wide: true},
		{Header: "memory", Value: func(r guestRow) string { return HumanBytes(r.MaxMem) }, Wide: true, RightAlign: true},
		{Header: "tags", Value: func(r guestRow) string { return strings.Join(r.Tags, ",") }, Wide: true},
	}
}

func TestOutputOptionsValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    OutputOptions
		wantErr string
		format  string
	}{
		{"default", OutputOptions{}, "", FormatTable},
		{"table", OutputOptions{Format: "table"}, "", FormatTable},
		{"wide", OutputOptions{Format: "wide"}, "", FormatWide},
		{"json", OutputOptions{Format: "json"}, "", FormatJSON},
		{"yaml", OutputOptions{Format: "yaml"}, "", FormatYAML},
		{"jq implies json", OutputOptions{JQ: ".[]"}, "", FormatJSON},
		{"jq with json", OutputOptions{Format: "json", JQ: "."}, "", FormatJSON},
		{"unknown", OutputOptions{Format: "xml"}, `unknown output format "xml": valid formats are table, wide, json, yaml`, ""},
		{"case matters", OutputOptions{Format: "JSON"}, `unknown output format "JSON"`, ""},
		{"jq with yaml", OutputOptions{Format: "yaml", JQ: "."}, "--jq requires -o json, not -o yaml", ""},
		{"jq with table", OutputOptions{Format: "table", JQ: "."}, "--jq requires -o json, not -o table", ""},
		{"jq with wide", OutputOptions{Format: "wide", JQ: "."}, "--jq requires -o json, not -o wide", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.opts.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				if got := tt.opts.EffectiveFormat(); got != tt.format {
					t.Errorf("EffectiveFormat() = %q, want %q", got, tt.format)
				}
				return
			}
			var fe *FlagError
			if !errors.As(err, &fe) {
				t.Fatalf("Validate() = %#v, want *FlagError", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Validate() = %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestIsStructured(t *testing.T) {
	t.Parallel()
	tests := []struct {
		opts OutputOptions
		want bool
	}{
		{OutputOptions{}, false},
		{OutputOptions{Format: "wide"}, false},
		{OutputOptions{Format: "json"}, true},
		{OutputOptions{Format: "yaml"}, true},
		{OutputOptions{JQ: "."}, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%+v", tt.opts), func(t *testing.T) {
			t.Parallel()
			if got := tt.opts.IsStructured(); got != tt.want {
				t.Errorf("IsStructured() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPrintList(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		opts  OutputOptions
		tty   bool
		color bool
		rows  []guestRow
	}{
		{"table_tty", OutputOptions{}, true, false, sampleRows()},
		{"table_tty_color", OutputOptions{}, true, true, sampleRows()},
		{"table_nontty", OutputOptions{Format: "table"}, false, false, sampleRows()},
		{"table_nontty_color_ignored", OutputOptions{Format: "table"}, false, true, sampleRows()},
		{"wide_tty", OutputOptions{Format: "wide"}, true, false, sampleRows()},
		{"wide_nontty", OutputOptions{Format: "wide"}, false, false, sampleRows()},
		{"json", OutputOptions{Format: "json"}, false, false, sampleRows()},
		{"json_tty_same", OutputOptions{Format: "json"}, true, true, sampleRows()},
		{"json_empty", OutputOptions{Format: "json"}, false, false, nil},
		{"yaml", OutputOptions{Format: "yaml"}, false, false, sampleRows()},
		{"yaml_empty", OutputOptions{Format: "yaml"}, false, false, []guestRow{}},
		{"jq_names", OutputOptions{JQ: ".[].name"}, false, false, sampleRows()},
		{"jq_objects", OutputOptions{Format: "json", JQ: `.[] | {vmid, maxmem, tags}`}, false, false, sampleRows()},
		{"jq_exact_numbers", OutputOptions{JQ: `.[].maxmem, (.[1].maxmem * 3), length`}, false, false, sampleRows()},
		{"jq_empty", OutputOptions{JQ: `.`}, false, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ios, _, out, errOut := iostreams.Test()
			ios.SetStdoutTTY(tt.tty)
			ios.SetColorEnabled(tt.color)
			if err := PrintList(ios, tt.opts, tt.rows, guestColumns()); err != nil {
				t.Fatalf("PrintList: %v", err)
			}
			if errOut.Len() != 0 {
				t.Errorf("unexpected stderr: %q", errOut.String())
			}
			golden(t, out.String())
		})
	}
}

var ansiRE = regexp.MustCompile("\x1b\\[[0-9;]*m")

func TestPrintListColorKeepsAlignment(t *testing.T) {
	t.Parallel()
	render := func(color bool) string {
		ios, _, out, _ := iostreams.Test()
		ios.SetStdoutTTY(true)
		ios.SetColorEnabled(color)
		if err := PrintList(ios, OutputOptions{Format: "wide"}, sampleRows(), guestColumns()); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	plain, colored := render(false), render(true)
	if plain == colored {
		t.Fatal("colour output has no colour codes")
	}
	if diff := cmp.Diff(plain, ansiRE.ReplaceAllString(colored, "")); diff != "" {
		t.Errorf("colour changes layout (-plain +stripped):\n%s", diff)
	}
}

func TestPrintListLeftColumnsAligned(t *testing.T) {
	t.Parallel()
	var left []Column[guestRow]
	for _, c := range guestColumns() {
		if !c.RightAlign {
			left = append(left, c)
		}
	}
	ios, _, out, _ := iostreams.Test()
	ios.SetStdoutTTY(true)
	if err := PrintList(ios, OutputOptions{Format: "wide"}, sampleRows(), left); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("got %d lines, want header + 3:\n%s", len(lines), out.String())
	}
	starts := columnStarts(lines[0])
	if len(starts) != len(left) {
		t.Fatalf("header %q has %d columns, want %d", lines[0], len(starts), len(left))
	}
	for _, l := range lines[1:] {
		if strings.HasSuffix(l, " ") {
			t.Errorf("line %q has trailing spaces", l)
		}
		for _, s := range starts[1:] {
			if DisplayWidth(l) <= s {
				continue // empty trailing cell
			}
			prefix := displayPrefix(l, s)
			rest := l[len(prefix):]
			if DisplayWidth(prefix) != s || !strings.HasSuffix(prefix, "  ") || strings.HasPrefix(rest, " ") {
				t.Errorf("line %q: no column start at cell %d (prefix %q)", l, s, prefix)
			}
		}
	}
}

// columnStarts returns the display offsets where header words start.
func columnStarts(header string) []int {
	var starts []int
	prevSpace := true
	for i, r := range header {
		_ = i
		if r != ' ' && prevSpace {
			starts = append(starts, DisplayWidth(header[:i]))
		}
		prevSpace = r == ' '
	}
	return starts
}

// displayPrefix returns the prefix of s that is w cells wide.
func displayPrefix(s string, w int) string {
	for i := range s {
		if DisplayWidth(s[:i]) >= w {
			return s[:i]
		}
	}
	return s
}

func TestPrintListEmptyTable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		tty        bool
		wantErrOut string
	}{
		{"tty", true, "No resources found.\n"},
		{"non-tty", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ios, _, out, errOut := iostreams.Test()
			ios.SetStdoutTTY(tt.tty)
			if err := PrintList(ios, OutputOptions{}, []guestRow{}, guestColumns()); err != nil {
				t.Fatalf("empty list must succeed: %v", err)
			}
			if out.Len() != 0 {
				t.Errorf("stdout = %q, want empty", out.String())
			}
			if errOut.String() != tt.wantErrOut {
				t.Errorf("stderr = %q, want %q", errOut.String(), tt.wantErrOut)
			}
		})
	}
}

func TestPrintListErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		opts     OutputOptions
		cols     []Column[guestRow]
		want     string
		flagErr  bool
		noStdout bool
	}{
		{"bad format", OutputOptions{Format: "csv"}, guestColumns(), `unknown output format "csv"`, true, true},
		{"jq parse error", OutputOptions{JQ: ".[] |"}, guestColumns(), "invalid --jq expression: ", true, true},
		{"jq unknown function", OutputOptions{JQ: "nosuchfn(1)"}, guestColumns(), "invalid --jq expression: function not defined: nosuchfn/1", true, true},
		{"jq runtime error", OutputOptions{JQ: ".foo"}, guestColumns(), "invalid --jq expression: expected an object but got: array", true, true},
		{"jq halt_error", OutputOptions{JQ: `"bye" | halt_error`}, guestColumns(), "invalid --jq expression: ", true, true},
		{"column without value", OutputOptions{}, []Column[guestRow]{{Header: "x"}}, `column "x" has no Value func`, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ios, _, out, _ := iostreams.Test()
			err := PrintList(ios, tt.opts, sampleRows(), tt.cols)
			if err == nil {
				t.Fatal("PrintList succeeded, want error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error must be one line: %q", err)
			}
			var fe *FlagError
			if got := errors.As(err, &fe); got != tt.flagErr {
				t.Errorf("is FlagError = %v, want %v", got, tt.flagErr)
			}
			if tt.noStdout && out.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", out.String())
			}
		})
	}
}

func TestJQCannotReadEnvironment(t *testing.T) {
	t.Setenv("PMC_TEST_SECRET", "s3cr3t-value")
	ios, _, out, _ := iostreams.Test()
	for _, expr := range []string{`$ENV | length`, `env | length`} {
		out.Reset()
		if err := PrintList(ios, OutputOptions{JQ: expr}, sampleRows(), guestColumns()); err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		if got := out.String(); got != "0\n" {
			t.Errorf("%s = %q, want 0 (empty environment)", expr, got)
		}
	}
}

func TestJQHaltStopsQuietly(t *testing.T) {
	t.Parallel()
	ios, _, out, _ := iostreams.Test()
	if err := PrintList(ios, OutputOptions{JQ: `1, halt, 2`}, sampleRows(), guestColumns()); err != nil {
		t.Fatalf("halt: %v", err)
	}
	if got := out.String(); got != "1\n" {
		t.Errorf("output = %q, want %q", got, "1\n")
	}
}

func TestDecodeJQInputExactNumbers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want string
	}{
		{`10000000000`, "10000000000"},
		{`12345678901234567890123`, "12345678901234567890123"},
		{`-9223372036854775808`, "-9223372036854775808"},
		{`1.5`, "1.5"},
		{`1e3`, "1000"},
		{`[1, {"a": 2}]`, `[1,{"a":2}]`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := runJQ(&buf, ".", []byte(tt.in)); err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSuffix(buf.String(), "\n"); got != tt.want {
				t.Errorf("jq . on %s = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

type objView struct {
	Name   string            `json:"name"`
	Zeta   int               `json:"zeta"`
	Alpha  string            `json:"alpha"`
	Config map[string]string `json:"config"`
}

func TestPrintObject(t *testing.T) {
	t.Parallel()
	obj := objView{Name: "pve1", Zeta: 1, Alpha: "null", Config: map[string]string{"b": "2", "a": "1"}}
	human := func(w io.Writer, cs *iostreams.ColorScheme) error {
		_, err := fmt.Fprintf(w, "%s %s\n", cs.Bold("Name:"), obj.Name)
		return err
	}
	tests := []struct {
		name  string
		opts  OutputOptions
		color bool
	}{
		{"human", OutputOptions{}, false},
		{"human_color", OutputOptions{Format: "wide"}, true},
		{"json", OutputOptions{Format: "json"}, false},
		{"yaml", OutputOptions{Format: "yaml"}, false},
		{"jq", OutputOptions{JQ: ".name, .config"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ios, _, out, _ := iostreams.Test()
			ios.SetStdoutTTY(tt.color)
			ios.SetColorEnabled(tt.color)
			if err := PrintObject(ios, tt.opts, obj, human); err != nil {
				t.Fatal(err)
			}
			golden(t, out.String())
		})
	}
}

func TestPrintObjectHumanError(t *testing.T) {
	t.Parallel()
	ios, _, out, _ := iostreams.Test()
	boom := errors.New("boom")
	err := PrintObject(ios, OutputOptions{}, struct{}{}, func(w io.Writer, _ *iostreams.ColorScheme) error {
		_, _ = io.WriteString(w, "partial\n")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if out.String() != "partial\n" {
		t.Errorf("partial output not flushed: %q", out.String())
	}
	if err := PrintObject(ios, OutputOptions{Format: "toml"}, struct{}{}, nil); err == nil {
		t.Error("bad format accepted")
	}
}

func TestYAMLRoundTrip(t *testing.T) {
	t.Parallel()
	ios, _, out, _ := iostreams.Test()
	rows := sampleRows()
	if err := PrintList(ios, OutputOptions{Format: "yaml"}, rows, guestColumns()); err != nil {
		t.Fatal(err)
	}
	var back []guestRow
	if err := yaml.Unmarshal(out.Bytes(), &back); err != nil {
		t.Fatalf("yaml output does not parse: %v\n%s", err, out.String())
	}
	// yaml.v3 has no json tags; compare through the fields it can fill.
	var generic []map[string]any
	if err := yaml.Unmarshal(out.Bytes(), &generic); err != nil {
		t.Fatal(err)
	}
	if len(generic) != len(rows) {
		t.Fatalf("got %d documents, want %d", len(generic), len(rows))
	}
	for i, r := range rows {
		g := generic[i]
		if g["name"] != r.Name || g["maxmem"] != int(r.MaxMem) || g["ha"] != r.HA {
			t.Errorf("row %d: yaml %v does not match %+v", i, g, r)
		}
		tags, _ := g["tags"].([]any)
		if len(tags) != len(r.Tags) {
			t.Errorf("row %d tags %v, want %v", i, tags, r.Tags)
		}
		for j := range tags {
			if tags[j] != r.Tags[j] {
				t.Errorf("row %d tag %d = %#v (%T), want string %q", i, j, tags[j], tags[j], r.Tags[j])
			}
		}
	}
}

func TestAddOutputFlags(t *testing.T) {
	t.Parallel()
	var o OutputOptions
	cmd := &cobra.Command{Use: "get", RunE: func(*cobra.Command, []string) error { return nil }}
	AddOutputFlags(cmd, &o)
	cmd.SetArgs([]string{"-o", "yaml", "--jq", ".x"})
	cmd.SetOut(io.Discard)
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if o.Format != "yaml" || o.JQ != ".x" {
		t.Errorf("flags not bound: %+v", o)
	}
	if o.Validate() == nil {
		t.Error("yaml + jq must be rejected")
	}
}

func BenchmarkPrintListJSON10k(b *testing.B) {
	rows := make([]guestRow, 10000)
	for i := range rows {
		rows[i] = guestRow{VMID: 100 + i, Name: fmt.Sprintf("vm-%05d", i), Node: "pve1", Status: "running", MaxMem: 4 << 30, Tags: []string{"web"}}
	}
	ios, _, _, _ := iostreams.Test()
	ios.Out = io.Discard
	cols := guestColumns()
	b.ReportAllocs()
	for b.Loop() {
		if err := PrintList(ios, OutputOptions{Format: "json"}, rows, cols); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPrintListTable10k(b *testing.B) {
	rows := make([]guestRow, 10000)
	for i := range rows {
		rows[i] = guestRow{VMID: 100 + i, Name: fmt.Sprintf("vm-%05d", i), Node: "pve1", Status: "running", MaxMem: 4 << 30, Tags: []string{"web"}}
	}
	ios, _, _, _ := iostreams.Test()
	ios.Out = io.Discard
	ios.SetStdoutTTY(true)
	cols := guestColumns()
	b.ReportAllocs()
	for b.Loop() {
		if err := PrintList(ios, OutputOptions{Format: "wide"}, rows, cols); err != nil {
			b.Fatal(err)
		}
	}
}
