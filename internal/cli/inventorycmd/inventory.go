// Package inventorycmd implements `proxmox-mpc inventory --list | --host
// NAME`, an Ansible dynamic inventory served from the state store.
package inventorycmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac/ansible"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// Options holds the inputs of inventory.
type Options struct {
	IO *iostreams.IOStreams
	// Guests reads the guests of the last sync from the state store.
	Guests func(context.Context) ([]state.Guest, error)

	List bool
	Host string
	// HostSet is true when --host was given (its name may be "").
	HostSet bool
}

// NewCmdInventory builds `inventory --list | --host NAME`. guests reads the
// guests of the last sync from the state store (config and agent
// addresses included, removed guests left out); app passes
// inventory.Service.StateGuests of f.StateInventory, the store that
// `get --from-state` reads.
func NewCmdInventory(f *cmdutil.Factory, guests func(context.Context) ([]state.Guest, error), runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Guests: guests}
	cmd := &cobra.Command{
		Use:   "inventory --list | --host NAME",
		Short: "Ansible dynamic inventory from the state store",
		Long: "inventory prints the guests of the last sync as Ansible dynamic-inventory JSON, the\n" +
			"same hosts, groups and host vars as ansible/inventory.yml: --list prints everything\n" +
			"(with _meta.hostvars, so Ansible never needs --host), --host NAME prints one host's\n" +
			"vars ({} for a host that is not in the inventory). It reads the state store only and\n" +
			"never asks the server; run `proxmox-mpc sync` to refresh it.\n\n" +
			"To use it as an inventory script, save this wrapper as ansible/proxmox-mpc-inventory\n" +
			"in the workspace (beside group_vars/, so those apply too), make it executable with\n" +
			"chmod +x, and pass it to Ansible with -i:\n\n" +
			"  #!/bin/sh\n" +
			"  cd \"$(dirname \"$0\")\" && exec proxmox-mpc inventory \"$@\"\n\n" +
			"Groups: node_<node>, tag_<tag>, pool_<pool>, type_vm, type_ct, status_<status>, and\n" +
			"templates (templates are in that group only). Host vars: ansible_host (guest agent or\n" +
			"static cloud-init/container address, when known), ansible_user (cloud-init user),\n" +
			"proxmox_vmid, proxmox_name, proxmox_node, proxmox_type, proxmox_status, proxmox_tags,\n" +
			"proxmox_pool.",
		Example: "  proxmox-mpc inventory --list\n" +
			"  proxmox-mpc inventory --host web-01\n" +
			"  ansible-inventory -i ansible/proxmox-mpc-inventory --graph\n" +
			"  ansible -i ansible/proxmox-mpc-inventory tag_web -m ping",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return cmdutil.FlagErrorf("inventory takes no arguments, only --list or --host NAME")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.HostSet = cmd.Flags().Changed("host")
			if opts.List == opts.HostSet {
				return cmdutil.FlagErrorf("use exactly one of --list and --host NAME")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return inventoryRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.List, "list", false, "print every group, host and host var as JSON")
	cmd.Flags().StringVar(&opts.Host, "host", "", "print the vars of one host as JSON ({} when unknown)")
	return cmd
}

func inventoryRun(ctx context.Context, opts *Options) error {
	guests, err := opts.Guests(ctx)
	if err != nil {
		return err
	}
	var out []byte
	if opts.List {
		out, err = ansible.List(guests, ansible.Options{})
	} else {
		out, err = ansible.Host(guests, opts.Host, ansible.Options{})
	}
	if err != nil {
		return err
	}
	if _, err := opts.IO.Out.Write(append(out, '\n')); err != nil {
		return fmt.Errorf("write inventory: %w", err)
	}
	return nil
}
