// Package userconfig reads and writes the user's named connection contexts
// (kubeconfig-like) at $XDG_CONFIG_HOME/proxmox-mpc/config.yaml, by
// default ~/.config/proxmox-mpc/config.yaml.
//
// The file never holds a secret: a context names its API token id or user
// and points at a 0600 secret-file, or the secret comes from
// PROXMOX_VE_API_TOKEN / PROXMOX_VE_PASSWORD. Parse rejects any key that
// looks like a secret, and no error ever echoes a value from the file that
// could be one.
package userconfig

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/proxmox-mpc/proxmox-mpc/internal/diag"
)

// AppDir is the directory name under the user's config dir.
const AppDir = "proxmox-mpc"

// FileName is the config file's name inside AppDir.
const FileName = "config.yaml"

// Config is the whole config file.
type Config struct {
	CurrentContext string    `yaml:"current-context,omitempty"`
	Contexts       []Context `yaml:"contexts"`
}

// Context is one named connection to a Proxmox VE cluster.
type Context struct {
	Name        string `yaml:"name"`
	Endpoint    string `yaml:"endpoint"`
	Fingerprint string `yaml:"fingerprint,omitempty"` // AA:BB:.. SHA-256 of the pinned server certificate
	CAFile      string `yaml:"ca-file,omitempty"`
	Insecure    bool   `yaml:"insecure,omitempty"`
	TokenID     string `yaml:"token-id,omitempty"` // USER@REALM!TOKENID — the id only, never the secret
	Username    string `yaml:"username,omitempty"`
	SecretFile  string `yaml:"secret-file,omitempty"` // 0600 file holding the token secret (or the password for ticket auth)
	DefaultNode string `yaml:"default-node,omitempty"`
}

// Getenv looks up an environment variable ("" when unset); os.Getenv fits.
type Getenv func(key string) string

// DefaultPath returns the config file path from the process environment.
func DefaultPath() (string, error) { return PathFromEnv(os.Getenv) }

// PathFromEnv returns $XDG_CONFIG_HOME/proxmox-mpc/config.yaml, or
// $HOME/.config/proxmox-mpc/config.yaml when XDG_CONFIG_HOME is unset or
// not absolute (the XDG spec says to ignore relative values).
func PathFromEnv(getenv Getenv) (string, error) {
	dir, err := DirFromEnv(getenv)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, FileName), nil
}

// DirFromEnv returns the proxmox-mpc config directory (where secret files
// conventionally live) as PathFromEnv resolves it.
func DirFromEnv(getenv Getenv) (string, error) {
	if x := getenv("XDG_CONFIG_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, AppDir), nil
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".config", AppDir), nil
	}
	return "", errors.New("locate config directory: neither XDG_CONFIG_HOME nor HOME is set")
}

// NotFoundError is returned by Get for an unknown context name.
type NotFoundError struct {
	Name  string
	Known []string
}

var _ error = (*NotFoundError)(nil)

// Error lists the known context names.
func (e *NotFoundError) Error() string {
	if len(e.Known) == 0 {
		return fmt.Sprintf("context %q not found: no contexts are configured", e.Name)
	}
	return fmt.Sprintf("context %q not found; known contexts: %s", e.Name, strings.Join(e.Known, ", "))
}

// ErrNoCurrentContext is returned by Current when no context is selected.
var ErrNoCurrentContext = errors.New("no current context is set")

// Names returns the context names in file order.
func (c *Config) Names() []string {
	names := make([]string, 0, len(c.Contexts))
	for _, x := range c.Contexts {
		names = append(names, x.Name)
	}
	return names
}

// Get returns a copy of the named context, or a *NotFoundError.
func (c *Config) Get(name string) (*Context, error) {
	for i := range c.Contexts {
		if c.Contexts[i].Name == name {
			ctx := c.Contexts[i]
			return &ctx, nil
		}
	}
	return nil, &NotFoundError{Name: name, Known: c.Names()}
}

// Current returns the current context: ErrNoCurrentContext when none is
// set, a *NotFoundError when it names a missing context.
func (c *Config) Current() (*Context, error) {
	if c.CurrentContext == "" {
		return nil, ErrNoCurrentContext
	}
	return c.Get(c.CurrentContext)
}

// Set adds ctx, or replaces the context with the same name in place.
func (c *Config) Set(ctx Context) {
	for i := range c.Contexts {
		if c.Contexts[i].Name == ctx.Name {
			c.Contexts[i] = ctx
			return
		}
	}
	c.Contexts = append(c.Contexts, ctx)
}

// Delete removes the named context and reports whether it existed. Deleting
// the current context clears CurrentContext.
func (c *Config) Delete(name string) bool {
	i := slices.IndexFunc(c.Contexts, func(x Context) bool { return x.Name == name })
	if i < 0 {
		return false
	}
	c.Contexts = slices.Delete(c.Contexts, i, i+1)
	if c.CurrentContext == name {
		c.CurrentContext = ""
	}
	return true
}

// Validate checks the rules Parse enforces (without line numbers).
func (c *Config) Validate() error {
	return validate(c, nil)
}

// Hint suggests a close name, or how to list them.
func (e *NotFoundError) Hint() string {
	if s := diag.Suggest(e.Name, e.Known); len(s) > 0 {
		return "did you mean " + strings.Join(s, " or ") + "?"
	}
	return "run `proxmox-mpc context list` to see the contexts"
}
