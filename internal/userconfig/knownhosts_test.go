package userconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestHostKey(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://PVE1.lan:8006":         "pve1.lan:8006",
		"https://pve1.lan":              "pve1.lan:8006",
		"https://127.0.0.1:18006/api2/": "127.0.0.1:18006",
		"https://[::1]:8006":            "[::1]:8006",
		"not a url":                     "",
	} {
		if got := HostKey(in); got != want {
			t.Errorf("HostKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestKnownHostsRoundTrip(t *testing.T) {
	t.Parallel()
	fp := strings.Repeat("AB:", 31) + "CD"
	path := filepath.Join(t.TempDir(), "sub", KnownHostsFile)
	empty, err := LoadKnownHosts(path)
	if err != nil || len(empty) != 0 {
		t.Fatalf("missing file: %v, %v", empty, err)
	}
	want := KnownHosts{"pve1:8006": fp, "127.0.0.1:18006": fp}
	if err := SaveKnownHosts(path, want); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("saved file mode %v, err %v; want 0600", st.Mode().Perm(), err)
	}
	got, err := LoadKnownHosts(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
}

func TestParseKnownHostsErrors(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"pve1:8006\n", "pve1:8006 AB:CD\n", "# ok\npve1 " + strings.Repeat("AB:", 31) + "CD\n", "a b c\n"} {
		if _, err := ParseKnownHosts("f", []byte(in)); err == nil || !strings.Contains(err.Error(), "f line") {
			t.Errorf("ParseKnownHosts(%q) = %v, want a line error", in, err)
		}
	}
}

func FuzzParseKnownHosts(f *testing.F) {
	f.Add([]byte("pve1:8006 " + strings.Repeat("AB:", 31) + "CD\n# c\n"))
	f.Add([]byte("x"))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ParseKnownHosts("f", data)
		if err != nil {
			return
		}
		again, err := ParseKnownHosts("f", k.Marshal())
		if err != nil {
			t.Fatalf("marshalled form does not parse: %v", err)
		}
		if d := cmp.Diff(k, again); d != "" {
			t.Fatalf("round trip changed it:\n%s", d)
		}
	})
}
