// Package iostreams owns the process's standard streams: TTY detection per
// stream, colour enablement, terminal width and a ColorScheme. All user
// output goes through an IOStreams so commands can be tested with Test().
package iostreams

import (
	"bytes"
	"io"
	"os"

	"github.com/mattn/go-isatty"
	"golang.org/x/term"
)

// defaultWidth is the terminal width assumed when it cannot be detected.
const defaultWidth = 80

// IOStreams bundles the standard streams with their terminal properties.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdinTTY  bool
	stdoutTTY bool
	stderrTTY bool

	colorEnabled bool
	width        int // 0 means detect (or defaultWidth)
	widthFD      int // fd to query for the width, -1 when none
}

// Env is the subset of the environment System consults. It exists so tests
// can exercise colour detection without os.Setenv.
type Env func(key string) (string, bool)

// System returns IOStreams bound to os.Stdin, os.Stdout and os.Stderr.
func System() *IOStreams {
	return SystemWithEnv(os.LookupEnv)
}

// SystemWithEnv is System with an explicit environment lookup.
func SystemWithEnv(lookup Env) *IOStreams {
	s := &IOStreams{
		In:        os.Stdin,
		Out:       os.Stdout,
		ErrOut:    os.Stderr,
		stdinTTY:  isTerminal(os.Stdin),
		stdoutTTY: isTerminal(os.Stdout),
		stderrTTY: isTerminal(os.Stderr),
		widthFD:   int(os.Stdout.Fd()),
	}
	s.colorEnabled = ColorAllowed(s.stdoutTTY, lookup)
	return s
}

// ColorAllowed reports whether colour should be on: stdout must be a TTY,
// NO_COLOR must be unset (any value, even empty, disables colour, per
// no-color.org) and TERM must not be "dumb".
func ColorAllowed(stdoutTTY bool, lookup Env) bool {
	if !stdoutTTY {
		return false
	}
	if lookup == nil {
		return true
	}
	if _, ok := lookup("NO_COLOR"); ok {
		return false
	}
	if t, _ := lookup("TERM"); t == "dumb" {
		return false
	}
	return true
}

func isTerminal(f *os.File) bool {
	fd := f.Fd()
	return isatty.IsTerminal(fd) || isatty.IsCygwinTerminal(fd)
}

// Test returns IOStreams backed by buffers: not a TTY, no colour, width 80.
func Test() (ios *IOStreams, in *bytes.Buffer, out *bytes.Buffer, errOut *bytes.Buffer) {
	in = &bytes.Buffer{}
	out = &bytes.Buffer{}
	errOut = &bytes.Buffer{}
	ios = &IOStreams{In: in, Out: out, ErrOut: errOut, widthFD: -1}
	return ios, in, out, errOut
}

// IsStdinTTY reports whether stdin is a terminal.
func (s *IOStreams) IsStdinTTY() bool { return s.stdinTTY }

// IsStdoutTTY reports whether stdout is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether stderr is a terminal.
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// SetStdinTTY overrides stdin terminal detection.
func (s *IOStreams) SetStdinTTY(v bool) { s.stdinTTY = v }

// SetStdoutTTY overrides stdout terminal detection.
func (s *IOStreams) SetStdoutTTY(v bool) { s.stdoutTTY = v }

// SetStderrTTY overrides stderr terminal detection.
func (s *IOStreams) SetStderrTTY(v bool) { s.stderrTTY = v }

// ColorEnabled reports whether output may carry ANSI colour codes.
func (s *IOStreams) ColorEnabled() bool { return s.colorEnabled }

// SetColorEnabled turns colour on or off (--no-color sets false).
func (s *IOStreams) SetColorEnabled(v bool) { s.colorEnabled = v }

// CanPrompt reports whether interactive prompts are possible: both stdin
// and stdout are terminals.
func (s *IOStreams) CanPrompt() bool { return s.stdinTTY && s.stdoutTTY }

// TerminalWidth returns the width of the terminal in columns, or 80 when it
// is unknown (not a terminal, or detection failed).
func (s *IOStreams) TerminalWidth() int {
	if s.width > 0 {
		return s.width
	}
	if s.stdoutTTY && s.widthFD >= 0 {
		if w, _, err := term.GetSize(s.widthFD); err == nil && w > 0 {
			return w
		}
	}
	return defaultWidth
}

// SetTerminalWidth fixes the terminal width (tests, or a --width flag).
// A value <= 0 restores detection.
func (s *IOStreams) SetTerminalWidth(w int) { s.width = w }

// ColorScheme returns a ColorScheme that colours only when ColorEnabled.
func (s *IOStreams) ColorScheme() *ColorScheme {
	return NewColorScheme(s.colorEnabled)
}
