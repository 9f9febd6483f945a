package guest

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/inventory"
	"github.com/proxmox-mpc/proxmox-mpc/internal/lifecycle"
)

// CreateOptions holds the inputs of create.
type CreateOptions struct {
	Deps
	lifecycle.CreateRequest
	DryRun bool
	Async  bool
	Live   bool
}

// NewCmdCreate builds `create vm|ct --name NAME ...`.
func NewCmdCreate(f *cmdutil.Factory, lc func(context.Context) (*lifecycle.Service, error), runF func(context.Context, *CreateOptions) error) *cobra.Command {
	opts := &CreateOptions{Deps: depsOf(f, lc)}
	cmd := &cobra.Command{
		Use:   "create vm|ct --name NAME [flags]",
		Short: "Create a VM or container (in the code inside a workspace, else through the API)",
		Long: "Inside a workspace, create validates everything against the server as below, then writes the\n" +
			"new guest's resource to terraform/NAME.tf and shows it; the next apply creates it. --live (and\n" +
			"outside a workspace always) creates it directly:\n\n" +
			"create makes a new VM (one SCSI disk, one NIC, no OS installed) or container (from\n" +
			"--ostemplate) with the next free VMID unless --vmid, and waits for the create task.\n" +
			"Everything is checked first: the name, the VMID, the node (default: the online node with the\n" +
			"most free memory), the storage (content type and room for the disk), the bridge and the\n" +
			"template. --net takes bridge=, vlan=, firewall=, mtu=, rate= and model=/macaddr= (VMs) or\n" +
			"ip=/gw= (containers, default ip=dhcp). --dry-run prints the API call and makes none.",
		Example: "  proxmox-mpc create vm --name web-04 --cores 2 --memory 4G --disk 32G --net bridge=vmbr1,vlan=10\n" +
			"  proxmox-mpc create ct --name build-02 --ostemplate local:vztmpl/debian-13-standard_13.1-2_amd64.tar.zst --start",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			kind, err := parseKind(args[0])
			if err != nil {
				return err
			}
			opts.Type = kind
			if err := createFlagsValid(cmd, opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return createRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Name, "name", "", "VM name or container hostname (required)")
	fl.StringVar(&opts.Node, "node", "", "node (default: the online node with the most free memory)")
	fl.IntVar(&opts.VMID, "vmid", 0, "VMID (default: the next free one)")
	fl.IntVar(&opts.Cores, "cores", 1, "CPU cores")
	fl.StringVar(&opts.Memory, "memory", "", "memory, e.g. 4G (default 2G for VMs, 512M for containers)")
	fl.StringVar(&opts.Disk, "disk", "", "disk size, e.g. 32G (default 32G for VMs, 8G for containers)")
	fl.StringVar(&opts.Storage, "storage", "", "storage for the disk (default: the node's local storage with most room)")
	fl.StringVar(&opts.Net, "net", "", "network, e.g. bridge=vmbr0,vlan=10 (default bridge=vmbr0)")
	fl.StringVar(&opts.OSType, "ostype", "", "guest OS type (VMs: l26, win11, ...; default l26)")
	fl.StringVar(&opts.OSTemplate, "ostemplate", "", "container template volume (containers, required)")
	fl.BoolVar(&opts.Start, "start", false, "start the guest once created")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print the API call that would be made, and make none")
	fl.BoolVar(&opts.Async, "async", false, "return once the server accepted the task")
	fl.BoolVar(&opts.Live, "live", false, "inside a workspace: create on the server directly instead of in the code")
	return cmd
}

// createFlagsValid checks what needs no server.
func createFlagsValid(cmd *cobra.Command, opts *CreateOptions) error {
	if err := lifecycle.ValidateGuestName(opts.Name); err != nil {
		return usage(err)
	}
	if cmd.Flags().Changed("vmid") {
		if err := lifecycle.ValidateVMID(opts.VMID); err != nil {
			return usage(err)
		}
	}
	if err := lifecycle.ValidateCores(opts.Cores); err != nil {
		return usage(err)
	}
	if opts.Memory != "" {
		if _, err := lifecycle.ParseMemory(opts.Memory); err != nil {
			return usage(err)
		}
	}
	if opts.Disk != "" {
		if _, err := lifecycle.ParseDiskSize(opts.Disk); err != nil {
			return usage(err)
		}
	}
	switch {
	case opts.Type == inventory.TypeCT && opts.OSTemplate == "":
		return cmdutil.FlagErrorf("--ostemplate is required for containers")
	case opts.Type == inventory.TypeVM && opts.OSTemplate != "":
		return cmdutil.FlagErrorf("--ostemplate applies to containers only; use clone vm to copy a VM template")
	}
	return nil
}

func createRun(ctx context.Context, opts *CreateOptions) error {
	svc, err := opts.Lifecycle(ctx)
	if err != nil {
		return err
	}
	ed, err := codeEditor(ctx, opts.Deps, opts.Live, opts.DryRun)
	if err != nil {
		return err
	}
	if ed != nil {
		return createInCode(ctx, opts, svc, ed)
	}
	plan, err := svc.PlanCreate(ctx, opts.CreateRequest)
	if err != nil {
		return usage(err)
	}
	printNotices(opts.IO, plan.Plan)
	if opts.DryRun {
		return printDryRun(opts.IO, opts.Output(), plan.Plan)
	}
	if err := execute(ctx, opts.Deps, svc, plan.Plan, lifecycle.ExecOptions{Wait: !opts.Async}); err != nil {
		return err
	}
	if !opts.Output().IsStructured() && !opts.Async {
		state := "stopped"
		if opts.Start {
			state = "running"
		}
		fmt.Fprintf(opts.IO.Out, "%s on %s: created (%s)\n", lifecycle.Label(plan.Guest), plan.Guest.Node, state)
	}
	return nil
}
