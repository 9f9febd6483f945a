// Package logscmd implements `proxmox-mpc logs`: query and follow the
// workspace's JSON-lines logs (.proxmox-mpc/logs).
package logscmd

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
	"github.com/proxmox-mpc/proxmox-mpc/internal/observe"
)

// Options holds the inputs of logs.
type Options struct {
	IO     *iostreams.IOStreams
	Dir    func() (string, error) // the workspace's log directory
	Output cmdutil.OutputOptions
	Now    func() time.Time

	Since       time.Time // zero: no bound
	Level       slog.Level
	Op          string
	Correlation string
	Grep        string
	Limit       int
	Follow      bool
}

// NewCmdLogs builds the command. dir returns the workspace's log folder
// (an error with a hint outside a workspace).
func NewCmdLogs(f *cmdutil.Factory, dir func() (string, error), runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Dir: dir, Now: f.Now}
	var since, level string
	cmd := &cobra.Command{
		Use:   "logs",
		Short: "Show the workspace's logs: every command's records, with correlation ids",
		Long: "logs reads the JSON-lines logs in .proxmox-mpc/logs (the current file and the rotated ones),\n" +
			"oldest first, the newest --limit records. Each command has one correlation id, printed with\n" +
			"its errors; --correlation shows everything that command logged. --follow keeps printing new\n" +
			"records as they are written (one JSON object per line with -o json).",
		Example: "  proxmox-mpc logs --since 1h --level warn\n" +
			"  proxmox-mpc logs --correlation 3f9a1c2b7d4e\n" +
			"  proxmox-mpc logs --op sync --grep vm/101 -o json\n" +
			"  proxmox-mpc logs -f",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Now == nil {
				opts.Now = time.Now
			}
			opts.Output = f.Output()
			if err := opts.Output.Validate(); err != nil {
				return err
			}
			if since != "" {
				t, err := ParseSince(since, opts.Now())
				if err != nil {
					return cmdutil.FlagErrorWrap(err)
				}
				opts.Since = t
			}
			opts.Level = slog.LevelDebug
			if level != "" {
				l, ok := observe.ParseLevel(level)
				if !ok {
					return cmdutil.FlagErrorf("invalid --level %q: use debug, info, warn or error", level)
				}
				opts.Level = l
			}
			if opts.Limit < 0 {
				return cmdutil.FlagErrorf("--limit must be 0 (all) or more, not %d", opts.Limit)
			}
			if opts.Follow {
				switch opts.Output.EffectiveFormat() {
				case cmdutil.FormatTable, cmdutil.FormatWide:
				case cmdutil.FormatJSON:
					if opts.Output.JQ != "" {
						return cmdutil.FlagErrorf("--jq does not work with --follow; pipe the JSON lines to jq instead")
					}
				default:
					return cmdutil.FlagErrorf("--follow prints a table or JSON lines, not -o %s", opts.Output.Format)
				}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return logsRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&since, "since", "", "only records newer than this: a duration (30m, 1h, 2d), a date (2026-11-26) or an RFC 3339 time")
	fl.StringVar(&level, "level", "", "minimum level: debug, info, warn or error (default: all)")
	fl.StringVar(&opts.Op, "op", "", "only records of this operation or subsystem (sync, start, pve ...)")
	fl.StringVar(&opts.Correlation, "correlation", "", "only the records of one command (the id printed with its error)")
	fl.StringVar(&opts.Grep, "grep", "", "only records containing this text (case-insensitive)")
	fl.IntVar(&opts.Limit, "limit", 200, "show the newest N records (0: all)")
	fl.BoolVarP(&opts.Follow, "follow", "f", false, "keep printing new records until interrupted")
	_ = cmd.RegisterFlagCompletionFunc("level", cobra.FixedCompletions([]string{"debug", "info", "warn", "error"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// ParseSince reads --since: a duration before now (30m, 1h, 1h30m, 2d),
// a date (2026-11-26, midnight in now's time zone) or an RFC 3339 time.
func ParseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, fmt.Errorf("invalid --since: empty")
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err == nil && n >= 0 && n <= 36500 {
			return now.AddDate(0, 0, -n), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, fmt.Errorf("invalid --since %q: the duration must be positive", s)
		}
		return now.Add(-d), nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, now.Location()); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("invalid --since %q: use a duration (30m, 1h, 2d), a date (2026-11-26) or an RFC 3339 time (2026-11-26T09:00:00Z)", s)
}

func (o *Options) filter() observe.Filter {
	return observe.Filter{Since: o.Since, Level: o.Level, Op: o.Op, Correlation: o.Correlation, Grep: o.Grep, Limit: o.Limit}
}

func logsRun(ctx context.Context, opts *Options) error {
	dir, err := opts.Dir()
	if err != nil {
		return err
	}
	if opts.Follow {
		return follow(ctx, dir, opts)
	}
	recs, err := observe.Query(dir, opts.filter())
	if err != nil {
		return err
	}
	return cmdutil.PrintList(opts.IO, opts.Output, recs, columns(opts))
}

func columns(opts *Options) []cmdutil.Column[observe.Record] {
	tty := opts.IO.IsStdoutTTY()
	loc := opts.Now().Location()
	return []cmdutil.Column[observe.Record]{
		{Header: "TIME", Value: func(r observe.Record) string { return formatTime(r.Time, tty, loc) }},
		{Header: "LEVEL", Value: func(r observe.Record) string { return r.Level.String() }, Color: colorLevel},
		{Header: "OP/SUBSYS", Value: opOf},
		{Header: "MESSAGE", Value: message},
		{Header: "CORRELATION", Wide: true, Value: func(r observe.Record) string { return r.CorrelationID }},
	}
}

func formatTime(t time.Time, tty bool, loc *time.Location) string {
	if tty {
		return t.In(loc).Format(time.DateTime)
	}
	return t.UTC().Format(time.RFC3339)
}

func colorLevel(cs *iostreams.ColorScheme, v string) string {
	switch {
	case strings.HasPrefix(v, "ERROR"):
		return cs.Red(v)
	case strings.HasPrefix(v, "WARN"):
		return cs.Yellow(v)
	case strings.HasPrefix(v, "DEBUG"):
		return cs.Gray(v)
	}
	return v
}

func opOf(r observe.Record) string {
	switch {
	case r.Operation != "" && r.Subsys != "":
		return r.Operation + "/" + r.Subsys
	case r.Operation != "":
		return r.Operation
	case r.Subsys != "":
		return r.Subsys
	}
	return "-"
}

// message is the record's message, then its other fields as key=value
// (sorted), the duration and the error last.
func message(r observe.Record) string {
	var b strings.Builder
	b.WriteString(r.Msg)
	keys := make([]string, 0, len(r.Attrs))
	for k := range r.Attrs {
		if k != observe.KeyErrType { // a Go type name: for -o json, not for people
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString(" " + k + "=" + attrText(r.Attrs[k]))
	}
	if r.DurationMS != 0 {
		b.WriteString(" " + observe.KeyDurationMS + "=" + strconv.FormatFloat(r.DurationMS, 'f', -1, 64))
	}
	if r.Err != "" {
		b.WriteString(" err=" + strconv.Quote(r.Err))
	}
	return b.String()
}

func attrText(v any) string {
	switch t := v.(type) {
	case string:
		if t == "" || strings.ContainsAny(t, " \t\"=") {
			return strconv.Quote(t)
		}
		return t
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(data)
}

// follow prints the backlog and then each new record as one line: a
// table row (header once on a terminal) or a compact JSON object.
func follow(ctx context.Context, dir string, opts *Options) error {
	format := opts.Output.EffectiveFormat()
	tty := opts.IO.IsStdoutTTY()
	wide := format == cmdutil.FormatWide
	loc := opts.Now().Location()
	cs := opts.IO.ColorScheme()
	out := opts.IO.Out
	if format != cmdutil.FormatJSON && tty {
		head := fmt.Sprintf("%-19s  %-5s  %-16s  %s", "TIME", "LEVEL", "OP/SUBSYS", "MESSAGE")
		if wide {
			head = fmt.Sprintf("%-19s  %-5s  %-16s  %-12s  %s", "TIME", "LEVEL", "OP/SUBSYS", "CORRELATION", "MESSAGE")
		}
		fmt.Fprintln(out, head)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var werr error
	err := observe.Follow(ctx, dir, opts.filter(), func(r observe.Record) {
		if werr != nil {
			return
		}
		defer func() {
			if werr != nil {
				cancel() // stdout is gone: stop following
			}
		}()
		switch {
		case format == cmdutil.FormatJSON:
			data, err := json.Marshal(r)
			if err != nil {
				werr = err
				return
			}
			_, werr = fmt.Fprintf(out, "%s\n", data)
		case tty:
			lv := fmt.Sprintf("%-5s", r.Level.String())
			if cs.Enabled() {
				lv = colorLevel(cs, lv)
			}
			if wide {
				_, werr = fmt.Fprintf(out, "%-19s  %s  %-16s  %-12s  %s\n", formatTime(r.Time, true, loc), lv, opOf(r), r.CorrelationID, oneLine(message(r)))
			} else {
				_, werr = fmt.Fprintf(out, "%-19s  %s  %-16s  %s\n", formatTime(r.Time, true, loc), lv, opOf(r), oneLine(message(r)))
			}
		default:
			cells := []string{formatTime(r.Time, false, loc), r.Level.String(), opOf(r), oneLine(message(r))}
			if wide {
				cells = append(cells, r.CorrelationID)
			}
			_, werr = fmt.Fprintln(out, strings.Join(cells, "\t"))
		}
	})
	if werr != nil {
		return fmt.Errorf("write logs: %w", werr)
	}
	return err
}

// oneLine keeps a follow row on one line.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		return r
	}, s)
}
