// Package contextcmd implements `proxmox-mpc context list|use` (/context in
// the console): the named connections of the user's config file.
package contextcmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
	"github.com/proxmox-mpc/proxmox-mpc/internal/userconfig"
)

// Options holds the inputs of the context commands.
type Options struct {
	IO         *iostreams.IOStreams
	ConfigPath func() (string, error)
	Output     cmdutil.OutputOptions
	Name       string
}

// NewCmdContext builds `context` with its list and use subcommands.
func NewCmdContext(f *cmdutil.Factory, configPath func() (string, error)) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "context",
		Short: "List the named contexts of the user config, or choose the current one",
		Long: "Contexts are named connections (endpoint, pinned fingerprint, token id, secret file) in\n" +
			"$XDG_CONFIG_HOME/proxmox-mpc/config.yaml, like kubectl's contexts. Secrets never go in that\n" +
			"file: a context names a token id and a 0600 secret file, or uses PROXMOX_VE_API_TOKEN.",
		Args: cobra.NoArgs,
	}
	list := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the contexts; * marks the current one",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return listRun(&Options{IO: f.IOStreams, ConfigPath: configPath, Output: f.Output()})
		},
	}
	use := &cobra.Command{
		Use:   "use NAME",
		Short: "Make NAME the current context",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cmdutil.FlagErrorf("context use takes one context name")
			}
			return nil
		},
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			path, err := configPath()
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			uc, err := userconfig.Load(path)
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return uc.Names(), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return useRun(&Options{IO: f.IOStreams, ConfigPath: configPath, Name: args[0]})
		},
	}
	cmd.AddCommand(list, use)
	return cmd
}

type row struct {
	Name        string `json:"name"`
	Current     bool   `json:"current"`
	Endpoint    string `json:"endpoint"`
	Auth        string `json:"auth"`
	Fingerprint string `json:"fingerprint"`
}

func listRun(opts *Options) error {
	path, err := opts.ConfigPath()
	if err != nil {
		return err
	}
	uc, err := userconfig.Load(path)
	if err != nil {
		return err
	}
	rows := make([]row, 0, len(uc.Contexts))
	for _, c := range uc.Contexts {
		auth := "environment"
		switch {
		case c.TokenID != "":
			auth = "token " + c.TokenID
		case c.Username != "":
			auth = "user " + c.Username
		}
		rows = append(rows, row{Name: c.Name, Current: c.Name == uc.CurrentContext, Endpoint: c.Endpoint, Auth: auth, Fingerprint: c.Fingerprint})
	}
	if len(rows) == 0 && opts.Output.Format == "" && opts.Output.JQ == "" {
		fmt.Fprintf(opts.IO.ErrOut, "No contexts in %s; add one there (see README), or use the PROXMOX_VE_* variables.\n", path)
		return nil
	}
	return cmdutil.PrintList(opts.IO, opts.Output, rows, []cmdutil.Column[row]{
		{Header: "CURRENT", Value: func(r row) string {
			if r.Current {
				return "*"
			}
			return ""
		}},
		{Header: "NAME", Value: func(r row) string { return r.Name }},
		{Header: "ENDPOINT", Value: func(r row) string { return r.Endpoint }},
		{Header: "AUTH", Value: func(r row) string { return r.Auth }},
		{Header: "FINGERPRINT", Wide: true, Value: func(r row) string { return r.Fingerprint }},
	})
}

func useRun(opts *Options) error {
	path, err := opts.ConfigPath()
	if err != nil {
		return err
	}
	uc, err := userconfig.Load(path)
	if err != nil {
		return err
	}
	if _, err := uc.Get(opts.Name); err != nil {
		return err
	}
	uc.CurrentContext = opts.Name
	if err := userconfig.Save(path, uc); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "%s Switched to context %q.\n", opts.IO.ColorScheme().SuccessIcon(), opts.Name)
	return nil
}
