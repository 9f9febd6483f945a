package anonymizecmd

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
	"github.com/proxmox-mpc/proxmox-mpc/internal/privacy"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

// ReportOptions holds the inputs of report-issue.
type ReportOptions struct {
	IO      *iostreams.IOStreams
	Deps    Deps
	Now     func() time.Time
	Version string

	NoAnonymize bool
	Yes         bool
	Out         string
	Since       time.Duration
}

// NewCmdReportIssue builds the command.
func NewCmdReportIssue(f *cmdutil.Factory, deps Deps, runF func(context.Context, *ReportOptions) error) *cobra.Command {
	opts := &ReportOptions{IO: f.IOStreams, Deps: deps, Now: f.Now, Version: f.Build.Version}
	cmd := &cobra.Command{
		Use:   "report-issue",
		Short: "Build an anonymized diagnostic bundle to share with a person or an AI assistant",
		Long: "report-issue writes one .tar.gz (mode 0600) with what helps someone diagnose a problem:\n" +
			"recent logs, health, a summary of the state store, the workspace config, the terraform/ and\n" +
			"ansible/ files and the last errors with their correlation ids, plus MANIFEST.txt listing it all.\n\n" +
			"Everything in it is anonymized as `anonymize` does (consistent pseudonyms for names and\n" +
			"addresses, secrets redacted) unless --no-anonymize, which asks first. It prints the bundle's\n" +
			"path and contents and a prompt to paste into an AI assistant with it.",
		Example: "  proxmox-mpc report-issue\n  proxmox-mpc report-issue -o /tmp/report.tar.gz --since 2h",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Since <= 0 {
				return cmdutil.FlagErrorf("--since must be positive, e.g. 2h or 24h")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return reportRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&opts.NoAnonymize, "no-anonymize", false, "keep real names, addresses and secrets (asks for confirmation)")
	fl.BoolVarP(&opts.Yes, "yes", "y", false, "skip the confirmation of --no-anonymize")
	fl.StringVarP(&opts.Out, "output", "o", "", "write the bundle here (default .proxmox-mpc/report-TIME.tar.gz)")
	fl.DurationVar(&opts.Since, "since", 24*time.Hour, "how far back the logs go")
	return cmd
}

func reportRun(ctx context.Context, opts *ReportOptions) error {
	svc, warn, err := opts.Deps.service(ctx, "report-issue", opts.Now)
	if err != nil {
		return err
	}
	if opts.NoAnonymize {
		if err := confirm(opts.IO, opts.Yes, "report-issue --no-anonymize",
			"The bundle will hold real names, addresses and any secret in the logs and files. Continue?"); err != nil {
			return err
		}
	} else {
		printWarnings(opts.IO, warn)
	}
	now := opts.Now()
	out := opts.Out
	if out == "" {
		out = filepath.Join(svc.Workspace.Root, workspace.Dir, "report-"+timestamp(now)+".tar.gz")
	}
	res, err := svc.Bundle(ctx, out, privacy.BundleInput{
		Logs: opts.Deps.Logs, Health: opts.Deps.Health, Since: now.Add(-opts.Since),
		Anonymize: !opts.NoAnonymize, Version: opts.Version,
	})
	if err != nil {
		return err
	}
	renderReport(opts.IO, res)
	return nil
}

func renderReport(ios *iostreams.IOStreams, res privacy.BundleResult) {
	w := ios.Out
	cs := ios.ColorScheme()
	how := cs.Green("anonymized")
	if !res.Anonymized {
		how = cs.Red("NOT anonymized")
	}
	fmt.Fprintf(w, "Bundle:    %s (%s, %s)\n", rel(res.Path), cmdutil.HumanBytes(res.Size), how)
	var top []string
	code := 0
	for _, m := range res.Members {
		if strings.HasPrefix(m.Name, workspace.TerraformDir+"/") || strings.HasPrefix(m.Name, workspace.AnsibleDir+"/") {
			code++
			continue
		}
		top = append(top, m.Name)
	}
	if code > 0 {
		top = append(top, fmt.Sprintf("%d terraform/ and ansible/ files", code))
	}
	fmt.Fprintf(w, "Contains:  %s\n", strings.Join(top, ", "))
	if res.Anonymized {
		fmt.Fprintf(w, "Masked:    %s\n", privacy.FormatCounts(res.Masked))
	}
	for i, l := range res.LeftOut {
		label := "Left out:  "
		if i > 0 {
			label = "           "
		}
		fmt.Fprintf(w, "%s%s\n", label, l)
	}
	fmt.Fprintf(w, "\nSuggested prompt for an AI assistant (attach %s):\n\n", filepath.Base(res.Path))
	for _, line := range strings.Split(Prompt(res), "\n") {
		fmt.Fprintf(w, "  %s\n", line)
	}
}

// Prompt is the suggested text to give an AI assistant with the bundle.
func Prompt(res privacy.BundleResult) string {
	var b strings.Builder
	b.WriteString("Here is a diagnostic bundle from proxmox-mpc, a tool that manages a Proxmox VE cluster as\n" +
		"Terraform (bpg/proxmox) and Ansible code. MANIFEST.txt lists what is inside: recent logs (JSON\n" +
		"lines with correlation ids), a summary of the cluster as last synced, the workspace config and\n" +
		"code, and the last errors.\n")
	if res.Anonymized {
		b.WriteString("It is anonymized: names and addresses are consistent pseudonyms like host-3f9a2c or\n" +
			"240.17.3.5 (the same pseudonym always means the same thing, and addresses of one subnet share\n" +
			"a pseudo-subnet); secrets show as [REDACTED:type]. Please use the pseudonyms as they are in\n" +
			"your answer.\n")
	}
	b.WriteString("My problem: <describe what you did, what you expected and what happened>")
	return b.String()
}
