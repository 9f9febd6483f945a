// Package anonymizecmd implements `proxmox-mpc anonymize`, `privacy` and
// `report-issue`: masking files and logs before they are shown to someone
// else (an AI assistant), the rules of what is masked, and the diagnostic
// bundle.
package anonymizecmd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/inventory"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
	"github.com/proxmox-mpc/proxmox-mpc/internal/privacy"
	"github.com/proxmox-mpc/proxmox-mpc/internal/userconfig"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

// Deps are what the three commands need besides the Factory.
type Deps struct {
	// Workspace opens the workspace enclosing the current folder; nil opens
	// it from the working directory.
	Workspace func() (*workspace.Workspace, error)
	// State opens the workspace's state store. An *inventory.NoStateError
	// (never synced) is no error: no names are known then.
	State func(ctx context.Context) (privacy.Source, error)
	// ConfigDir is the user's proxmox-mpc config directory; the
	// anonymization keys live in its keys/ folder. nil reads it from the
	// process environment (XDG_CONFIG_HOME, HOME).
	ConfigDir func() (string, error)
	// Logs returns the JSON-lines log records since a time; nil reads
	// .proxmox-mpc/logs/ directly.
	Logs func(ctx context.Context, since time.Time) ([]byte, error)
	// Health returns the health report (JSON); nil leaves it out of bundles.
	Health func(ctx context.Context) ([]byte, error)
}

func openWorkspace() (*workspace.Workspace, error) {
	cwd, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("locate workspace: %w", err)
	}
	return workspace.Open(cwd)
}

// NeedsWorkspaceError is one of these commands run outside a workspace.
type NeedsWorkspaceError struct {
	Command string
	Err     error
}

func (e *NeedsWorkspaceError) Error() string {
	return fmt.Sprintf("%s needs a workspace: %v", e.Command, e.Err)
}

// Hint is the next step.
func (e *NeedsWorkspaceError) Hint() string {
	return "cd into a workspace (a folder with .proxmox-mpc/), or make one with `proxmox-mpc init`: its key and known names decide the pseudonyms"
}

func (e *NeedsWorkspaceError) Unwrap() error { return e.Err }

// service opens the workspace, its store and config dir. warn collects
// what the user should know (no names known).
func (d Deps) service(ctx context.Context, command string, now func() time.Time) (*privacy.Service, []string, error) {
	open := d.Workspace
	if open == nil {
		open = openWorkspace
	}
	ws, err := open()
	if err != nil {
		var nf *workspace.NotFoundError
		if errors.As(err, &nf) {
			return nil, nil, &NeedsWorkspaceError{Command: command, Err: err}
		}
		return nil, nil, err
	}
	configDir := d.ConfigDir
	if configDir == nil {
		configDir = func() (string, error) { return userconfig.DirFromEnv(os.Getenv) }
	}
	dir, err := configDir()
	if err != nil {
		return nil, nil, err
	}
	svc := &privacy.Service{Workspace: ws, ConfigDir: dir, Now: now}
	var warn []string
	if d.State != nil {
		src, err := d.State(ctx)
		var ns *inventory.NoStateError
		switch {
		case errors.As(err, &ns):
			warn = append(warn, "the workspace was never synced, so its guest, node, storage and pool names are not known:\n"+
				"  only values with a recognisable shape (addresses, FQDNs, tokens, ...) are masked; run `proxmox-mpc sync` first")
		case err != nil:
			return nil, nil, err
		default:
			svc.State = src
		}
	}
	return svc, warn, nil
}

func printWarnings(ios *iostreams.IOStreams, warn []string) {
	cs := ios.ColorScheme()
	for _, w := range warn {
		fmt.Fprintf(ios.ErrOut, "%s %s\n", cs.Yellow("Warning:"), w)
	}
}

// warnMapInside warns that a reverse map inside the workspace would be
// committed with it.
func warnMapInside(ios *iostreams.IOStreams, root, path string) {
	if privacy.Inside(root, path) {
		printWarnings(ios, []string{fmt.Sprintf("%s is inside the workspace: it holds the real names, keep it out of git (add it to .gitignore)", path)})
	}
}

// timestamp names files made now: 20260102T150405Z.
func timestamp(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// rel shows path relative to the working directory when it is below it.
func rel(path string) string {
	cwd, err := os.Getwd()
	if err != nil {
		return path
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	r, err := filepath.Rel(cwd, abs)
	if err != nil || strings.HasPrefix(r, "..") {
		return abs
	}
	return r
}

// ConfirmRequiredError is --no-anonymize without a terminal and without --yes.
type ConfirmRequiredError struct{ What string }

func (e *ConfirmRequiredError) Error() string {
	return e.What + " needs confirmation, and there is no terminal to ask on"
}

// Hint says how to confirm in scripts.
func (e *ConfirmRequiredError) Hint() string { return "pass --yes to confirm non-interactively" }

// Unwrap makes it a usage error (exit code 2).
func (e *ConfirmRequiredError) Unwrap() error { return &cmdutil.FlagError{Err: errors.New(e.Error())} }

// confirm asks y/N; yes skips the question; without a terminal it needs yes.
func confirm(ios *iostreams.IOStreams, yes bool, what, question string) error {
	if yes {
		return nil
	}
	if !ios.CanPrompt() {
		return &ConfirmRequiredError{What: what}
	}
	fmt.Fprint(ios.ErrOut, question+" [y/N] ")
	ans, err := bufio.NewReader(ios.In).ReadString('\n')
	if err != nil && (!errors.Is(err, io.EOF) || ans == "") {
		fmt.Fprintln(ios.ErrOut)
		return &cmdutil.CancelError{Reason: what + " cancelled: no answer"}
	}
	switch strings.ToLower(strings.TrimSpace(ans)) {
	case "y", "yes":
		return nil
	}
	return &cmdutil.CancelError{Reason: what + " cancelled"}
}
