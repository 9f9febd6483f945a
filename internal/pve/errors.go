package pve

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Sentinels matched by errors.Is on *APIError.
var (
	ErrUnauthorized = errors.New("unauthorized")
	ErrForbidden    = errors.New("forbidden")
	ErrNotFound     = errors.New("not found")
	ErrServer       = errors.New("server error")
)

// APIError is a non-2xx reply from the PVE API.
type APIError struct {
	Method  string
	Path    string // relative to /api2/json, without the query
	Status  int
	Message string            // body "message" (trailing newline trimmed), else the reason phrase
	Params  map[string]string // PVE's "errors" map (400 parameter errors)

	authMethod string // "api-token" | "ticket", for the hint
}

var _ error = (*APIError)(nil)

// Error is one line: "GET /cluster/nextid: 400 Parameter verification failed. (vmid: VM 200 already exists)".
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %d", e.Method, e.Path, e.Status)
	if e.Message != "" {
		b.WriteString(" " + oneLine(e.Message))
	}
	if len(e.Params) > 0 {
		b.WriteString(" (" + e.paramList() + ")")
	}
	return b.String()
}

func (e *APIError) paramList() string {
	keys := make([]string, 0, len(e.Params))
	for k := range e.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + oneLine(e.Params[k])
	}
	return strings.Join(parts, "; ")
}

// Is matches ErrUnauthorized (401), ErrForbidden (403), ErrNotFound (404,
// or a 500 saying "does not exist" / "no such") and ErrServer (other 5xx).
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.Status == 401
	case ErrForbidden:
		return e.Status == 403
	case ErrNotFound:
		return e.notFound()
	case ErrServer:
		return e.Status >= 500 && !e.notFound()
	}
	return false
}

func (e *APIError) notFound() bool {
	if e.Status == 404 {
		return true
	}
	if e.Status != 500 {
		return false
	}
	m := strings.ToLower(e.Message)
	return strings.Contains(m, "does not exist") || strings.Contains(m, "no such")
}

// Privilege parses a 403 "Permission check failed (/vms/100, VM.Audit)"
// into its ACL path and privilege; both are "" when the message has no
// such part.
func (e *APIError) Privilege() (path, priv string) {
	m := e.Message
	i := strings.LastIndex(m, "(")
	j := strings.LastIndex(m, ")")
	if i < 0 || j < i {
		return "", ""
	}
	inner := m[i+1 : j]
	p, q, ok := strings.Cut(inner, ",")
	if !ok {
		return "", ""
	}
	p, q = strings.TrimSpace(p), strings.TrimSpace(q)
	if !strings.HasPrefix(p, "/") || q == "" {
		return "", ""
	}
	return p, q
}

// Hint is the fix a user should try.
func (e *APIError) Hint() string {
	switch {
	case e.Status == 401:
		if e.authMethod == "ticket" {
			return "check the username (USER@REALM, e.g. root@pam) and password; if two-factor auth is on, pass a fresh --otp code"
		}
		return "check the API token: PROXMOX_VE_API_TOKEN must be USER@REALM!TOKENID=SECRET and the token must exist and not be expired (pveum user token list USER@REALM)"
	case e.Status == 403:
		if path, priv := e.Privilege(); priv != "" {
			return fmt.Sprintf("grant %s on %s, e.g. `pveum acl modify %s --users USER@REALM --roles PVEVMAdmin` (for a privilege-separated token use --tokens 'USER@REALM!TOKENID')", priv, path, path)
		}
		return "the user or token lacks a privilege for this call; check its ACLs with `pveum user permissions USER@REALM`"
	case e.notFound():
		return "the object does not exist (any more); check the node name and VMID, and list what exists"
	case e.Status == 400:
		if len(e.Params) > 0 {
			return "fix the parameters: " + e.paramList()
		}
		return "the server rejected the request parameters"
	case e.Status == 501:
		return "this API call is not implemented by the server; check the PVE version (GET /version)"
	case e.Status >= 500:
		return "the server failed to run the request; check the task log and `journalctl -u pveproxy -u pvedaemon` on the node, then retry"
	}
	return "check the request and the PVE server logs"
}

// NetworkError is a dial failure, timeout or reset: the server never gave
// an HTTP reply.
type NetworkError struct {
	Endpoint string
	Err      error
}

var _ error = (*NetworkError)(nil)

func (e *NetworkError) Error() string {
	return fmt.Sprintf("connect to %s: %s", e.Endpoint, oneLine(errText(e.Err)))
}

func (e *NetworkError) Unwrap() error { return e.Err }

// Hint is the fix a user should try.
func (e *NetworkError) Hint() string {
	return fmt.Sprintf("check that %s is reachable from here (host name, port 8006, firewall, VPN) and that pveproxy runs on the node (`systemctl status pveproxy`)", e.Endpoint)
}

// TLSError is a certificate that could not be trusted: a pinned
// fingerprint mismatch (Want and Got set) or an unknown authority.
type TLSError struct {
	Endpoint string
	Want     string // pinned fingerprint, "" unless pinning
	Got      string // the server's leaf fingerprint, "AA:BB:..."
	Err      error
}

var _ error = (*TLSError)(nil)

func (e *TLSError) Error() string {
	if e.Want != "" {
		return fmt.Sprintf("tls: certificate fingerprint of %s is %s, want %s", e.Endpoint, e.Got, e.Want)
	}
	return fmt.Sprintf("tls: cannot verify the certificate of %s: %s", e.Endpoint, oneLine(errText(e.Err)))
}

func (e *TLSError) Unwrap() error { return e.Err }

// Hint is the fix a user should try.
func (e *TLSError) Hint() string {
	var b strings.Builder
	if e.Want != "" {
		b.WriteString("the server presented a different certificate than the pinned one (a renewed certificate, or someone in between); ")
	}
	if e.Got != "" {
		fmt.Fprintf(&b, "check the fingerprint on the node (`pvenode cert info` or the GUI: Node → System → Certificates); if it matches, pass `--fingerprint %s`", e.Got)
		b.WriteString("; otherwise trust its CA with --ca-file FILE, or skip verification with --insecure")
		return b.String()
	}
	b.WriteString("trust the server's CA with --ca-file FILE, pin its certificate with --fingerprint AA:BB:..., or skip verification with --insecure")
	return b.String()
}

// TaskError is a PVE task that stopped with an exit status other than
// "OK" or "WARNINGS: n".
type TaskError struct {
	UPID       string
	ExitStatus string
	LogTail    []string // the last lines of the task log
}

var _ error = (*TaskError)(nil)

func (e *TaskError) Error() string {
	what := "task " + e.UPID
	if u, err := ParseUPID(e.UPID); err == nil {
		what = "task " + u.Type
		if u.ID != "" {
			what += " " + u.ID
		}
		what += " on " + u.Node
	}
	exit := oneLine(e.ExitStatus)
	if exit == "" {
		exit = "no exit status"
	}
	return fmt.Sprintf("%s failed: %s", what, exit)
}

// Hint is the fix a user should try.
func (e *TaskError) Hint() string {
	node := "NODE"
	if u, err := ParseUPID(e.UPID); err == nil {
		node = u.Node
	}
	h := fmt.Sprintf("read the full task log: `pvenode task log %s --node %s`", e.UPID, node)
	if n := len(e.LogTail); n > 0 {
		h = "last log line: " + oneLine(e.LogTail[n-1]) + "; " + h
	}
	return h
}

// ConfigError is an invalid Config given to New.
type ConfigError struct {
	Field   string
	Problem string
	hint    string
}

var _ error = (*ConfigError)(nil)

func (e *ConfigError) Error() string {
	return fmt.Sprintf("invalid %s: %s", e.Field, e.Problem)
}

// Hint is the fix a user should try.
func (e *ConfigError) Hint() string { return e.hint }

func errText(err error) string {
	if err == nil {
		return "unknown error"
	}
	return err.Error()
}

// oneLine trims s and joins its lines with "; ".
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	f := strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
	}
	return strings.Join(f, "; ")
}

// reasonPhrase strips the code from an http.Response.Status ("400 Bad x" → "Bad x").
func reasonPhrase(status string, code int) string {
	return strings.TrimSpace(strings.TrimPrefix(status, strconv.Itoa(code)))
}
