package anonymize

import (
	"strings"
	"testing"
)

// TestHostNamedFiles: a file named after a known host keeps its extension
// and gets the host's pseudonym; other file names are left alone.
func TestHostNamedFiles(t *testing.T) {
	t.Parallel()
	e, err := New(make([]byte, KeySize), Rules{}, Known{Hosts: []string{"web-01"}})
	if err != nil {
		t.Fatal(err)
	}
	host := e.Text("web-01")
	out := e.Text("edited terraform/web_01.tf and main.tf")
	want := strings.Replace(host, "-", "_", 1) + ".tf"
	if !strings.Contains(out, "terraform/"+want) || !strings.Contains(out, "main.tf") || strings.Contains(out, "web_01") {
		t.Errorf("Text = %q, want terraform/%s and main.tf kept", out, want)
	}
	if again := e.Text(out); again != out {
		t.Errorf("not idempotent: %q → %q", out, again)
	}
}
