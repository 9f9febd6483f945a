package cmdutil

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"

	"github.com/itchyny/gojq"
	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
)

// Output formats accepted by -o/--output.
const (
	FormatTable = "table"
	FormatWide  = "wide"
	FormatJSON  = "json"
	FormatYAML  = "yaml"
)

// Formats lists the -o values in the order help text shows them.
func Formats() []string { return []string{FormatTable, FormatWide, FormatJSON, FormatYAML} }

// OutputOptions are the -o/--output and --jq flags.
//
// Format is "table" (also ""), "wide", "json" or "yaml". JQ is a jq
// expression run over the JSON form of the output; it requires JSON: with
// Format "" it implies "json", with "json" it is allowed, and with
// "table", "wide" or "yaml" Validate rejects it.
//
// The JSON (and YAML) field names are the rows' json struct tags — one
// documented snake_case contract shared by the CLI, REST API and MCP.
type OutputOptions struct {
	Format string
	JQ     string
}

// AddOutputFlags registers -o/--output and --jq on cmd, bound to o, with
// shell completion for the formats.
func AddOutputFlags(cmd *cobra.Command, o *OutputOptions) {
	fs := cmd.Flags()
	fs.StringVarP(&o.Format, "output", "o", "", "output format: table|wide|json|yaml (default table)")
	fs.StringVar(&o.JQ, "jq", "", "filter JSON output with a jq `expression` (implies -o json)")
	_ = cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return Formats(), cobra.ShellCompDirectiveNoFileComp
	})
}

// Validate checks the format and the --jq combination. Errors are
// *FlagError (exit code 2).
func (o OutputOptions) Validate() error {
	switch o.Format {
	case "", FormatTable, FormatWide, FormatJSON, FormatYAML:
	default:
		return FlagErrorf("unknown output format %q: valid formats are %s", o.Format, strings.Join(Formats(), ", "))
	}
	if o.JQ != "" && o.Format != "" && o.Format != FormatJSON {
		return FlagErrorf("--jq requires -o json, not -o %s", o.Format)
	}
	return nil
}

// EffectiveFormat is the format actually used: "table" for "", and
// "json" when --jq is set with no explicit format.
func (o OutputOptions) EffectiveFormat() string {
	switch {
	case o.Format == "" && o.JQ != "":
		return FormatJSON
	case o.Format == "":
		return FormatTable
	default:
		return o.Format
	}
}

// IsStructured reports whether the output is machine-readable (json or
// yaml, including --jq). Commands use it to suppress chatter.
func (o OutputOptions) IsStructured() bool {
	f := o.EffectiveFormat()
	return f == FormatJSON || f == FormatYAML
}

// Column describes one table column over rows of type T.
type Column[T any] struct {
	// Header is the column title; it is upper-cased on a terminal.
	Header string
	// Wide columns appear only with -o wide.
	Wide bool
	// Value returns the cell text. Tabs, newlines and control characters
	// in it are neutralised.
	Value func(T) string
	// Color optionally colours the cell (terminal with colour only). It
	// receives the cleaned cell text and must not change its visible width.
	Color func(cs *iostreams.ColorScheme, v string) string
	// RightAlign pads on the left (numbers).
	RightAlign bool
}

// noResources is printed to stderr for an empty table on a terminal.
const noResources = "No resources found."

// PrintList writes rows in the format opts selects.
//
//   - table/wide on a terminal: an UPPERCASE header row and columns aligned
//     by display width with a two-space gap, coloured by Column.Color when
//     colour is enabled. An empty list prints "No resources found." to
//     stderr and nothing to stdout.
//   - table/wide otherwise: no header, cells separated by a TAB, no colour,
//     nothing at all for an empty list.
//   - json: the rows as a JSON array, two-space indent, trailing newline;
//     [] (never null) for no rows.
//   - yaml: the same data as YAML, keys in struct-field order.
//   - --jq: the expression's results, strings raw, others compact JSON,
//     one per line.
//
// An invalid format or --jq expression yields a *FlagError.
func PrintList[T any](ios *iostreams.IOStreams, opts OutputOptions, rows []T, cols []Column[T]) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	format := opts.EffectiveFormat()
	if format == FormatTable || format == FormatWide {
		if len(rows) == 0 {
			if ios.IsStdoutTTY() {
				_, _ = fmt.Fprintln(ios.ErrOut, noResources)
			}
			return nil
		}
		bw := bufio.NewWriterSize(ios.Out, 64*1024)
		if err := writeTable(bw, ios, format == FormatWide, rows, cols); err != nil {
			return err
		}
		return flush(bw)
	}
	if rows == nil {
		rows = []T{}
	}
	return printData(ios, opts, format, rows)
}

// PrintObject writes one object: JSON, YAML or --jq output of obj as in
// PrintList, otherwise (table/wide) whatever human writes. human receives a
// buffered writer over stdout and the stream's colour scheme.
func PrintObject(ios *iostreams.IOStreams, opts OutputOptions, obj any, human func(w io.Writer, cs *iostreams.ColorScheme) error) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	format := opts.EffectiveFormat()
	if format == FormatTable || format == FormatWide {
		if human == nil {
			return printData(ios, opts, FormatYAML, obj)
		}
		bw := bufio.NewWriterSize(ios.Out, 32*1024)
		if err := human(bw, ios.ColorScheme()); err != nil {
			_ = bw.Flush()
			return err
		}
		return flush(bw)
	}
	return printData(ios, opts, format, obj)
}

func flush(bw *bufio.Writer) error {
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// printData writes v as json, yaml or through --jq.
func printData(ios *iostreams.IOStreams, opts OutputOptions, format string, v any) error {
	bw := bufio.NewWriterSize(ios.Out, 64*1024)
	switch {
	case opts.JQ != "":
		raw, err := marshalJSON(v)
		if err != nil {
			return err
		}
		if err := runJQ(bw, opts.JQ, raw); err != nil {
			_ = bw.Flush()
			return err
		}
	case format == FormatYAML:
		raw, err := marshalJSON(v)
		if err != nil {
			return err
		}
		if err := writeYAML(bw, raw); err != nil {
			return err
		}
	default:
		enc := json.NewEncoder(bw)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("encode json: %w", err)
		}
	}
	return flush(bw)
}

func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode json: %w", err)
	}
	return buf.Bytes(), nil
}

// writeTable renders the table/wide format.
func writeTable[T any](w *bufio.Writer, ios *iostreams.IOStreams, wide bool, rows []T, all []Column[T]) error {
	cols := make([]Column[T], 0, len(all))
	for _, c := range all {
		if c.Wide && !wide {
			continue
		}
		if c.Value == nil {
			return fmt.Errorf("column %q has no Value func", c.Header)
		}
		cols = append(cols, c)
	}
	if len(cols) == 0 {
		return nil
	}
	cells := make([][]string, len(rows))
	for i, r := range rows {
		line := make([]string, len(cols))
		for j, c := range cols {
			line[j] = cleanCell(c.Value(r))
		}
		cells[i] = line
	}

	if !ios.IsStdoutTTY() {
		for _, line := range cells {
			for j, v := range line {
				if j > 0 {
					_ = w.WriteByte('\t')
				}
				_, _ = w.WriteString(v)
			}
			_ = w.WriteByte('\n')
		}
		return nil
	}

	headers := make([]string, len(cols))
	widths := make([]int, len(cols))
	for j, c := range cols {
		headers[j] = strings.ToUpper(cleanCell(c.Header))
		widths[j] = DisplayWidth(headers[j])
	}
	cellWidths := make([][]int, len(cells))
	for i, line := range cells {
		cw := make([]int, len(line))
		for j, v := range line {
			cw[j] = DisplayWidth(v)
			widths[j] = max(widths[j], cw[j])
		}
		cellWidths[i] = cw
	}
	cs := iostreams.NewColorScheme(ios.ColorEnabled())
	headerWidths := make([]int, len(headers))
	for j, h := range headers {
		headerWidths[j] = DisplayWidth(h)
	}
	var buf []byte
	writeRow := func(line []string, cw []int, color bool) {
		buf = buf[:0]
		for j, v := range line {
			pad := widths[j] - cw[j]
			if cols[j].RightAlign {
				buf = appendSpaces(buf, pad)
				pad = 0
			}
			if color && cols[j].Color != nil && cs.Enabled() && v != "" {
				v = cols[j].Color(cs, v)
			}
			buf = append(buf, v...)
			if j < len(line)-1 {
				buf = appendSpaces(buf, pad+2)
			}
		}
		buf = bytes.TrimRight(buf, " ")
		buf = append(buf, '\n')
		_, _ = w.Write(buf)
	}
	writeRow(headers, headerWidths, false)
	for i, line := range cells {
		writeRow(line, cellWidths[i], true)
	}
	return nil
}

func appendSpaces(b []byte, n int) []byte {
	for ; n > 0; n-- {
		b = append(b, ' ')
	}
	return b
}

// writeYAML converts JSON to YAML, keeping object keys in their JSON order
// (struct field order) and numbers exactly as written.
func writeYAML(w io.Writer, raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	node, err := jsonToNode(dec)
	if err != nil {
		return fmt.Errorf("convert json to yaml: %w", err)
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(node); err != nil {
		return fmt.Errorf("encode yaml: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("encode yaml: %w", err)
	}
	return nil
}

// jsonToNode reads one JSON value from dec as a yaml.Node.
func jsonToNode(dec *json.Decoder) (*yaml.Node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key is %T, not string", kt)
				}
				val, err := jsonToNode(dec)
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, strNode(key), val)
			}
			if _, err := dec.Token(); err != nil { // '}'
				return nil, err
			}
			if len(n.Content) == 0 {
				n.Style = yaml.FlowStyle
			}
			return n, nil
		case '[':
			n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
			for dec.More() {
				val, err := jsonToNode(dec)
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, val)
			}
			if _, err := dec.Token(); err != nil { // ']'
				return nil, err
			}
			if len(n.Content) == 0 {
				n.Style = yaml.FlowStyle
			}
			return n, nil
		}
		return nil, fmt.Errorf("unexpected delimiter %q", t)
	case string:
		return strNode(t), nil
	case json.Number:
		tag := "!!int"
		if strings.ContainsAny(t.String(), ".eE") {
			tag = "!!float"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: t.String()}, nil
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(t)}, nil
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
	}
	return nil, fmt.Errorf("unexpected json token %T", tok)
}

func strNode(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	switch {
	case strings.Contains(s, "\n"):
		n.Style = yaml.LiteralStyle
	case yaml11Special(s):
		// yaml.v3 (YAML 1.2) leaves these plain, but YAML 1.1 readers
		// (PyYAML, Ansible) would turn them into booleans or null.
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// yaml11Special reports whether s is a YAML 1.1 boolean or null literal.
func yaml11Special(s string) bool {
	switch strings.ToLower(s) {
	case "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~":
		return true
	}
	return false
}

// runJQ compiles expr and writes each result of running it over the JSON
// document raw: strings raw, everything else as compact JSON, one per line.
// The jq environment ($ENV, env) is empty so a filter cannot read secrets
// from the process environment.
func runJQ(w io.Writer, expr string, raw []byte) error {
	q, err := gojq.Parse(expr)
	if err != nil {
		return FlagErrorf("invalid --jq expression: %s", oneLine(err.Error()))
	}
	code, err := gojq.Compile(q, gojq.WithEnvironLoader(func() []string { return nil }))
	if err != nil {
		return FlagErrorf("invalid --jq expression: %s", oneLine(err.Error()))
	}
	input, err := decodeJQInput(raw)
	if err != nil {
		return err
	}
	iter := code.Run(input)
	for {
		v, ok := iter.Next()
		if !ok {
			return nil
		}
		if err, isErr := v.(error); isErr {
			var halt *gojq.HaltError
			if errors.As(err, &halt) && halt.Value() == nil {
				return nil
			}
			return FlagErrorf("invalid --jq expression: %s", oneLine(err.Error()))
		}
		if s, isStr := v.(string); isStr {
			if _, err := io.WriteString(w, s+"\n"); err != nil {
				return fmt.Errorf("write output: %w", err)
			}
			continue
		}
		b, err := gojq.Marshal(v)
		if err != nil {
			return fmt.Errorf("encode jq result: %w", err)
		}
		b = append(b, '\n')
		if _, err := w.Write(b); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
	}
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// decodeJQInput decodes JSON into the value types gojq accepts, keeping
// integers exact: int when it fits, *big.Int when it does not, float64
// for everything else.
func decodeJQInput(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode json for jq: %w", err)
	}
	return normalizeNumbers(v), nil
}

func normalizeNumbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeNumbers(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = normalizeNumbers(e)
		}
		return x
	case json.Number:
		s := x.String()
		if !strings.ContainsAny(s, ".eE") {
			if i, err := strconv.Atoi(s); err == nil {
				return i
			}
			if b, ok := new(big.Int).SetString(s, 10); ok {
				return b
			}
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return s
		}
		return f
	default:
		return v
	}
}
