package iostreams

import (
	"testing"
)

func envOf(m map[string]string) Env {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func TestColorAllowed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		tty  bool
		env  map[string]string
		want bool
	}{
		{"tty plain", true, map[string]string{"TERM": "xterm-256color"}, true},
		{"not a tty", false, map[string]string{"TERM": "xterm"}, false},
		{"NO_COLOR set", true, map[string]string{"NO_COLOR": "1"}, false},
		{"NO_COLOR empty still disables", true, map[string]string{"NO_COLOR": ""}, false},
		{"NO_COLOR any value", true, map[string]string{"NO_COLOR": "false"}, false},
		{"TERM dumb", true, map[string]string{"TERM": "dumb"}, false},
		{"TERM unset", true, map[string]string{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := ColorAllowed(tt.tty, envOf(tt.env)); got != tt.want {
				t.Errorf("ColorAllowed(%v, %v) = %v, want %v", tt.tty, tt.env, got, tt.want)
			}
		})
	}
}

func TestTestStreams(t *testing.T) {
	t.Parallel()
	ios, in, out, errOut := Test()
	if ios.IsStdinTTY() || ios.IsStdoutTTY() || ios.IsStderrTTY() {
		t.Fatal("Test() streams must not be TTYs")
	}
	if ios.ColorEnabled() {
		t.Fatal("Test() streams must not have colour")
	}
	if ios.CanPrompt() {
		t.Fatal("Test() streams must not prompt")
	}
	in.WriteString("input")
	buf := make([]byte, 5)
	if n, _ := ios.In.Read(buf); string(buf[:n]) != "input" {
		t.Errorf("In not wired to in buffer: %q", buf[:n])
	}
	_, _ = ios.Out.Write([]byte("o"))
	_, _ = ios.ErrOut.Write([]byte("e"))
	if out.String() != "o" || errOut.String() != "e" {
		t.Errorf("out=%q errOut=%q", out.String(), errOut.String())
	}
}

func TestSetters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                string
		stdin, stdout, errs bool
		wantPrompt          bool
	}{
		{"all tty", true, true, true, true},
		{"stdin only", true, false, false, false},
		{"stdout only", false, true, false, false},
		{"none", false, false, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ios, _, _, _ := Test()
			ios.SetStdinTTY(tt.stdin)
			ios.SetStdoutTTY(tt.stdout)
			ios.SetStderrTTY(tt.errs)
			if ios.IsStdinTTY() != tt.stdin || ios.IsStdoutTTY() != tt.stdout || ios.IsStderrTTY() != tt.errs {
				t.Errorf("getters do not reflect setters")
			}
			if got := ios.CanPrompt(); got != tt.wantPrompt {
				t.Errorf("CanPrompt() = %v, want %v", got, tt.wantPrompt)
			}
		})
	}
}

func TestTerminalWidth(t *testing.T) {
	t.Parallel()
	ios, _, _, _ := Test()
	if got := ios.TerminalWidth(); got != 80 {
		t.Errorf("default width = %d, want 80", got)
	}
	ios.SetStdoutTTY(true) // no fd to query: still the default
	if got := ios.TerminalWidth(); got != 80 {
		t.Errorf("tty without fd width = %d, want 80", got)
	}
	ios.SetTerminalWidth(132)
	if got := ios.TerminalWidth(); got != 132 {
		t.Errorf("width = %d, want 132", got)
	}
	ios.SetTerminalWidth(0)
	if got := ios.TerminalWidth(); got != 80 {
		t.Errorf("reset width = %d, want 80", got)
	}
}

func TestColorSchemeFollowsStreams(t *testing.T) {
	t.Parallel()
	ios, _, _, _ := Test()
	if got := ios.ColorScheme().Red("x"); got != "x" {
		t.Errorf("colour off: Red = %q", got)
	}
	ios.SetColorEnabled(true)
	if got := ios.ColorScheme().Red("x"); got != "\x1b[31mx\x1b[0m" {
		t.Errorf("colour on: Red = %q", got)
	}
	ios.SetColorEnabled(false)
	if ios.ColorEnabled() {
		t.Error("SetColorEnabled(false) ignored")
	}
}
