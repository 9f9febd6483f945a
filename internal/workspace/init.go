package workspace

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/google/renameio/v2"
)

// InitOptions tune Init.
type InitOptions struct {
	// Force rewrites the config of a folder that already is a workspace.
	Force bool
}

// Folders Init creates beside Dir.
var initFolders = []string{"terraform", "ansible", "tests"}

// gitignoreEntries keep local state, logs, history and the lock out of git.
var gitignoreEntries = []string{
	Dir + "/" + StateFile + "*",
	Dir + "/logs/",
	Dir + "/history",
	Dir + "/lock",
	Dir + "/lock.info",
	"terraform/.terraform/", // providers and modules `tofu init` downloads
	"*.tfstate",
	"*.tfstate.backup",
}

// InitResult lists what Init wrote, relative to the root.
type InitResult struct {
	Created []string // files and folders that did not exist
	Updated []string // files that existed and were changed
}

// Init makes dir a workspace: .proxmox-mpc/config.yaml (0600), a .gitignore
// (appended to when one exists), a README.md (only when none exists) and
// the terraform/, ansible/ and tests/ folders. dir may be missing, empty or
// hold other files, which are kept. It refuses a dir inside another
// workspace (*NestedError), one that already is a workspace (*ExistsError,
// unless opts.Force) and invalid settings (*ConfigError). On any error
// nothing it wrote is left behind.
func Init(dir string, cfg Config, opts InitOptions) (*Workspace, error) {
	w, _, err := InitWithResult(dir, cfg, opts)
	return w, err
}

// InitWithResult is Init that also reports what it wrote.
func InitWithResult(dir string, cfg Config, opts InitOptions) (*Workspace, InitResult, error) {
	root, err := CanInit(dir, opts)
	if err != nil {
		return nil, InitResult{}, err
	}
	cfg.Fingerprint = strings.ToUpper(cfg.Fingerprint)
	if err := cfg.Validate(); err != nil {
		return nil, InitResult{}, err
	}
	if err := checkFiles(root, cfg); err != nil {
		return nil, InitResult{}, err
	}
	data, err := marshalConfig(cfg)
	if err != nil {
		return nil, InitResult{}, err
	}
	if _, err := ParseConfig(data); err != nil { // what we write must load
		return nil, InitResult{}, fmt.Errorf("init workspace: %w", err)
	}
	tx := &fileTx{root: root}
	if err := tx.write(cfg, data); err != nil {
		if rerr := tx.rollback(); rerr != nil {
			err = errors.Join(err, fmt.Errorf("undo partial init: %w", rerr))
		}
		return nil, InitResult{}, fmt.Errorf("init workspace: %w", err)
	}
	return &Workspace{Root: root, Config: cfg}, tx.result, nil
}

// CanInit checks, without writing, that dir may become a workspace: it is
// not inside another one (*NestedError) and is not one already
// (*ExistsError, unless opts.Force). It returns dir made absolute.
func CanInit(dir string, opts InitOptions) (string, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("init workspace: %w", err)
	}
	if st, err := os.Stat(root); err == nil && !st.IsDir() {
		return "", fmt.Errorf("init workspace: %s is not a folder", root)
	}
	if parent, ok, err := Find(filepath.Dir(root)); err != nil {
		return "", fmt.Errorf("init workspace: %w", err)
	} else if ok && filepath.Dir(root) != root {
		return "", &NestedError{Dir: root, Parent: parent}
	}
	if _, err := os.Stat(ConfigPath(root)); err == nil && !opts.Force {
		return "", &ExistsError{Root: root}
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("init workspace: %w", err)
	}
	return root, nil
}

// checkFiles checks the settings that refer to files.
func checkFiles(root string, cfg Config) error {
	if cfg.CAFile != "" {
		if _, err := os.Stat(cfg.CAFile); err != nil {
			return &ConfigError{Field: "ca-file", Problem: "cannot read " + cfg.CAFile}
		}
	}
	if p := cfg.Auth.SecretFile; p != "" {
		if inside(root, p) {
			return &ConfigError{Field: "auth.secret-file", Problem: p + " is inside the workspace; secrets never go into it"}
		}
		st, err := os.Stat(p)
		if err != nil {
			return &ConfigError{Field: "auth.secret-file", Problem: "cannot read " + p}
		}
		if !st.Mode().IsRegular() {
			return &ConfigError{Field: "auth.secret-file", Problem: p + " is not a regular file"}
		}
		if perm := st.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
			return &ConfigError{Field: "auth.secret-file", Problem: fmt.Sprintf("%s has mode %04o; run chmod 600 %s", p, perm, p)}
		}
	}
	return nil
}

// inside reports whether p is root or below it, following symlinks where
// they exist.
func inside(root, p string) bool {
	real := func(s string) string {
		abs, err := filepath.Abs(s)
		if err != nil {
			return s
		}
		// resolve the longest existing prefix
		rest := ""
		for cur := abs; ; {
			if r, err := filepath.EvalSymlinks(cur); err == nil {
				return filepath.Join(r, rest)
			}
			parent := filepath.Dir(cur)
			if parent == cur {
				return abs
			}
			rest = filepath.Join(filepath.Base(cur), rest)
			cur = parent
		}
	}
	r, q := real(root), real(p)
	rel, err := filepath.Rel(r, q)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// fileTx writes the workspace files and can undo them.
type fileTx struct {
	root    string
	dirs    []string          // created, in order
	files   []string          // created
	backups map[string][]byte // changed file → previous content
	modes   map[string]fs.FileMode
	result  InitResult
}

func (t *fileTx) rel(p string) string {
	r, err := filepath.Rel(t.root, p)
	if err != nil {
		return p
	}
	return r
}

func (t *fileTx) mkdir(p string, mode fs.FileMode) error {
	if st, err := os.Stat(p); err == nil {
		if !st.IsDir() {
			return fmt.Errorf("%s exists and is not a folder", p)
		}
		return nil
	}
	if parent := filepath.Dir(p); parent != p {
		if err := t.mkdir(parent, 0o755); err != nil {
			return err
		}
	}
	if err := os.Mkdir(p, mode); err != nil {
		return err
	}
	if err := os.Chmod(p, mode); err != nil { // umask
		return err
	}
	t.dirs = append(t.dirs, p)
	if p != t.root {
		t.result.Created = append(t.result.Created, t.rel(p)+"/")
	}
	return nil
}

// put writes data to p atomically, remembering what was there.
func (t *fileTx) put(p string, data []byte, mode fs.FileMode) error {
	old, err := os.ReadFile(p)
	switch {
	case err == nil:
		if t.backups == nil {
			t.backups, t.modes = map[string][]byte{}, map[string]fs.FileMode{}
		}
		st, serr := os.Stat(p)
		if serr != nil {
			return serr
		}
		t.backups[p], t.modes[p] = old, st.Mode().Perm()
		if bytes.Equal(old, data) {
			return nil
		}
		t.result.Updated = append(t.result.Updated, t.rel(p))
	case errors.Is(err, fs.ErrNotExist):
		t.files = append(t.files, p)
		t.result.Created = append(t.result.Created, t.rel(p))
	default:
		return err
	}
	return writeFileAtomic(p, data, mode)
}

func (t *fileTx) write(cfg Config, configData []byte) error {
	if err := t.mkdir(t.root, 0o755); err != nil {
		return err
	}
	if err := t.mkdir(filepath.Join(t.root, Dir), 0o700); err != nil {
		return err
	}
	if err := t.put(ConfigPath(t.root), configData, 0o600); err != nil {
		return err
	}
	gi := filepath.Join(t.root, ".gitignore")
	old, err := os.ReadFile(gi)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	mode := fs.FileMode(0o644)
	if st, err := os.Stat(gi); err == nil {
		mode = st.Mode().Perm()
	}
	if err := t.put(gi, mergeGitignore(old), mode); err != nil {
		return err
	}
	readme := filepath.Join(t.root, "README.md")
	if _, err := os.Lstat(readme); errors.Is(err, fs.ErrNotExist) {
		if err := t.put(readme, []byte(readmeText(cfg)), 0o644); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	for _, d := range initFolders {
		if err := t.mkdir(filepath.Join(t.root, d), 0o755); err != nil {
			return err
		}
	}
	return nil
}

func (t *fileTx) rollback() error {
	var errs []error
	for _, f := range t.files {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	for p, data := range t.backups {
		if err := writeFileAtomic(p, data, t.modes[p]); err != nil {
			errs = append(errs, err)
		}
	}
	for i := len(t.dirs) - 1; i >= 0; i-- {
		if err := os.Remove(t.dirs[i]); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// mergeGitignore appends the entries old lacks.
func mergeGitignore(old []byte) []byte {
	have := map[string]bool{}
	for line := range strings.SplitSeq(string(old), "\n") {
		have[strings.TrimSpace(line)] = true
	}
	var add []string
	for _, e := range gitignoreEntries {
		if !have[e] {
			add = append(add, e)
		}
	}
	if len(add) == 0 {
		return old
	}
	var b bytes.Buffer
	b.Write(old)
	if len(old) > 0 && !bytes.HasSuffix(old, []byte("\n")) {
		b.WriteByte('\n')
	}
	if len(old) > 0 {
		b.WriteByte('\n')
	}
	b.WriteString("# proxmox-mpc: local state, logs and history stay out of git\n")
	for _, e := range add {
		b.WriteString(e + "\n")
	}
	return b.Bytes()
}

func readmeText(cfg Config) string {
	return "# " + cfg.Name + "\n\n" +
		"This folder is a [proxmox-mpc](https://github.com/proxmox-mpc/proxmox-mpc) workspace: the\n" +
		"infrastructure of a Proxmox VE cluster kept as code.\n\n" +
		"- `.proxmox-mpc/config.yaml` — which server, which defaults (node, storage, bridge). No secrets:\n" +
		"  the API token comes from the `" + cfg.TokenEnvName() + "` environment variable or a 0600 secret\n" +
		"  file outside this folder.\n" +
		"- `.proxmox-mpc/state.db`, `logs/`, `history` — local state, logs and console history (not in git).\n" +
		"- `terraform/` — Terraform code for the bpg/proxmox provider.\n" +
		"- `ansible/` — Ansible inventory and playbooks.\n" +
		"- `tests/` — generated tests.\n\n" +
		"Run `proxmox-mpc sync` to read the cluster into this folder, and `proxmox-mpc` for the console.\n"
}

// writeFileAtomic writes data to path through a temp file in the same
// folder, fsync and rename (github.com/google/renameio), so a crash never
// leaves a half-written file.
func writeFileAtomic(path string, data []byte, mode fs.FileMode) error {
	return renameio.WriteFile(path, data, mode)
}
