package connection

import "testing"

func TestGroupPrivileges(t *testing.T) {
	t.Parallel()
	got := groupPrivileges([]string{"Sys.Audit", "VM.Audit", "VM.PowerMgmt", "Datastore.Audit", "VM.Console"})
	if want := "VM 3, Sys 1, Datastore 1"; got != want {
		t.Errorf("groupPrivileges = %q, want %q", got, want)
	}
}
