package workspace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"time"

	"github.com/gofrs/flock"
)

// Lock files inside Dir.
const (
	LockFile     = "lock"
	LockInfoFile = "lock.info"
)

// lockPoll is how often a waiting Lock retries.
const lockPoll = 100 * time.Millisecond

// LockInfo is what the holder of the lock writes into lock.info.
type LockInfo struct {
	PID       int    `json:"pid"`
	User      string `json:"user"`
	Since     string `json:"since"` // RFC3339
	Operation string `json:"operation"`
}

// Lock takes the workspace lock (one mutating command at a time) for
// operation, e.g. "apply". With wait false a held lock is a *LockedError
// naming the holder; with wait true it retries until the lock is free or
// ctx is done. The OS releases the lock when the holder exits, so a
// crashed holder never leaves a stale lock. unlock releases it.
func (w *Workspace) Lock(ctx context.Context, operation string, wait bool) (unlock func() error, err error) {
	dir := filepath.Join(w.Root, Dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("lock workspace: %w", err)
	}
	fl := flock.New(filepath.Join(dir, LockFile), flock.SetPermissions(0o600))
	ok, err := fl.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock workspace: %w", err)
	}
	if !ok && wait {
		ok, err = waitLock(ctx, fl)
		if err != nil {
			return nil, err
		}
	}
	if !ok {
		return nil, w.lockedError()
	}
	info := LockInfo{PID: os.Getpid(), User: currentUser(), Since: time.Now().Format(time.RFC3339), Operation: operation}
	data, err := json.Marshal(info)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("lock workspace: %w", err), fl.Unlock())
	}
	infoPath := filepath.Join(dir, LockInfoFile)
	if err := writeFileAtomic(infoPath, append(data, '\n'), 0o600); err != nil {
		return nil, errors.Join(fmt.Errorf("lock workspace: %w", err), fl.Unlock())
	}
	released := false
	return func() error {
		if released {
			return nil
		}
		released = true
		rmErr := os.Remove(infoPath)
		if errors.Is(rmErr, os.ErrNotExist) {
			rmErr = nil
		}
		if err := errors.Join(rmErr, fl.Unlock(), fl.Close()); err != nil {
			return fmt.Errorf("unlock workspace: %w", err)
		}
		return nil
	}, nil
}

func waitLock(ctx context.Context, fl *flock.Flock) (bool, error) {
	t := time.NewTicker(lockPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return false, fmt.Errorf("wait for the workspace lock: %w", ctx.Err())
		case <-t.C:
			ok, err := fl.TryLock()
			if err != nil {
				return false, fmt.Errorf("lock workspace: %w", err)
			}
			if ok {
				return true, nil
			}
		}
	}
}

// lockedError reads the holder's lock.info; a missing or garbled one still
// gives a *LockedError.
func (w *Workspace) lockedError() error {
	data, err := os.ReadFile(filepath.Join(w.Root, Dir, LockInfoFile))
	if err != nil {
		return &LockedError{}
	}
	var info LockInfo
	if json.Unmarshal(data, &info) != nil {
		return &LockedError{}
	}
	return &LockedError{PID: info.PID, User: info.User, Since: info.Since, Operation: info.Operation}
}

func currentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if s := os.Getenv("USER"); s != "" {
		return s
	}
	return "uid " + strconv.Itoa(os.Getuid())
}
