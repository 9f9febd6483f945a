package workspace

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func validConfig() Config {
	return Config{Name: "lab", Endpoint: "https://pve1:8006", Fingerprint: strings.Repeat("ab:", 31) + "ab"}
}

// tree lists the files and folders under dir with their modes.
func tree(t *testing.T, dir string) map[string]fs.FileMode {
	t.Helper()
	out := map[string]fs.FileMode{}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return out
	}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[rel] = info.Mode()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestInit(t *testing.T) {
	t.Parallel()
	secretDir := t.TempDir()
	secret := filepath.Join(secretDir, "token")
	if err := os.WriteFile(secret, []byte("s3cr3t\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	loose := filepath.Join(secretDir, "loose")
	if err := os.WriteFile(loose, []byte("s3cr3t\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string) // prepare dir before Init
		cfg     func(dir string) Config
		opts    InitOptions
		wantErr func(error) bool
		check   func(t *testing.T, dir string)
	}{
		{name: "empty dir", check: func(t *testing.T, dir string) {
			got := tree(t, dir)
			want := map[string]fs.FileMode{
				Dir: fs.ModeDir | 0o700, filepath.Join(Dir, ConfigFile): 0o600, ".gitignore": 0o644, "README.md": 0o644,
				"terraform": fs.ModeDir | 0o755, "ansible": fs.ModeDir | 0o755, "tests": fs.ModeDir | 0o755,
			}
			for name, mode := range want {
				if got[name] != mode {
					t.Errorf("%s: mode %v, want %v", name, got[name], mode)
				}
			}
			if len(got) != len(want) {
				t.Errorf("files = %v, want %d entries", got, len(want))
			}
			cfg, err := LoadConfig(ConfigPath(dir))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Fingerprint != strings.Repeat("AB:", 31)+"AB" {
				t.Errorf("fingerprint not normalised: %q", cfg.Fingerprint)
			}
			gi, _ := os.ReadFile(filepath.Join(dir, ".gitignore"))
			for _, e := range []string{".proxmox-mpc/state.db*", ".proxmox-mpc/logs/", ".proxmox-mpc/history", ".proxmox-mpc/lock"} {
				if !slices.Contains(strings.Split(string(gi), "\n"), e) {
					t.Errorf(".gitignore lacks %q:\n%s", e, gi)
				}
			}
		}},
		{name: "missing dir is created", setup: func(t *testing.T, dir string) {
			if err := os.Remove(dir); err != nil {
				t.Fatal(err)
			}
		}, check: func(t *testing.T, dir string) {
			if _, err := os.Stat(ConfigPath(dir)); err != nil {
				t.Error(err)
			}
		}},
		{name: "existing files and gitignore kept", setup: func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "README.md"), "mine\n", 0o644)
			write(t, filepath.Join(dir, ".gitignore"), "*.tfstate\n.proxmox-mpc/history\n", 0o644)
			write(t, filepath.Join(dir, "terraform", "main.tf"), "# mine\n", 0o644)
		}, check: func(t *testing.T, dir string) {
			if b, _ := os.ReadFile(filepath.Join(dir, "README.md")); string(b) != "mine\n" {
				t.Errorf("README.md overwritten: %q", b)
			}
			if b, _ := os.ReadFile(filepath.Join(dir, "terraform", "main.tf")); string(b) != "# mine\n" {
				t.Errorf("main.tf changed: %q", b)
			}
			gi, _ := os.ReadFile(filepath.Join(dir, ".gitignore"))
			if !strings.HasPrefix(string(gi), "*.tfstate\n.proxmox-mpc/history\n") || strings.Count(string(gi), ".proxmox-mpc/history") != 1 ||
				!strings.Contains(string(gi), ".proxmox-mpc/logs/\n") {
				t.Errorf(".gitignore:\n%s", gi)
			}
		}},
		{name: "gitignore without final newline", setup: func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, ".gitignore"), "*.tfstate", 0o600)
		}, check: func(t *testing.T, dir string) {
			gi, _ := os.ReadFile(filepath.Join(dir, ".gitignore"))
			if !strings.HasPrefix(string(gi), "*.tfstate\n\n# proxmox-mpc") {
				t.Errorf(".gitignore:\n%s", gi)
			}
			if st, _ := os.Stat(filepath.Join(dir, ".gitignore")); st.Mode().Perm() != 0o600 {
				t.Errorf(".gitignore mode changed to %v", st.Mode())
			}
		}},
		{name: "dir made by sync (state.db, no config)", setup: func(t *testing.T, dir string) {
			write(t, StatePath(dir), "db", 0o600)
		}, check: func(t *testing.T, dir string) {
			if b, _ := os.ReadFile(StatePath(dir)); string(b) != "db" {
				t.Error("state.db changed")
			}
		}},
		{name: "nested refused", setup: func(t *testing.T, dir string) {
			write(t, ConfigPath(filepath.Dir(dir)), "name: outer\ncontext: x\n", 0o600)
		}, wantErr: func(err error) bool { var e *NestedError; return errors.As(err, &e) }},
		{name: "exists refused", setup: func(t *testing.T, dir string) {
			write(t, ConfigPath(dir), "name: old\ncontext: x\n", 0o600)
		}, wantErr: func(err error) bool { var e *ExistsError; return errors.As(err, &e) }},
		{name: "force rewrites config", setup: func(t *testing.T, dir string) {
			write(t, ConfigPath(dir), "name: old\ncontext: x\n", 0o600)
			write(t, filepath.Join(dir, "README.md"), "mine\n", 0o644)
		}, opts: InitOptions{Force: true}, check: func(t *testing.T, dir string) {
			cfg, err := LoadConfig(ConfigPath(dir))
			if err != nil || cfg.Name != "lab" {
				t.Errorf("config = %+v, %v", cfg, err)
			}
		}},
		{name: "secret file ok", cfg: func(string) Config {
			c := validConfig()
			c.Auth.TokenID, c.Auth.SecretFile = "ci@pve!lab", secret
			return c
		}},
		{name: "invalid config leaves nothing", cfg: func(string) Config { c := validConfig(); c.Endpoint = "http://x"; return c },
			wantErr: func(err error) bool { var e *ConfigError; return errors.As(err, &e) && e.Field == "endpoint" }},
		{name: "secret file inside workspace", cfg: func(dir string) Config {
			c := validConfig()
			c.Auth.TokenID, c.Auth.SecretFile = "ci@pve!lab", filepath.Join(dir, "token")
			return c
		}, setup: func(t *testing.T, dir string) { write(t, filepath.Join(dir, "token"), "x", 0o600) },
			wantErr: func(err error) bool {
				var e *ConfigError
				return errors.As(err, &e) && strings.Contains(e.Problem, "inside the workspace")
			}},
		{name: "secret file readable by others", cfg: func(string) Config {
			c := validConfig()
			c.Auth.TokenID, c.Auth.SecretFile = "ci@pve!lab", loose
			return c
		}, wantErr: func(err error) bool {
			var e *ConfigError
			return errors.As(err, &e) && strings.Contains(e.Problem, "chmod 600")
		}},
		{name: "missing secret file", cfg: func(string) Config {
			c := validConfig()
			c.Auth.Username, c.Auth.SecretFile = "root@pam", filepath.Join(secretDir, "nope")
			return c
		}, wantErr: func(err error) bool { var e *ConfigError; return errors.As(err, &e) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "lab")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			before := tree(t, dir)
			cfg := validConfig()
			if tt.cfg != nil {
				cfg = tt.cfg(dir)
			}
			w, err := Init(dir, cfg, tt.opts)
			if tt.wantErr != nil {
				if err == nil || !tt.wantErr(err) {
					t.Fatalf("err = %v", err)
				}
				if after := tree(t, dir); len(after) != len(before) {
					t.Errorf("files changed on error: before %v, after %v", before, after)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if w.Root != dir || w.Config.Name != "lab" {
				t.Errorf("workspace = %+v", w)
			}
			if tt.check != nil {
				tt.check(t, dir)
			}
			got, err := Open(filepath.Join(dir, "terraform"))
			if err != nil || got.Root != dir || got.Config.Name != "lab" {
				t.Errorf("Open = %+v, %v", got, err)
			}
		})
	}
}

func TestInitRollsBackOnWriteError(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// a file where a folder must go makes the last step fail
	write(t, filepath.Join(dir, "tests"), "not a folder", 0o644)
	before := tree(t, dir)
	if _, err := Init(dir, validConfig(), InitOptions{}); err == nil {
		t.Fatal("Init succeeded with a file named tests")
	}
	after := tree(t, dir)
	if len(after) != len(before) {
		t.Errorf("left behind: %v", after)
	}
}

func TestOpenNotFound(t *testing.T) {
	t.Parallel()
	_, err := Open(t.TempDir())
	var nf *NotFoundError
	if !errors.As(err, &nf) || !strings.Contains(nf.Hint(), "proxmox-mpc init") {
		t.Fatalf("err = %v", err)
	}
}

func TestOpenWithoutConfig(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "my lab")
	write(t, StatePath(dir), "db", 0o600)
	w, err := Open(dir)
	if err != nil || w.Config.Name != "my-lab" {
		t.Fatalf("Open = %+v, %v", w, err)
	}
	if w.HistoryPath() != filepath.Join(dir, Dir, "history") {
		t.Errorf("HistoryPath = %q", w.HistoryPath())
	}
}

func TestOpenBadConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, ConfigPath(dir), "name: lab\ncontext: x\nbogus: 1\n", 0o600)
	_, err := Open(dir)
	var pe *ParseError
	if !errors.As(err, &pe) || !strings.HasSuffix(pe.Error(), `config.yaml:3: unknown key "bogus"`) {
		t.Fatalf("err = %v", err)
	}
}

func write(t *testing.T, path, data string, mode fs.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}
