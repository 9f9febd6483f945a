package anonymizecmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/proxmox-mpc/proxmox-mpc/internal/anonymize"
	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
	"github.com/proxmox-mpc/proxmox-mpc/internal/privacy"
)

// PrivacyOptions holds the inputs of privacy.
type PrivacyOptions struct {
	IO     *iostreams.IOStreams
	Deps   Deps
	Now    func() time.Time
	Output cmdutil.OutputOptions

	Disable   []string
	Enable    []string
	Allow     []string
	Block     []string
	ExportMap string
}

// NewCmdPrivacy builds the command.
func NewCmdPrivacy(f *cmdutil.Factory, deps Deps, runF func(context.Context, *PrivacyOptions) error) *cobra.Command {
	opts := &PrivacyOptions{IO: f.IOStreams, Deps: deps, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "privacy",
		Short: "Show and change what anonymize and report-issue mask",
		Long: "privacy shows which kinds of values are masked, the allow and block lists and custom\n" +
			"patterns of .proxmox-mpc/privacy.yaml, where the workspace's anonymization key lives (outside\n" +
			"the workspace) and how many names the workspace knows from its last sync.\n\n" +
			"--disable/--enable TYPE turn a kind off or on, --allow VALUE keeps a value as it is, --block\n" +
			"VALUE always masks it; they edit privacy.yaml (comments kept). --export-map writes the reverse\n" +
			"map of every known name (pseudonym -> real, mode 0600).\n\n" +
			"Types: " + strings.Join(typeNames(), ", ") + ".",
		Example: "  proxmox-mpc privacy\n" +
			"  proxmox-mpc privacy --disable mac --allow 10.0.0.1 --block 'Project Falcon'\n" +
			"  proxmox-mpc privacy --export-map ~/homelab-map.json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, t := range append(slices.Clone(opts.Disable), opts.Enable...) {
				if !anonymize.Type(t).Valid() {
					return cmdutil.FlagErrorf("unknown type %q; the types are %s", t, strings.Join(typeNames(), ", "))
				}
			}
			opts.Output = f.Output()
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return privacyRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&opts.Disable, "disable", nil, "stop masking values of TYPE (repeatable)")
	fl.StringArrayVar(&opts.Enable, "enable", nil, "mask values of TYPE again (repeatable)")
	fl.StringArrayVar(&opts.Allow, "allow", nil, "never mask VALUE (\"*.example.org\" for a domain; repeatable)")
	fl.StringArrayVar(&opts.Block, "block", nil, "always mask VALUE, wherever it appears (repeatable)")
	fl.StringVar(&opts.ExportMap, "export-map", "", "write the reverse map of every known name (mode 0600) to this file")
	_ = cmd.RegisterFlagCompletionFunc("disable", cobra.FixedCompletions(typeNames(), cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("enable", cobra.FixedCompletions(typeNames(), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func typeNames() []string {
	var out []string
	for _, t := range anonymize.Types() {
		out = append(out, string(t))
	}
	return out
}

// PrivacyView is what privacy shows (-o json).
type PrivacyView struct {
	KeyPath     string             `json:"key_path"`
	KeyExists   bool               `json:"key_exists"`
	RulesPath   string             `json:"rules_path"`
	RulesExist  bool               `json:"rules_exist"`
	Types       []TypeView         `json:"types"`
	Allow       []string           `json:"allow"`
	Block       []string           `json:"block"`
	Patterns    []PatternView      `json:"patterns"`
	Known       privacy.KnownStats `json:"known"`
	StateLoaded bool               `json:"state_loaded"`
}

// PatternView is one custom pattern of the rules file.
type PatternView struct {
	Name   string `json:"name"`
	Regexp string `json:"regexp"`
	Type   string `json:"type"`
}

// TypeView is one kind of value and whether it is masked.
type TypeView struct {
	Type   string `json:"type"`
	Masked bool   `json:"masked"`
	As     string `json:"as"` // "pseudonym" or "redacted"
}

func privacyRun(ctx context.Context, opts *PrivacyOptions) error {
	svc, warn, err := opts.Deps.service(ctx, "privacy", opts.Now)
	if err != nil {
		return err
	}
	printWarnings(opts.IO, warn)
	ch := privacy.RuleChanges{Allow: opts.Allow, Block: opts.Block}
	for _, t := range opts.Disable {
		ch.Disable = append(ch.Disable, anonymize.Type(t))
	}
	for _, t := range opts.Enable {
		ch.Enable = append(ch.Enable, anonymize.Type(t))
	}
	if !ch.Empty() {
		if _, err := svc.UpdateRules(ch); err != nil {
			return err
		}
		fmt.Fprintf(opts.IO.ErrOut, "Updated %s\n", rel(svc.RulesPath()))
		var secret []string
		for _, t := range ch.Disable {
			if t.IsSecret() {
				secret = append(secret, string(t))
			}
		}
		if len(secret) > 0 {
			printWarnings(opts.IO, []string{"values of type " + strings.Join(secret, ", ") + " are secrets: they will now leave the machine unmasked"})
		}
	}
	if opts.ExportMap != "" {
		m, err := svc.KnownMapping(ctx)
		if err != nil {
			return err
		}
		if err := privacy.ExportReverse(opts.ExportMap, m); err != nil {
			return err
		}
		fmt.Fprintf(opts.IO.ErrOut, "Wrote the reverse map of %d pseudonyms (real names: keep it private) to %s\n", len(m), rel(opts.ExportMap))
		warnMapInside(opts.IO, svc.Workspace.Root, opts.ExportMap)
		if ch.Empty() {
			return nil
		}
	}
	v, err := view(ctx, svc)
	if err != nil {
		return err
	}
	return cmdutil.PrintObject(opts.IO, opts.Output, v, func(w io.Writer, cs *iostreams.ColorScheme) error {
		renderPrivacy(w, cs, v)
		return nil
	})
}

func view(ctx context.Context, svc *privacy.Service) (PrivacyView, error) {
	v := PrivacyView{RulesPath: svc.RulesPath(), Allow: []string{}, Block: []string{}, Patterns: []PatternView{}}
	p, err := svc.KeyPath()
	if err != nil {
		return v, err
	}
	v.KeyPath = p
	if _, err := os.Stat(p); err == nil {
		v.KeyExists = true
	} else if !errors.Is(err, fs.ErrNotExist) {
		return v, fmt.Errorf("anonymization key: %w", err)
	}
	rules, exists, err := svc.Rules()
	if err != nil {
		return v, err
	}
	v.RulesExist = exists
	v.Allow = append(v.Allow, rules.Allow...)
	v.Block = append(v.Block, rules.Block...)
	for _, p := range rules.Patterns {
		v.Patterns = append(v.Patterns, PatternView{Name: p.Name, Regexp: p.Regexp, Type: string(p.Type)})
	}
	for _, t := range anonymize.Types() {
		as := "pseudonym"
		if t.IsSecret() {
			as = "redacted"
		}
		v.Types = append(v.Types, TypeView{Type: string(t), Masked: !slices.Contains(rules.Disabled, t), As: as})
	}
	_, v.Known, err = svc.Known(ctx)
	if err != nil {
		return v, err
	}
	v.StateLoaded = svc.State != nil
	return v, nil
}

func renderPrivacy(w io.Writer, cs *iostreams.ColorScheme, v PrivacyView) {
	key := "made on first use"
	if v.KeyExists {
		key = "exists"
	}
	fmt.Fprintf(w, "Key:       %s (%s)\n", v.KeyPath, key)
	rules := "none: everything below is masked"
	if v.RulesExist {
		rules = "in use"
	}
	fmt.Fprintf(w, "Rules:     %s (%s)\n", v.RulesPath, rules)
	k := v.Known
	if v.StateLoaded {
		fmt.Fprintf(w, "Known:     %s (%s, %s, %s, %s) and %s, from the last sync\n",
			plural(k.Total()-k.Domains, "name"), plural(k.Nodes, "node"), plural(k.Guests, "guest"),
			plural(k.Storages, "storage"), plural(k.Pools, "pool"), plural(k.Domains, "domain"))
	} else {
		fmt.Fprintln(w, "Known:     no names: the workspace was never synced")
	}
	fmt.Fprintln(w, "Types:")
	for _, t := range v.Types {
		state := cs.Green("masked")
		if !t.Masked {
			state = cs.Yellow("off   ")
		}
		fmt.Fprintf(w, "  %-16s %s  %s\n", t.Type, state, t.As)
	}
	fmt.Fprintf(w, "Allow:     %s\n", orNone(v.Allow))
	fmt.Fprintf(w, "Block:     %s\n", orNone(v.Block))
	if len(v.Patterns) == 0 {
		fmt.Fprintln(w, "Patterns:  none")
		return
	}
	fmt.Fprintln(w, "Patterns:")
	for _, p := range v.Patterns {
		fmt.Fprintf(w, "  %s  %s  -> %s\n", p.Name, p.Regexp, p.Type)
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}
