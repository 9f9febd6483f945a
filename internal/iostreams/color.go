package iostreams

import "strings"

// ANSI SGR sequences.
const (
	ansiReset   = "\x1b[0m"
	ansiBold    = "\x1b[1m"
	ansiRed     = "\x1b[31m"
	ansiGreen   = "\x1b[32m"
	ansiYellow  = "\x1b[33m"
	ansiMagenta = "\x1b[35m"
	ansiCyan    = "\x1b[36m"
	ansiGray    = "\x1b[90m"
)

// ColorScheme wraps text in ANSI colour codes when enabled; every method is
// the identity function when colour is off.
type ColorScheme struct {
	enabled bool
}

// NewColorScheme returns a ColorScheme; enabled=false makes every method a no-op.
func NewColorScheme(enabled bool) *ColorScheme { return &ColorScheme{enabled: enabled} }

// Enabled reports whether the scheme emits colour codes.
func (c *ColorScheme) Enabled() bool { return c != nil && c.enabled }

func (c *ColorScheme) wrap(code, s string) string {
	if !c.Enabled() || s == "" {
		return s
	}
	return code + s + ansiReset
}

// Bold renders s in bold.
func (c *ColorScheme) Bold(s string) string { return c.wrap(ansiBold, s) }

// Red renders s in red.
func (c *ColorScheme) Red(s string) string { return c.wrap(ansiRed, s) }

// Green renders s in green.
func (c *ColorScheme) Green(s string) string { return c.wrap(ansiGreen, s) }

// Yellow renders s in yellow.
func (c *ColorScheme) Yellow(s string) string { return c.wrap(ansiYellow, s) }

// Cyan renders s in cyan.
func (c *ColorScheme) Cyan(s string) string { return c.wrap(ansiCyan, s) }

// Gray renders s in gray.
func (c *ColorScheme) Gray(s string) string { return c.wrap(ansiGray, s) }

// Magenta renders s in magenta.
func (c *ColorScheme) Magenta(s string) string { return c.wrap(ansiMagenta, s) }

// SuccessIcon is a green check mark.
func (c *ColorScheme) SuccessIcon() string { return c.Green("✓") }

// WarningIcon is a yellow exclamation mark.
func (c *ColorScheme) WarningIcon() string { return c.Yellow("!") }

// FailureIcon is a red X.
func (c *ColorScheme) FailureIcon() string { return c.Red("X") }

// ColorFromStatus colours a guest/node/task status word: running and online
// green, stopped gray, paused and suspended yellow, unknown, offline and
// error red; anything else is returned unchanged. Matching ignores case
// and surrounding space; the original text is preserved.
func (c *ColorScheme) ColorFromStatus(status string) string {
	switch strings.ToLower(strings.TrimSpace(status)) {
	case "running", "online", "ok", "active", "available":
		return c.Green(status)
	case "stopped":
		return c.Gray(status)
	case "paused", "suspended", "prelaunch":
		return c.Yellow(status)
	case "unknown", "offline", "error", "failed", "inactive":
		return c.Red(status)
	default:
		return status
	}
}
