package app

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
	"github.com/proxmox-mpc/proxmox-mpc/internal/userconfig"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

// Env is the part of the process environment the program reads.
type Env func(key string) string

// connSettings is the resolved connection, before a client is made.
type connSettings struct {
	Source string // "flags", "environment", "context NAME"
	Config pve.Config
}

// ConnError is a missing or contradictory connection setting.
type ConnError struct {
	Problem string
	hint    string
}

func (e *ConnError) Error() string { return e.Problem }

// Hint is the exact next step.
func (e *ConnError) Hint() string { return e.hint }

// resolveConnection merges, in order of precedence: flags; an explicit
// --context; the PROXMOX_VE_* environment (the bpg provider's variables);
// the current context of the user's config file.
func resolveConnection(g *globalOptions, env Env) (connSettings, error) {
	var cfg pve.Config
	source := "environment"
	var ctxEntry *userconfig.Context
	if g.Context != "" || (env("PROXMOX_VE_ENDPOINT") == "" && g.Endpoint == "") {
		path, err := userconfig.PathFromEnv(userconfig.Getenv(env))
		if err != nil {
			return connSettings{}, fmt.Errorf("locate config: %w", err)
		}
		uc, err := userconfig.Load(path)
		if err != nil {
			return connSettings{}, err
		}
		name := g.Context
		if name == "" {
			name = uc.CurrentContext
		}
		if name != "" {
			c, err := uc.Get(name)
			if err != nil {
				return connSettings{}, err
			}
			ctxEntry = c
		}
	}
	explicitCtx := g.Context != ""
	if explicitCtx {
		source = "context " + ctxEntry.Name
		applyContext(&cfg, ctxEntry)
	}
	// environment
	if !explicitCtx {
		if v := env("PROXMOX_VE_ENDPOINT"); v != "" {
			cfg.Endpoint = v
		}
	}
	if v := env("PROXMOX_VE_API_TOKEN"); v != "" && cfg.APIToken == "" && cfg.Password == "" {
		cfg.APIToken = v
	}
	if u, p := env("PROXMOX_VE_USERNAME"), env("PROXMOX_VE_PASSWORD"); u != "" && p != "" && cfg.APIToken == "" && cfg.Password == "" {
		cfg.Username, cfg.Password = u, p
	}
	if v := env("PROXMOX_VE_INSECURE"); v != "" {
		b, ok := parseBoolEnv(v)
		if !ok {
			return connSettings{}, &ConnError{Problem: fmt.Sprintf("PROXMOX_VE_INSECURE=%q is not a boolean", v), hint: "set it to true or false"}
		}
		cfg.Insecure = cfg.Insecure || b
	}
	if !explicitCtx && ctxEntry != nil && cfg.Endpoint == "" {
		source = "context " + ctxEntry.Name
		applyContext(&cfg, ctxEntry)
		if cfg.APIToken == "" && cfg.Password == "" {
			if err := contextSecret(&cfg, ctxEntry); err != nil {
				return connSettings{}, err
			}
		}
	} else if explicitCtx && cfg.APIToken == "" && cfg.Password == "" {
		if err := contextSecret(&cfg, ctxEntry); err != nil {
			return connSettings{}, err
		}
	}
	// flags
	if g.Endpoint != "" {
		cfg.Endpoint = g.Endpoint
		source = "flags"
	}
	if g.Fingerprint != "" {
		cfg.Fingerprint = g.Fingerprint
	}
	if g.CAFile != "" {
		cfg.CAFile = g.CAFile
	}
	if g.Insecure {
		cfg.Insecure = true
	}
	if g.Username != "" {
		cfg.Username = g.Username
		cfg.APIToken = ""
	}
	if g.SecretFile != "" {
		secret, err := userconfig.ReadSecretFile(g.SecretFile)
		if err != nil {
			return connSettings{}, err
		}
		switch {
		case g.TokenID != "":
			cfg.APIToken, cfg.Username, cfg.Password = g.TokenID+"="+secret, "", ""
		case cfg.Username != "":
			cfg.Password, cfg.APIToken = secret, ""
		default:
			return connSettings{}, &ConnError{Problem: "--secret-file needs --token-id or --username", hint: "pass --token-id USER@REALM!ID (API token) or --username USER@REALM (password)"}
		}
	} else if g.TokenID != "" {
		return connSettings{}, &ConnError{Problem: "--token-id needs --secret-file", hint: "put the token secret in a file only you can read (chmod 600) and pass --secret-file PATH, or export PROXMOX_VE_API_TOKEN"}
	}
	if g.OTP != "" {
		cfg.OTP = g.OTP
	}
	if g.Timeout > 0 {
		cfg.Timeout = g.Timeout
	}
	if cfg.Endpoint != "" && cfg.Fingerprint == "" && cfg.CAFile == "" && !cfg.Insecure {
		if fp, err := pinnedFingerprint(env, cfg.Endpoint); err != nil {
			return connSettings{}, err
		} else if fp != "" {
			cfg.Fingerprint = fp
		}
	}
	if cfg.Endpoint == "" {
		return connSettings{}, &ConnError{
			Problem: noEndpointProblem,
			hint:    "export PROXMOX_VE_ENDPOINT=https://HOST:8006 and PROXMOX_VE_API_TOKEN='USER@REALM!ID=SECRET', pass --endpoint, or try --demo",
		}
	}
	if cfg.APIToken == "" && (cfg.Username == "" || cfg.Password == "") {
		hint := "export PROXMOX_VE_API_TOKEN='USER@REALM!ID=SECRET' (or PROXMOX_VE_USERNAME and PROXMOX_VE_PASSWORD)"
		if cfg.Username != "" {
			hint = "export PROXMOX_VE_PASSWORD, or pass --secret-file with a 0600 file holding the password"
		}
		return connSettings{}, &ConnError{Problem: "no credentials for " + cfg.Endpoint, hint: hint}
	}
	if strings.HasPrefix(cfg.Endpoint, "http://") {
		return connSettings{}, &ConnError{Problem: "endpoint " + cfg.Endpoint + " is not https", hint: "Proxmox VE serves its API on https://HOST:8006"}
	}
	if u, err := url.Parse(cfg.Endpoint); err != nil || u.Host == "" {
		return connSettings{}, &ConnError{Problem: fmt.Sprintf("endpoint %q is not a URL", cfg.Endpoint), hint: "use the form https://HOST:8006"}
	}
	return connSettings{Source: source, Config: cfg}, nil
}

func applyContext(cfg *pve.Config, c *userconfig.Context) {
	cfg.Endpoint = c.Endpoint
	cfg.Fingerprint = c.Fingerprint
	cfg.CAFile = c.CAFile
	cfg.Insecure = c.Insecure
}

func contextSecret(cfg *pve.Config, c *userconfig.Context) error {
	if c == nil || c.SecretFile == "" {
		return nil
	}
	secret, err := userconfig.ReadSecretFile(c.SecretFile)
	if err != nil {
		return fmt.Errorf("context %s: %w", c.Name, err)
	}
	switch {
	case c.TokenID != "":
		cfg.APIToken = c.TokenID + "=" + secret
	case c.Username != "":
		cfg.Username, cfg.Password = c.Username, secret
	}
	return nil
}

func parseBoolEnv(v string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true, true
	case "0", "false", "no", "off", "":
		return false, true
	}
	return false, false
}

// osEnv reads the real environment.
func osEnv(key string) string { return os.Getenv(key) }

const defaultTimeout = 30 * time.Second

// completeContexts offers the context names of the user's config file.
func completeContexts(env Env) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		path, err := userconfig.PathFromEnv(userconfig.Getenv(env))
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		uc, err := userconfig.Load(path)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return uc.Names(), cobra.ShellCompDirectiveNoFileComp
	}
}

// pinnedFingerprint returns the fingerprint confirmed earlier for endpoint
// with `test-connection --fingerprint`, or "".
func pinnedFingerprint(env Env, endpoint string) (string, error) {
	path, err := userconfig.KnownHostsPath(userconfig.Getenv(env))
	if err != nil {
		return "", nil //nolint:nilerr // no config dir: nothing pinned
	}
	known, err := userconfig.LoadKnownHosts(path)
	if err != nil {
		return "", err
	}
	return known[userconfig.HostKey(endpoint)], nil
}

// pinFingerprint records fp as the confirmed certificate of endpoint. It
// reports the file and whether anything changed.
func pinFingerprint(env Env, endpoint, fp string) (string, bool, error) {
	path, err := userconfig.KnownHostsPath(userconfig.Getenv(env))
	if err != nil {
		return "", false, err
	}
	known, err := userconfig.LoadKnownHosts(path)
	if err != nil {
		return "", false, err
	}
	key := userconfig.HostKey(endpoint)
	if key == "" || known[key] == fp {
		return path, false, nil
	}
	known[key] = fp
	if err := userconfig.SaveKnownHosts(path, known); err != nil {
		return "", false, err
	}
	return path, true, nil
}

// withWorkspace applies the connection settings of the workspace around cwd
// (its .proxmox-mpc/config.yaml), below flags: a workspace binds its folder
// to one cluster, so it wins over the PROXMOX_VE_* environment and the
// user's current context. The token comes from the environment variable the
// workspace names (default PROXMOX_VE_API_TOKEN) or its secret file.
func withWorkspace(g *globalOptions, env Env, cwd string) (*globalOptions, Env, error) {
	ws, err := workspace.Open(cwd)
	if err != nil {
		var nf *workspace.NotFoundError
		if errors.As(err, &nf) {
			return g, env, nil
		}
		return nil, nil, err
	}
	wc := ws.Config
	if wc.Endpoint == "" && wc.Context == "" {
		return g, env, nil
	}
	wg := *g
	if g.Endpoint == "" && g.Context == "" {
		wg.Endpoint, wg.Context = wc.Endpoint, wc.Context
		if wg.Fingerprint == "" && wg.CAFile == "" && !wg.Insecure {
			wg.Fingerprint, wg.CAFile, wg.Insecure = wc.Fingerprint, wc.CAFile, wc.Insecure
		}
	}
	if g.TokenID == "" && g.Username == "" && g.SecretFile == "" {
		wg.TokenID, wg.Username, wg.SecretFile = wc.Auth.TokenID, wc.Auth.Username, wc.Auth.SecretFile
	}
	wenv := env
	if name := wc.TokenEnvName(); name != workspace.DefaultTokenEnv {
		wenv = func(k string) string {
			if k == workspace.DefaultTokenEnv {
				return env(name)
			}
			return env(k)
		}
	}
	return &wg, wenv, nil
}

// noEndpointProblem is the ConnError when no endpoint is configured at all.
const noEndpointProblem = "no Proxmox VE endpoint configured"
