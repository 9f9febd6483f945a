package health

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/inventory"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

// checkDatabase opens the state store, reads its backend, location, size
// and schema version, and runs its integrity check.
func checkDatabase(ctx context.Context, d Deps) Check {
	const name = "database"
	if d.Store == nil {
		return Check{Name: name, Group: GroupDatabase, Status: Skipped, Detail: "skipped: no state store configured"}
	}
	start := d.Now()
	st, err := d.Store(ctx)
	if err != nil {
		var ns *inventory.NoStateError
		if errors.As(err, &ns) {
			return Check{Name: name, Group: GroupDatabase, Status: Skipped, Duration: d.Now().Sub(start),
				Detail: "skipped: no state database at " + ns.Location + " yet", Hint: "run `proxmox-mpc sync` to create it"}
		}
		c := failed(name, GroupDatabase, err, d.Now().Sub(start))
		return c
	}
	info, err := st.Info(ctx)
	if err != nil {
		return failed(name, GroupDatabase, fmt.Errorf("read database info: %w", err), d.Now().Sub(start))
	}
	where := info.Backend + " " + info.Location
	if err := st.Check(ctx); err != nil {
		c := failed(name, GroupDatabase, err, d.Now().Sub(start))
		c.Detail = where + ": " + c.Detail
		return c
	}
	detail := fmt.Sprintf("%s · schema version %d · integrity ok", where, info.SchemaVersion)
	if info.SizeBytes > 0 {
		detail = fmt.Sprintf("%s · %s · schema version %d · integrity ok", where, formatBytes(info.SizeBytes), info.SchemaVersion)
	}
	return Check{Name: name, Group: GroupDatabase, Status: Green, Detail: detail, Duration: d.Now().Sub(start)}
}

// workspaceFacts is what was found about the workspace.
type workspaceFacts struct {
	skip      bool
	skipCause string
	ws        *workspace.Workspace
	err       error
	notFound  *workspace.NotFoundError
	noConfig  bool
	writeErr  error
	duration  time.Duration
}

func (w workspaceFacts) found() bool { return w.ws != nil }

func gatherWorkspace(d Deps) workspaceFacts {
	var w workspaceFacts
	if d.Workspace == nil {
		w.skip, w.skipCause = true, "skipped: no workspace lookup"
		return w
	}
	w.duration = timed(d.Now, func() {
		w.ws, w.err = d.Workspace()
		if w.err != nil {
			w.ws = nil
			errors.As(w.err, &w.notFound)
			return
		}
		if _, err := os.Stat(workspace.ConfigPath(w.ws.Root)); errors.Is(err, fs.ErrNotExist) {
			w.noConfig = true
		}
		w.writeErr = probeWrite(w.ws)
	})
	return w
}

// probeWrite creates and removes a temporary file in the workspace's
// .proxmox-mpc folder (workspace.WriteFile keeps out of that folder, and
// the probe must not go through the atomic rename that would hide a
// folder refusing new files).
func probeWrite(ws *workspace.Workspace) error {
	f, err := os.CreateTemp(filepath.Join(ws.Root, workspace.Dir), ".health-*")
	if err != nil {
		return fmt.Errorf("create a file in %s: %w", workspace.Dir, err)
	}
	name := f.Name()
	_, werr := f.WriteString("proxmox-mpc health\n")
	cerr := f.Close()
	rerr := os.Remove(name)
	if err := errors.Join(werr, cerr); err != nil {
		return fmt.Errorf("write a file in %s: %w", workspace.Dir, errors.Join(err, rerr))
	}
	if rerr != nil {
		return fmt.Errorf("remove a file in %s: %w", workspace.Dir, rerr)
	}
	return nil
}

func (w workspaceFacts) check() Check {
	const name = "workspace"
	switch {
	case w.skip:
		return Check{Name: name, Group: GroupWorkspace, Status: Skipped, Detail: w.skipCause}
	case w.notFound != nil:
		c := skipped(name, GroupWorkspace, w.notFound)
		c.Duration = w.duration
		return c
	case w.err != nil:
		return failed(name, GroupWorkspace, w.err, w.duration)
	}
	where := w.ws.Config.Name + " at " + w.ws.Root
	if w.writeErr != nil {
		c := failed(name, GroupWorkspace, w.writeErr, w.duration)
		c.Detail = where + ": " + c.Detail
		if c.Hint == "" {
			c.Hint = "check the owner and permissions of " + workspace.Dir + " and that the disk is not full or read-only"
		}
		return c
	}
	if w.noConfig {
		return Check{Name: name, Group: GroupWorkspace, Status: Yellow, Duration: w.duration,
			Detail: where + ": no " + workspace.Dir + "/" + workspace.ConfigFile + " · " + workspace.Dir + " writable",
			Hint:   "run `proxmox-mpc init` here to write the workspace config"}
	}
	return Check{Name: name, Group: GroupWorkspace, Status: Green, Duration: w.duration,
		Detail: where + " · config valid · " + workspace.Dir + " writable"}
}
