package cmdutil

import "testing"

func TestDisplayWidth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"web-01", 6},
		{"✓", 1},
		{"✅", 2},
		{"ウェブ", 6},
		{"中文abc", 7},
		{"한국", 4},
		{"ｆｕｌｌ", 8},
		{"🚀x", 3},
		{"e\u0301", 1},            // combining acute accent
		{"\x1b[31mred\x1b[0m", 3}, // colour codes are invisible
		{"\x1b[1;32mbold green\x1b[0m", 10},
		{"a\tb", 2},   // control characters have no width
		{"\u200d", 0}, // zero-width joiner
		{"\xff", 1},   // invalid UTF-8 is one replacement cell
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got := DisplayWidth(tt.in); got != tt.want {
				t.Errorf("DisplayWidth(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestCleanCell(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
	}{
		{"plain", "plain"},
		{"a\tb\nc\rd", "a b c d"},
		{"\x1b[31mred", "[31mred"},
		{"bell\x07", "bell"},
		{"c1\u0085x", "c1x"},
		{"bad\xffutf8", "bad\uFFFDutf8"},
		{"ウェブ ✓", "ウェブ ✓"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got := cleanCell(tt.in); got != tt.want {
				t.Errorf("cleanCell(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
