package iostreams

import "testing"

func TestColorSchemeMethods(t *testing.T) {
	t.Parallel()
	on := NewColorScheme(true)
	off := NewColorScheme(false)
	tests := []struct {
		name   string
		fn     func(*ColorScheme) string
		wantOn string
		plain  string
	}{
		{"bold", func(c *ColorScheme) string { return c.Bold("b") }, "\x1b[1mb\x1b[0m", "b"},
		{"red", func(c *ColorScheme) string { return c.Red("r") }, "\x1b[31mr\x1b[0m", "r"},
		{"green", func(c *ColorScheme) string { return c.Green("g") }, "\x1b[32mg\x1b[0m", "g"},
		{"yellow", func(c *ColorScheme) string { return c.Yellow("y") }, "\x1b[33my\x1b[0m", "y"},
		{"cyan", func(c *ColorScheme) string { return c.Cyan("c") }, "\x1b[36mc\x1b[0m", "c"},
		{"gray", func(c *ColorScheme) string { return c.Gray("g") }, "\x1b[90mg\x1b[0m", "g"},
		{"magenta", func(c *ColorScheme) string { return c.Magenta("m") }, "\x1b[35mm\x1b[0m", "m"},
		{"success", func(c *ColorScheme) string { return c.SuccessIcon() }, "\x1b[32m✓\x1b[0m", "✓"},
		{"warning", func(c *ColorScheme) string { return c.WarningIcon() }, "\x1b[33m!\x1b[0m", "!"},
		{"failure", func(c *ColorScheme) string { return c.FailureIcon() }, "\x1b[31mX\x1b[0m", "X"},
		{"empty stays empty", func(c *ColorScheme) string { return c.Red("") }, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.fn(on); got != tt.wantOn {
				t.Errorf("enabled: got %q, want %q", got, tt.wantOn)
			}
			if got := tt.fn(off); got != tt.plain {
				t.Errorf("disabled: got %q, want %q", got, tt.plain)
			}
		})
	}
}

func TestNilColorSchemeIsPlain(t *testing.T) {
	t.Parallel()
	var c *ColorScheme
	if got := c.Red("x"); got != "x" {
		t.Errorf("nil scheme Red = %q", got)
	}
}

func TestColorFromStatus(t *testing.T) {
	t.Parallel()
	cs := NewColorScheme(true)
	tests := []struct {
		status string
		want   string
	}{
		{"running", "\x1b[32mrunning\x1b[0m"},
		{"online", "\x1b[32monline\x1b[0m"},
		{"stopped", "\x1b[90mstopped\x1b[0m"},
		{"paused", "\x1b[33mpaused\x1b[0m"},
		{"suspended", "\x1b[33msuspended\x1b[0m"},
		{"unknown", "\x1b[31munknown\x1b[0m"},
		{"offline", "\x1b[31moffline\x1b[0m"},
		{"error", "\x1b[31merror\x1b[0m"},
		{"Running", "\x1b[32mRunning\x1b[0m"},
		{"migrating", "migrating"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			t.Parallel()
			if got := cs.ColorFromStatus(tt.status); got != tt.want {
				t.Errorf("ColorFromStatus(%q) = %q, want %q", tt.status, got, tt.want)
			}
			if got := NewColorScheme(false).ColorFromStatus(tt.status); got != tt.status {
				t.Errorf("disabled ColorFromStatus(%q) = %q", tt.status, got)
			}
		})
	}
}
