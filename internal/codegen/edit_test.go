package codegen

import (
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

const editSrc = `# vm 101 web-01
import {
  to = proxmox_virtual_environment_vm.web_01
  id = "pve1/101"
}

resource "proxmox_virtual_environment_vm" "web_01" {
  node_name = "pve1"
  name      = "web-01" # keep this comment
  cpu {
    cores = 2
  }
}
`

func TestSetAttributes(t *testing.T) {
	t.Parallel()
	out, err := SetAttributes([]byte(editSrc), "web_01.tf", "proxmox_virtual_environment_vm", "web_01", map[AttrPath]cty.Value{
		"cpu.cores":        cty.NumberIntVal(4),
		"memory.dedicated": cty.NumberIntVal(4096),
		"tags":             cty.ListVal([]cty.Value{cty.StringVal("prod"), cty.StringVal("web")}),
		"description":      cty.NilVal, // not there: nothing happens
	})
	if err != nil {
		t.Fatal(err)
	}
	got := string(out)
	for _, want := range []string{"cores = 4", "dedicated = 4096", `tags = ["prod", "web"]`, "# keep this comment", `id = "pve1/101"`} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if _, err := SetAttributes([]byte(editSrc), "web_01.tf", "proxmox_virtual_environment_vm", "nope", nil); err == nil {
		t.Error("an unknown resource was edited")
	}
	if _, err := SetAttributes([]byte("resource {"), "bad.tf", "x", "y", nil); err == nil || !strings.Contains(err.Error(), "bad.tf") {
		t.Errorf("syntax error: %v", err)
	}
}

func TestRemoveResource(t *testing.T) {
	t.Parallel()
	out, empty, err := RemoveResource([]byte(editSrc), "web_01.tf", "proxmox_virtual_environment_vm", "web_01")
	if err != nil {
		t.Fatal(err)
	}
	if !empty || strings.Contains(string(out), "import") || strings.Contains(string(out), "resource") {
		t.Errorf("empty=%v out:\n%s", empty, out)
	}
	two := editSrc + "\nresource \"proxmox_virtual_environment_vm\" \"db\" {\n  node_name = \"pve1\"\n}\n"
	out, empty, err = RemoveResource([]byte(two), "two.tf", "proxmox_virtual_environment_vm", "web_01")
	if err != nil || empty || !strings.Contains(string(out), `"db"`) {
		t.Errorf("empty=%v err=%v out:\n%s", empty, err, out)
	}
}

func TestEditDiff(t *testing.T) {
	t.Parallel()
	d := Edit{Path: "terraform/web_01.tf", Before: []byte("a\nb\n"), After: []byte("a\nc\n")}.Diff()
	for _, want := range []string{"--- a/terraform/web_01.tf", "+++ b/terraform/web_01.tf", "-b", "+c"} {
		if !strings.Contains(d, want) {
			t.Errorf("diff lacks %q:\n%s", want, d)
		}
	}
	if d := (Edit{Path: "x.tf", After: []byte("new\n")}).Diff(); !strings.Contains(d, "--- /dev/null") {
		t.Errorf("new-file diff:\n%s", d)
	}
}
