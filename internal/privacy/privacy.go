// Package privacy applies the anonymization engine to a workspace: the
// per-workspace key (kept outside the workspace folder), the optional rules
// file .proxmox-mpc/privacy.yaml, the names the workspace knows from its
// state store, reverse-map export, and the diagnostic bundle of
// `report-issue`. It never prints.
package privacy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/renameio/v2"

	"github.com/proxmox-mpc/proxmox-mpc/internal/anonymize"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

// Source is what privacy reads from the state store.
type Source interface {
	Inventory(ctx context.Context) (state.Inventory, error)
	SyncRuns(ctx context.Context, limit int) ([]state.SyncRun, error)
	Operations(ctx context.Context, f state.OperationFilter) ([]state.Operation, error)
}

var _ Source = state.Store(nil)

// Service anonymizes for one workspace.
type Service struct {
	Workspace *workspace.Workspace
	// ConfigDir is the user's proxmox-mpc config directory
	// ($XDG_CONFIG_HOME/proxmox-mpc); keys live in its keys/ folder.
	ConfigDir string
	// State is the workspace's state store; nil when it has none yet (no
	// names are known then, only values with a recognisable shape).
	State Source
	// Now is the clock (bundle timestamps).
	Now func() time.Time
}

// KeysDir is the folder under ConfigDir that holds the workspace keys.
const KeysDir = "keys"

// WorkspaceID is a stable id of the workspace at root: a hash of its
// absolute path with symlinks resolved, so the key survives renaming
// nothing but is not shared between two workspaces.
func WorkspaceID(root string) string {
	p, err := filepath.Abs(root)
	if err != nil {
		p = root
	}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		p = r
	}
	sum := sha256.Sum256([]byte(filepath.Clean(p)))
	return hex.EncodeToString(sum[:12])
}

// KeyPath is where the workspace's HMAC key lives:
// ConfigDir/keys/<workspace-id>.key.
func (s *Service) KeyPath() (string, error) {
	if s.ConfigDir == "" || !filepath.IsAbs(s.ConfigDir) {
		return "", &KeyError{Problem: "no user config directory to keep the anonymization key in",
			hint: "set XDG_CONFIG_HOME or HOME to an absolute path"}
	}
	p := filepath.Join(s.ConfigDir, KeysDir, WorkspaceID(s.Workspace.Root)+".key")
	if Inside(s.Workspace.Root, p) {
		return "", &KeyError{Path: p, Problem: "the key would be inside the workspace folder, which may be committed",
			hint: "point XDG_CONFIG_HOME outside the workspace"}
	}
	return p, nil
}

// KeyError is a key that cannot be read or made.
type KeyError struct {
	Path    string
	Problem string
	hint    string
}

func (e *KeyError) Error() string {
	if e.Path == "" {
		return "anonymization key: " + e.Problem
	}
	return fmt.Sprintf("anonymization key %s: %s", e.Path, e.Problem)
}

// Hint is the next step.
func (e *KeyError) Hint() string { return e.hint }

// Key returns the workspace's key, making it on first use (0600 in a 0700
// folder). created reports that it was made now. Two processes making it
// at once end with the same key: the file is linked into place only when
// none exists.
func (s *Service) Key() (key []byte, created bool, err error) {
	p, err := s.KeyPath()
	if err != nil {
		return nil, false, err
	}
	key, err = readKey(p)
	if err == nil {
		return key, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return nil, false, fmt.Errorf("anonymization key: %w", err)
	}
	key, err = anonymize.NewKey()
	if err != nil {
		return nil, false, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".key-*")
	if err != nil {
		return nil, false, fmt.Errorf("anonymization key: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	_, werr := tmp.WriteString(hex.EncodeToString(key) + "\n")
	if werr == nil {
		werr = tmp.Sync()
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return nil, false, fmt.Errorf("anonymization key: %w", werr)
	}
	if err := os.Link(tmp.Name(), p); err != nil {
		if errors.Is(err, fs.ErrExist) { // another process won: use its key
			key, err = readKey(p)
			return key, false, err
		}
		return nil, false, fmt.Errorf("anonymization key: %w", err)
	}
	return key, true, nil
}

func readKey(p string) ([]byte, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, &KeyError{Path: p, Problem: fmt.Sprintf("mode %04o lets other users read it", st.Mode().Perm()),
			hint: "run `chmod 600 " + p + "`"}
	}
	data, err := os.ReadFile(p) // #nosec G304 -- the key path is derived from the config dir
	if err != nil {
		return nil, fmt.Errorf("anonymization key: %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(key) < anonymize.KeySize {
		return nil, &KeyError{Path: p, Problem: "not a key written by proxmox-mpc",
			hint: "remove it to make a new key (pseudonyms will then differ from earlier exports)"}
	}
	return key, nil
}

// Engine builds the anonymization engine of the workspace: its key, its
// rules file and the names it knows.
func (s *Service) Engine(ctx context.Context) (*anonymize.Engine, error) {
	key, _, err := s.Key()
	if err != nil {
		return nil, err
	}
	rules, _, err := s.Rules()
	if err != nil {
		return nil, err
	}
	known, _, err := s.Known(ctx)
	if err != nil {
		return nil, err
	}
	e, err := anonymize.New(key, rules, known)
	if err != nil {
		return nil, fmt.Errorf("anonymization engine: %w", err)
	}
	// The engine keeps loopback and other special addresses; the
	// workspace's own endpoint (an SSH tunnel, the simulator) is masked all
	// the same, as a host, so that it can be reversed.
	hp := endpointHostPort(s.Workspace.Config.Endpoint)
	if hp == "" || e.Text(hp) != hp {
		// probing counted a replacement: a fresh engine starts from zero
		return s.newEngine(key, rules, known)
	}
	rules.Patterns = append(slices.Clone(rules.Patterns), anonymize.Pattern{
		Name: "workspace-endpoint", Regexp: `(?:^|\b)` + regexp.QuoteMeta(hp) + `\b`, Type: anonymize.TypeHost})
	return s.newEngine(key, rules, known)
}

func (s *Service) newEngine(key []byte, rules anonymize.Rules, known anonymize.Known) (*anonymize.Engine, error) {
	e, err := anonymize.New(key, rules, known)
	if err != nil {
		return nil, fmt.Errorf("anonymization engine: %w", err)
	}
	return e, nil
}

// endpointHostPort is the host:port of an endpoint URL.
func endpointHostPort(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Host
}

// Inside reports whether path lies inside the folder root.
func Inside(root, path string) bool {
	r, err1 := filepath.Abs(root)
	p, err2 := filepath.Abs(path)
	if err1 != nil || err2 != nil {
		return false
	}
	if rr, err := filepath.EvalSymlinks(r); err == nil {
		r = rr
	}
	if pd, err := filepath.EvalSymlinks(filepath.Dir(p)); err == nil {
		p = filepath.Join(pd, filepath.Base(p))
	}
	rel, err := filepath.Rel(r, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// writeFile writes path atomically with mode.
func writeFile(path string, data []byte, mode fs.FileMode) error {
	if err := renameio.WriteFile(path, data, mode, renameio.WithStaticPermissions(mode)); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
