package workspace

import (
	"fmt"
	"strings"
)

// NotFoundError means no workspace encloses Start.
type NotFoundError struct {
	Start string
}

var _ error = (*NotFoundError)(nil)

// Error names the folder the search started from.
func (e *NotFoundError) Error() string {
	return fmt.Sprintf("no proxmox-mpc workspace in %s or any parent folder", e.Start)
}

// Hint is the next step.
func (e *NotFoundError) Hint() string {
	return "run `proxmox-mpc init` to make this folder a workspace"
}

// NestedError refuses a workspace inside another one.
type NestedError struct {
	Dir    string // the folder asked for
	Parent string // root of the enclosing workspace
}

var _ error = (*NestedError)(nil)

// Error names both folders.
func (e *NestedError) Error() string {
	return fmt.Sprintf("%s is inside the workspace %s", e.Dir, e.Parent)
}

// Hint is the next step.
func (e *NestedError) Hint() string {
	return "use the workspace " + e.Parent + ", or init a folder outside it"
}

// ExistsError refuses to init a folder that already is a workspace.
type ExistsError struct {
	Root string
}

var _ error = (*ExistsError)(nil)

// Error names the workspace.
func (e *ExistsError) Error() string {
	return fmt.Sprintf("%s is already a proxmox-mpc workspace", e.Root)
}

// Hint is the next step.
func (e *ExistsError) Hint() string {
	return "pass --force to rewrite its config (other files are kept), or run `proxmox-mpc sync` to use it"
}

// ParseError is a problem in the workspace config, at a line when known.
type ParseError struct {
	File string // empty from ParseConfig
	Line int    // 1-based; 0 when unknown
	Msg  string
}

var _ error = (*ParseError)(nil)

// Error formats as "FILE:LINE: msg" (parts omitted when unknown).
func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		if b.Len() > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%d", e.Line)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Hint is the next step.
func (e *ParseError) Hint() string {
	if strings.Contains(e.Msg, "secret") {
		return secretHint
	}
	return "fix the file, or rewrite it with `proxmox-mpc init --force`"
}

const secretHint = "keep the token in PROXMOX_VE_API_TOKEN (or the variable named by auth.token-env), or in a 0600 secret file outside the workspace (auth.secret-file)"

// ConfigError is an invalid setting given to Init.
type ConfigError struct {
	Field   string // the config key, e.g. "endpoint" or "auth.secret-file"
	Problem string
}

var _ error = (*ConfigError)(nil)

// Error names the field.
func (e *ConfigError) Error() string { return e.Field + ": " + e.Problem }

// Hint is the next step.
func (e *ConfigError) Hint() string {
	switch e.Field {
	case "name":
		return "use letters, digits and '-' (at most 63), e.g. --name my-homelab"
	case "endpoint":
		return "use the form https://HOST:8006"
	case "fingerprint":
		return "pass the SHA-256 fingerprint as the PVE GUI shows it, e.g. --fingerprint AA:BB:...:FF"
	case "auth.secret-file", "auth.token-id", "auth.username", "auth.token-env":
		return secretHint
	case "state.url":
		return "use postgres://USER@HOST/DB (password in PGPASSWORD or ~/.pgpass), sqlite:PATH, or leave it empty for .proxmox-mpc/state.db"
	}
	return "run `proxmox-mpc init --help` for the settings"
}

// LockedError means another process holds the workspace lock.
type LockedError struct {
	PID       int
	User      string
	Since     string // RFC3339, as the holder wrote it
	Operation string
}

var _ error = (*LockedError)(nil)

// Error is "workspace locked by PID N (user) since T (operation)".
func (e *LockedError) Error() string {
	if e.PID == 0 {
		return "workspace locked by another process"
	}
	s := fmt.Sprintf("workspace locked by PID %d (%s) since %s", e.PID, e.User, e.Since)
	if e.Operation != "" {
		s += " (" + e.Operation + ")"
	}
	return s
}

// Hint is the next step.
func (e *LockedError) Hint() string {
	return "wait for it to finish and retry; only one command changes a workspace at a time"
}
