// Package connection implements `proxmox-mpc test-connection`.
package connection

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/inventory"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
)

// Options holds the inputs of test-connection.
type Options struct {
	IO        *iostreams.IOStreams
	Inventory func(context.Context) (*inventory.Service, error)
	Output    cmdutil.OutputOptions
}

// NewCmdTestConnection builds the command.
func NewCmdTestConnection(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Inventory: f.Inventory}
	return &cobra.Command{
		Use:   "test-connection",
		Short: "Check the endpoint, TLS, authentication, PVE version, latency and privileges",
		Long: "test-connection connects to the configured Proxmox VE endpoint and reports the TLS mode and\n" +
			"certificate fingerprint, the auth method, the PVE version, the round-trip latency, and the\n" +
			"effective privileges of the token or user (from /access/permissions).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Output()
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return testConnectionRun(cmd.Context(), opts)
		},
	}
}

func testConnectionRun(ctx context.Context, opts *Options) error {
	svc, err := opts.Inventory(ctx)
	if err != nil {
		return err
	}
	rep, err := svc.TestConnection(ctx)
	if err != nil {
		return err
	}
	return cmdutil.PrintObject(opts.IO, opts.Output, rep, func(w io.Writer, cs *iostreams.ColorScheme) error {
		tls := rep.TLSMode
		if rep.Fingerprint != "" {
			tls += " (" + rep.Fingerprint + ")"
		}
		if rep.TLSMode == "insecure" {
			tls = cs.Yellow(tls)
		}
		cluster := rep.Cluster
		if cluster == "" {
			cluster = "(standalone)"
		}
		privs := "none"
		if len(rep.Privileges) > 0 {
			privs = fmt.Sprintf("%d on / (%s)", len(rep.Privileges), strings.Join(rep.Privileges, ", "))
		}
		rows := [][2]string{
			{"Endpoint", rep.Endpoint},
			{"TLS", tls},
			{"Auth", rep.AuthMethod},
			{"PVE version", fmt.Sprintf("%s (release %s, repoid %s)", rep.Version, rep.Release, rep.RepoID)},
			{"Cluster", fmt.Sprintf("%s, %d nodes", cluster, rep.Nodes)},
			{"Latency", fmt.Sprintf("%.1f ms", rep.LatencyMS)},
			{"Privileges", privs},
		}
		fmt.Fprintf(w, "%s Connected to %s\n", cs.SuccessIcon(), rep.Endpoint)
		for _, r := range rows[1:] {
			fmt.Fprintf(w, "  %-12s %s\n", r[0]+":", r[1])
		}
		return nil
	})
}
