// Package version implements `proxmox-mpc version`.
package version

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
)

// Options holds the inputs of the version command.
type Options struct {
	IO     *iostreams.IOStreams
	Build  cmdutil.BuildInfo
	Output cmdutil.OutputOptions
}

// NewCmdVersion builds the command; runF replaces the run function in tests.
func NewCmdVersion(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Build: f.Build}
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of proxmox-mpc",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Output()
			if runF != nil {
				return runF(opts)
			}
			return versionRun(opts)
		},
	}
}

func versionRun(opts *Options) error {
	return cmdutil.PrintObject(opts.IO, opts.Output, opts.Build, func(w io.Writer, _ *iostreams.ColorScheme) error {
		b := opts.Build
		line := "proxmox-mpc version " + b.Version
		if b.Commit != "" {
			line += " (" + b.Commit
			if b.Date != "" {
				line += ", " + b.Date
			}
			line += ")"
		}
		_, err := fmt.Fprintf(w, "%s\n%s %s/%s\n", line, b.Go, b.OS, b.Arch)
		return err
	})
}
