package terraform

import (
	"strings"
	"testing"
)

// TestReadPreventDestroy: lifecycle.prevent_destroy is read into
// Guest.PreventDestroy, beside ignore_changes, and must be a literal bool.
func TestReadPreventDestroy(t *testing.T) {
	t.Parallel()
	const head = "resource \"proxmox_virtual_environment_vm\" \"web\" {\n  node_name = \"pve\"\n  vm_id = 100\n"
	cases := []struct {
		name    string
		src     string
		want    bool
		wantErr string // substring of the error; "" = none
	}{
		{name: "absent", src: head + "}\n"},
		{name: "true", src: head + "  lifecycle {\n    prevent_destroy = true\n  }\n}\n", want: true},
		{name: "false", src: head + "  lifecycle {\n    prevent_destroy = false\n  }\n}\n"},
		{name: "with ignore_changes", src: head + "  lifecycle {\n    ignore_changes = [scsi_hardware]\n    prevent_destroy = true\n  }\n}\n", want: true},
		{name: "container", src: "resource \"proxmox_virtual_environment_container\" \"db\" {\n  node_name = \"pve\"\n  vm_id = 200\n  lifecycle {\n    prevent_destroy = true\n  }\n}\n", want: true},
		{name: "not a bool", src: head + "  lifecycle {\n    prevent_destroy = \"maybe\"\n  }\n}\n", wantErr: "prevent_destroy"},
		{name: "not a literal", src: head + "  lifecycle {\n    prevent_destroy = var.keep\n  }\n}\n", wantErr: "prevent_destroy: not a literal value"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, err := Read(map[string][]byte{"g.tf": []byte(tc.src)})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Read error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range code.Warnings {
				if strings.Contains(w.Error(), "prevent_destroy") {
					t.Errorf("warning about prevent_destroy: %v", w)
				}
			}
			if len(code.Guests) != 1 {
				t.Fatalf("read %d guests, want 1", len(code.Guests))
			}
			if got := code.Guests[0].PreventDestroy; got != tc.want {
				t.Errorf("PreventDestroy = %v, want %v", got, tc.want)
			}
		})
	}
}
