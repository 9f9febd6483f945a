package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/proxmox-mpc/proxmox-mpc/internal/inventory"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state/postgres"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state/sqlite"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

// stateLocation is where the state store lives: a PostgreSQL URL or a
// SQLite file.
type stateLocation struct {
	PostgresURL string
	SQLitePath  string
}

// resolveState picks the store: --state-url, then PMC_STATE_URL, then the
// nearest workspace's .proxmox-mpc/state.db, then ./.proxmox-mpc/state.db.
func resolveState(g *globalOptions, env Env, cwd string) (stateLocation, error) {
	u := g.StateURL
	if u == "" {
		u = env("PMC_STATE_URL")
	}
	switch {
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		return stateLocation{PostgresURL: u}, nil
	case strings.HasPrefix(u, "sqlite:"):
		return stateLocation{SQLitePath: strings.TrimPrefix(strings.TrimPrefix(u, "sqlite:"), "//")}, nil
	case strings.Contains(u, "://"):
		return stateLocation{}, &ConnError{Problem: fmt.Sprintf("unsupported --state-url %q", redactURL(u)), hint: "use postgres://USER@HOST/DB, sqlite:PATH or a file path"}
	case u != "":
		return stateLocation{SQLitePath: u}, nil
	}
	ws, err := workspace.Open(cwd)
	var nf *workspace.NotFoundError
	switch {
	case errors.As(err, &nf):
		return stateLocation{SQLitePath: workspace.StatePath(cwd)}, nil
	case err != nil:
		return stateLocation{}, err
	case ws.Config.State.URL != "":
		if !strings.HasPrefix(ws.Config.State.URL, "postgres://") && !strings.HasPrefix(ws.Config.State.URL, "postgresql://") {
			return stateLocation{}, &ConnError{Problem: fmt.Sprintf("state.url in %s is not a postgres:// URL", workspace.ConfigPath(ws.Root)),
				hint: "leave it empty for the workspace's .proxmox-mpc/state.db, or use postgres://USER@HOST/DB"}
		}
		return stateLocation{PostgresURL: ws.Config.State.URL}, nil
	}
	return stateLocation{SQLitePath: workspace.StatePath(ws.Root)}, nil
}

func redactURL(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		if at := strings.LastIndex(u, "@"); at > i {
			return u[:i+3] + "…@" + u[at+1:]
		}
	}
	return u
}

// openState opens the store. With create false a missing SQLite file is a
// NoState error instead of a new, empty database.
func openState(ctx context.Context, loc stateLocation, create bool, log *slog.Logger) (state.Store, error) {
	if loc.PostgresURL != "" {
		st, err := postgres.Open(ctx, loc.PostgresURL, postgres.WithLogger(log))
		if err != nil {
			return nil, fmt.Errorf("open state: %w", err)
		}
		return st, nil
	}
	if !create {
		if _, err := os.Stat(loc.SQLitePath); errors.Is(err, fs.ErrNotExist) {
			return nil, &inventory.NoStateError{Location: loc.SQLitePath}
		}
	}
	st, err := sqlite.Open(ctx, filepath.Clean(loc.SQLitePath), sqlite.WithLogger(log))
	if err != nil {
		return nil, fmt.Errorf("open state: %w", err)
	}
	return st, nil
}
