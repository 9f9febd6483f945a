package anonymizecmd

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
	"github.com/proxmox-mpc/proxmox-mpc/internal/privacy"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

// AnonymizeOptions holds the inputs of anonymize.
type AnonymizeOptions struct {
	IO   *iostreams.IOStreams
	Deps Deps
	Now  func() time.Time

	Input     string // a file, or "logs"
	Since     time.Duration
	Out       string
	ExportMap string
	Reverse   string
	Map       string
}

// NewCmdAnonymize builds the command.
func NewCmdAnonymize(f *cmdutil.Factory, deps Deps, runF func(context.Context, *AnonymizeOptions) error) *cobra.Command {
	opts := &AnonymizeOptions{IO: f.IOStreams, Deps: deps, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "anonymize FILE|logs",
		Short: "Mask names, addresses and secrets in a file or the logs before sharing them",
		Long: "anonymize writes FILE.anon.EXT beside FILE with every address, MAC, host name and FQDN,\n" +
			"user, email and every node, guest, storage and pool name the workspace knows replaced by\n" +
			"a consistent pseudonym (host-3f9a2c, 240.17.3.5), and every token, password, ticket and key\n" +
			"replaced by [REDACTED:type]. JSON and YAML are handled by structure, other files as text.\n" +
			"`anonymize logs` does the same to the workspace's recent logs (--since).\n\n" +
			"Pseudonyms come from a key kept outside the workspace, so they are the same every run.\n" +
			"--export-map writes the reverse map (pseudonym -> real, mode 0600); with it,\n" +
			"`anonymize --reverse ANSWER --map MAP` turns an AI assistant's answer back into real names.",
		Example: "  proxmox-mpc anonymize terraform/main.tf\n" +
			"  proxmox-mpc anonymize logs --since 30m -o /tmp/logs.txt\n" +
			"  proxmox-mpc anonymize error.txt --export-map ~/map.json\n" +
			"  proxmox-mpc anonymize --reverse answer.txt --map ~/map.json",
		Args: func(cmd *cobra.Command, args []string) error {
			if opts.Reverse != "" {
				if len(args) > 0 {
					return cmdutil.FlagErrorf("--reverse takes the file to restore itself; got also %q", args[0])
				}
				return nil
			}
			if len(args) != 1 {
				return cmdutil.FlagErrorf("anonymize takes one FILE, or `logs`")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case opts.Reverse != "" && opts.Map == "":
				return cmdutil.FlagErrorf("--reverse needs --map MAPFILE (written by --export-map)")
			case opts.Reverse == "" && opts.Map != "":
				return cmdutil.FlagErrorf("--map goes with --reverse FILE")
			case opts.Reverse != "" && opts.ExportMap != "":
				return cmdutil.FlagErrorf("--export-map and --reverse cannot be combined")
			case opts.Since <= 0:
				return cmdutil.FlagErrorf("--since must be positive, e.g. 30m or 24h")
			}
			if len(args) == 1 {
				opts.Input = args[0]
				if opts.Input != "logs" && cmd.Flags().Changed("since") {
					return cmdutil.FlagErrorf("--since goes with `anonymize logs`")
				}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return anonymizeRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.DurationVar(&opts.Since, "since", time.Hour, "with `logs`: how far back (e.g. 30m, 24h)")
	fl.StringVarP(&opts.Out, "output", "o", "", "write here instead of FILE.anon.EXT (FILE.real.EXT with --reverse)")
	fl.StringVar(&opts.ExportMap, "export-map", "", "also write the reverse map (pseudonym -> real value, mode 0600) to this file")
	fl.StringVar(&opts.Reverse, "reverse", "", "restore the real values in this file (an anonymized text or an AI's answer)")
	fl.StringVar(&opts.Map, "map", "", "the reverse map to restore with (from --export-map)")
	return cmd
}

func anonymizeRun(ctx context.Context, opts *AnonymizeOptions) error {
	if opts.Reverse != "" {
		return reverseRun(ctx, opts)
	}
	svc, warn, err := opts.Deps.service(ctx, "anonymize", opts.Now)
	if err != nil {
		return err
	}
	printWarnings(opts.IO, warn)
	e, err := svc.Engine(ctx)
	if err != nil {
		return err
	}
	out := opts.Out
	if opts.Input == "logs" {
		since := opts.Now().Add(-opts.Since)
		var logs []byte
		if opts.Deps.Logs != nil {
			logs, err = opts.Deps.Logs(ctx, since)
		} else {
			logs, err = privacy.RecentLogs(svc.Workspace.Root, since)
		}
		if err != nil {
			return err
		}
		if out == "" {
			out = filepath.Join(svc.Workspace.Root, workspace.Dir, "logs-"+timestamp(opts.Now())+".anon.log")
		}
		data, _ := privacy.Anonymize(e, privacy.KindLines, logs)
		if err := privacy.WriteFile(out, data); err != nil {
			return err
		}
		if len(logs) == 0 {
			printWarnings(opts.IO, []string{fmt.Sprintf("no log records in the last %s", cmdutil.HumanDuration(opts.Since))})
		}
	} else {
		if out == "" {
			out = privacy.AnonOutputPath(opts.Input)
		}
		if _, err := privacy.AnonymizeFile(e, opts.Input, out); err != nil {
			return err
		}
	}
	fmt.Fprintf(opts.IO.Out, "Wrote %s\n", rel(out))
	fmt.Fprintf(opts.IO.Out, "masked: %s\n", privacy.FormatCounts(e.Counts()))
	if opts.ExportMap != "" {
		m := e.Mapping()
		if err := privacy.ExportReverse(opts.ExportMap, m); err != nil {
			return err
		}
		fmt.Fprintf(opts.IO.Out, "Reverse map (%d pseudonyms, real names: keep it private): %s\n", len(m), rel(opts.ExportMap))
		warnMapInside(opts.IO, svc.Workspace.Root, opts.ExportMap)
	}
	return nil
}

// reverseRun needs no workspace: the map holds everything.
func reverseRun(_ context.Context, opts *AnonymizeOptions) error {
	m, err := privacy.ReadReverse(opts.Map)
	if err != nil {
		return err
	}
	out := opts.Out
	if out == "" {
		out = privacy.RealOutputPath(opts.Reverse)
	}
	if err := privacy.ReverseFile(opts.Reverse, out, m); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.Out, "Wrote %s\n", rel(out))
	return nil
}
