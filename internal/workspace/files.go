package workspace

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Code folders of a workspace, relative to its root.
const (
	TerraformDir = "terraform"
	AnsibleDir   = "ansible"
	TestsDir     = "tests"
)

// abs turns a slash-separated path relative to the root into an absolute
// one, refusing anything that would leave the workspace or touch its
// .proxmox-mpc folder.
func (w *Workspace) abs(rel string) (string, error) {
	clean := path.Clean(strings.ReplaceAll(rel, "\\", "/"))
	if rel == "" || path.IsAbs(clean) || clean == "." || clean == ".." || strings.HasPrefix(clean, "../") ||
		clean == Dir || strings.HasPrefix(clean, Dir+"/") {
		return "", fmt.Errorf("workspace file %q: not a path inside the workspace's code folders", rel)
	}
	return filepath.Join(w.Root, filepath.FromSlash(clean)), nil
}

// ReadFile reads a workspace file by its slash-separated path relative to
// the root; ok is false when it does not exist.
func (w *Workspace) ReadFile(rel string) (data []byte, ok bool, err error) {
	p, err := w.abs(rel)
	if err != nil {
		return nil, false, err
	}
	data, err = os.ReadFile(p)
	switch {
	case err == nil:
		return data, true, nil
	case errors.Is(err, fs.ErrNotExist):
		return nil, false, nil
	default:
		return nil, false, fmt.Errorf("read %s: %w", rel, err)
	}
}

// ReadDir reads every regular file under the folder dir (relative to the
// root, recursively) whose name ends in one of exts (all files when none),
// keyed by slash-separated path relative to the root.
func (w *Workspace) ReadDir(dir string, exts ...string) (map[string][]byte, error) {
	if _, err := w.abs(dir); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(w.Root)
	if err != nil {
		return nil, fmt.Errorf("read %s/: %w", dir, err)
	}
	defer func() { _ = root.Close() }()
	fsys := root.FS()
	start := path.Clean(dir)
	out := map[string][]byte{}
	err = fs.WalkDir(fsys, start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == start {
				return fs.SkipAll
			}
			return err
		}
		if d.IsDir() {
			if p != start && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir // .terraform/ and friends
			}
			return nil
		}
		if !d.Type().IsRegular() || !hasExt(d.Name(), exts) {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		out[p] = data
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s/: %w", dir, err)
	}
	return out, nil
}

func hasExt(name string, exts []string) bool {
	if len(exts) == 0 {
		return true
	}
	for _, e := range exts {
		if strings.HasSuffix(name, e) {
			return true
		}
	}
	return false
}

// WriteFile writes a workspace file atomically (a reader sees the old or
// the new content, never half), creating its folders.
func (w *Workspace) WriteFile(rel string, data []byte, mode fs.FileMode) error {
	p, err := w.abs(rel)
	if err != nil {
		return err
	}
	// #nosec G301 -- code folders are shared like any git checkout, as init makes them
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", rel, err)
	}
	if err := writeFileAtomic(p, data, mode); err != nil {
		return fmt.Errorf("write %s: %w", rel, err)
	}
	return nil
}

// RemoveFile removes a workspace file; a missing file is not an error.
func (w *Workspace) RemoveFile(rel string) error {
	p, err := w.abs(rel)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", rel, err)
	}
	return nil
}
