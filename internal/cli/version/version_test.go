package version

import (
	"testing"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
)

func TestVersionRun(t *testing.T) {
	t.Parallel()
	b := cmdutil.BuildInfo{Version: "1.2.3", Commit: "abc123", Date: "2026-11-26", Go: "go1.26.8", OS: "linux", Arch: "amd64"}
	tests := []struct {
		format string
		want   string
	}{
		{"", "proxmox-mpc version 1.2.3 (abc123, 2026-11-26)\ngo1.26.8 linux/amd64\n"},
		{"json", "{\n  \"version\": \"1.2.3\",\n  \"commit\": \"abc123\",\n  \"date\": \"2026-11-26\",\n  \"go\": \"go1.26.8\",\n  \"os\": \"linux\",\n  \"arch\": \"amd64\"\n}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			t.Parallel()
			ios, _, out, _ := iostreams.Test()
			if err := versionRun(&Options{IO: ios, Build: b, Output: cmdutil.OutputOptions{Format: tt.format}}); err != nil {
				t.Fatal(err)
			}
			if out.String() != tt.want {
				t.Errorf("got %q, want %q", out.String(), tt.want)
			}
		})
	}
}
