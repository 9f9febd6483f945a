package sqlite

import (
	"fmt"
	"time"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

const (
	codeBusy    = sqlite3.SQLITE_BUSY
	codeLocked  = sqlite3.SQLITE_LOCKED
	codeCorrupt = sqlite3.SQLITE_CORRUPT
	codeNotADB  = sqlite3.SQLITE_NOTADB
)

// SchemaTooNewError: the file was migrated by a newer proxmox-mpc. It
// matches state.ErrSchemaTooNew.
type SchemaTooNewError struct {
	Path    string
	Version int64 // the file's schema version
	Known   int64 // the newest this binary knows
}

func (e *SchemaTooNewError) Error() string {
	return fmt.Sprintf("state database %s has schema version %d, but this proxmox-mpc knows only up to version %d", e.Path, e.Version, e.Known)
}

// Is matches state.ErrSchemaTooNew.
func (e *SchemaTooNewError) Is(target error) bool { return target == state.ErrSchemaTooNew }

// Hint is the user's next step.
func (e *SchemaTooNewError) Hint() string {
	return fmt.Sprintf("a newer proxmox-mpc wrote this file; upgrade proxmox-mpc to a release with schema version %d or later (the file was not changed)", e.Version)
}

// CorruptError: the file is not a proxmox-mpc SQLite database, or is
// damaged. It matches state.ErrCorrupt. The file is never modified.
type CorruptError struct {
	Path string
	Err  error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("state database %s is damaged or not a proxmox-mpc state database: %v", e.Path, e.Err)
}

// Is matches state.ErrCorrupt.
func (e *CorruptError) Is(target error) bool { return target == state.ErrCorrupt }

func (e *CorruptError) Unwrap() error { return e.Err }

// Hint is the user's next step.
func (e *CorruptError) Hint() string {
	return fmt.Sprintf("the file was left as it is; move it aside (mv %s %s.bad) and run `proxmox-mpc sync` to rebuild the state, or restore it from a backup", e.Path, e.Path)
}

// LockedError: another process held the write lock beyond the busy
// timeout. It matches state.ErrLocked; nothing was written.
type LockedError struct {
	Path   string
	Waited time.Duration
	Err    error
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("state database %s is locked by another process (waited %s): %v", e.Path, e.Waited, e.Err)
}

// Is matches state.ErrLocked.
func (e *LockedError) Is(target error) bool { return target == state.ErrLocked }

func (e *LockedError) Unwrap() error { return e.Err }

// Hint is the user's next step.
func (e *LockedError) Hint() string {
	return "another proxmox-mpc (a sync or apply) is writing this workspace's state; wait for it to finish and retry"
}

// errNotFound wraps state.ErrNotFound with what was missing.
func errNotFound(what string, id int64) error {
	return fmt.Errorf("%s %d: %w", what, id, state.ErrNotFound)
}

var (
	_ error = (*SchemaTooNewError)(nil)
	_ error = (*CorruptError)(nil)
	_ error = (*LockedError)(nil)
)
