// Package connection implements `proxmox-mpc test-connection`.
package connection

import (
	"context"
	"fmt"
	"io"
	"slices"
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
	Pin       func(endpoint, fingerprint string) (string, bool, error)
	Output    cmdutil.OutputOptions
}

// NewCmdTestConnection builds the command.
func NewCmdTestConnection(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Inventory: f.Inventory, Pin: f.PinFingerprint}
	return &cobra.Command{
		Use:   "test-connection",
		Short: "Check the endpoint, TLS, authentication, PVE version, latency and privileges",
		Long: "test-connection connects to the configured Proxmox VE endpoint and reports the TLS mode and\n" +
			"certificate fingerprint, the auth method, the PVE version, the round-trip latency, and the\n" +
			"effective privileges of the token or user (from /access/permissions).\n\n" +
			"With --fingerprint, a successful check also pins that certificate for the endpoint\n" +
			"(trust on first use, like ssh's known_hosts): later commands to the same endpoint verify\n" +
			"it without the flag. The pins live in $XDG_CONFIG_HOME/proxmox-mpc/known_fingerprints.",
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
	pinned := ""
	if rep.TLSMode == "fingerprint" && opts.Pin != nil {
		path, changed, err := opts.Pin(rep.Endpoint, rep.Fingerprint)
		if err != nil {
			return fmt.Errorf("pin the certificate: %w", err)
		}
		if changed {
			pinned = path
		}
	}
	err = cmdutil.PrintObject(opts.IO, opts.Output, rep, func(w io.Writer, cs *iostreams.ColorScheme) error {
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
		privs := "none on /"
		if len(rep.Privileges) > 0 {
			privs = fmt.Sprintf("%d on / (%s); -o json lists them", len(rep.Privileges), groupPrivileges(rep.Privileges))
		}
		latency := fmt.Sprintf("%.1f ms", rep.LatencyMS)
		if rep.LatencyMS < 0.1 {
			latency = "<0.1 ms"
		}
		rows := [][2]string{
			{"Endpoint", rep.Endpoint},
			{"TLS", tls},
			{"Auth", rep.AuthMethod},
			{"PVE version", fmt.Sprintf("%s (release %s, repoid %s)", rep.Version, rep.Release, rep.RepoID)},
			{"Cluster", fmt.Sprintf("%s, %d nodes", cluster, rep.Nodes)},
			{"Latency", latency},
			{"Privileges", privs},
		}
		fmt.Fprintf(w, "%s Connected to %s\n", cs.SuccessIcon(), rep.Endpoint)
		for _, r := range rows[1:] {
			fmt.Fprintf(w, "  %-12s %s\n", r[0]+":", r[1])
		}
		return nil
	})
	if err == nil && pinned != "" {
		fmt.Fprintf(opts.IO.ErrOut, "%s Pinned this certificate for %s in %s; later commands verify it without --fingerprint\n",
			opts.IO.ColorScheme().SuccessIcon(), rep.Endpoint, pinned)
	}
	return err
}

// groupPrivileges summarises privileges by area: "VM 23, Sys 7, ...".
func groupPrivileges(privs []string) string {
	count := map[string]int{}
	var areas []string
	for _, p := range privs {
		area, _, _ := strings.Cut(p, ".")
		if count[area] == 0 {
			areas = append(areas, area)
		}
		count[area]++
	}
	slices.SortStableFunc(areas, func(a, b string) int { return count[b] - count[a] })
	parts := make([]string, len(areas))
	for i, a := range areas {
		parts[i] = fmt.Sprintf("%s %d", a, count[a])
	}
	return strings.Join(parts, ", ")
}
