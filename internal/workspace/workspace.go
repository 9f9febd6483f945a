// Package workspace knows the layout of a proxmox-mpc workspace: a folder
// with a .proxmox-mpc/ directory, found by walking up from the current
// directory like git finds .git.
package workspace

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Dir is the name of the workspace's metadata directory.
const Dir = ".proxmox-mpc"

// StateFile is the SQLite state database inside Dir.
const StateFile = "state.db"

// Find walks up from start to the nearest directory that holds Dir and
// returns it. ok is false when there is none up to the file system root.
func Find(start string) (root string, ok bool, err error) {
	dir, err := filepath.Abs(start)
	if err != nil {
		return "", false, fmt.Errorf("find workspace: %w", err)
	}
	for {
		st, err := os.Stat(filepath.Join(dir, Dir))
		switch {
		case err == nil && st.IsDir():
			return dir, true, nil
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return "", false, fmt.Errorf("find workspace: %w", err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false, nil
		}
		dir = parent
	}
}

// StatePath is the SQLite state database of the workspace at root.
func StatePath(root string) string { return filepath.Join(root, Dir, StateFile) }
