// Package observe sets up structured logging (log/slog) and holds the log-key
// constants every package uses, so records can be queried by key later.
package observe

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"strings"
)

// Log keys shared by every subsystem.
const (
	KeySubsys        = "subsys"
	KeyCorrelationID = "correlation_id"
	KeyOperation     = "operation"
	KeyNode          = "node"
	KeyVMID          = "vmid"
	KeyUPID          = "upid"
	KeyMethod        = "method"
	KeyPath          = "path"
	KeyStatus        = "status"
	KeyDurationMS    = "duration_ms"
	KeyErr           = "err"
)

// Options configures NewLogger.
type Options struct {
	Level slog.Level
	JSON  bool // JSON lines instead of logfmt-style text
}

// NewLogger returns a logger writing to w at the given level.
func NewLogger(w io.Writer, opts Options) *slog.Logger {
	ho := &slog.HandlerOptions{Level: opts.Level}
	var h slog.Handler
	if opts.JSON {
		h = slog.NewJSONHandler(w, ho)
	} else {
		h = slog.NewTextHandler(w, ho)
	}
	return slog.New(h)
}

// Discard returns a logger that drops every record.
func Discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// ParseLevel turns "debug", "info", "warn" or "error" into a slog.Level.
func ParseLevel(s string) (slog.Level, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug, true
	case "info":
		return slog.LevelInfo, true
	case "warn", "warning":
		return slog.LevelWarn, true
	case "error":
		return slog.LevelError, true
	}
	return slog.LevelInfo, false
}

// NewCorrelationID returns a short random identifier for one command or request.
func NewCorrelationID() string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "000000000000"
	}
	return hex.EncodeToString(b[:])
}

// More log keys: what a record is about and how an error can be fixed.
const (
	KeyPhase     = "phase"      // step of an operation: "discover", "write", "plan"...
	KeyResources = "resources"  // resources affected, e.g. ["vm/101", "ct/200"]
	KeyErrType   = "err_type"   // the Go type of an error (Redact fills it)
	KeyHint      = "hint"       // the recovery hint of an error (Redact fills it)
	KeyRequestID = "request_id" // one API request
)

// NewRequestID returns a short random id for one API request (attempt).
func NewRequestID() string {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "00000000"
	}
	return hex.EncodeToString(b[:])
}
