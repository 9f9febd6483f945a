package lifecycle

import (
	"errors"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/inventory"
)

func TestPlanPower(t *testing.T) {
	t.Parallel()
	web := inventory.Guest{VMID: 101, Name: "web-01", Type: "vm", Node: "pve1", Status: "running"}
	prot := inventory.Guest{VMID: 102, Name: "db", Type: "vm", Node: "pve1", Status: "running", Tags: []string{"Protected"}}
	ha := inventory.Guest{VMID: 103, Name: "ha", Type: "ct", Node: "pve2", Status: "stopped", HAState: "stopped", Lock: "backup"}
	tests := []struct {
		name      string
		req       PowerRequest
		wantCalls []string
		wantWarn  int
		wantSkip  int
		wantErr   any
	}{
		{"stop", PowerRequest{Verb: VerbStop, Guests: []inventory.Guest{web}}, []string{"POST /nodes/pve1/qemu/101/status/stop"}, 0, 0, nil},
		{"protected refused", PowerRequest{Verb: VerbReboot, Guests: []inventory.Guest{web, prot}}, nil, 0, 0, new(*ProtectedError)},
		{"protected forced", PowerRequest{Verb: VerbReboot, Guests: []inventory.Guest{prot}, Force: true, Timeout: 30}, []string{"POST /nodes/pve1/qemu/102/status/reboot timeout=30"}, 1, 0, nil},
		{"start protected ok", PowerRequest{Verb: VerbStart, Guests: []inventory.Guest{prot, ha}}, []string{"POST /nodes/pve2/lxc/103/status/start"}, 2, 1, nil},
		{"unknown verb", PowerRequest{Verb: "explode"}, nil, 0, 0, new(*ValidationError)},
	}
	s := New(nil, nil, nil, Options{OSUser: "x"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := s.PlanPower(tt.req)
			if tt.wantErr != nil {
				if err == nil || !errors.As(err, tt.wantErr) {
					t.Fatalf("err = %v, want %T", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var calls []string
			for _, c := range p.Calls() {
				calls = append(calls, c.String())
			}
			if d := cmp.Diff(tt.wantCalls, calls); d != "" {
				t.Errorf("calls (-want +got):\n%s", d)
			}
			if len(p.Warnings) != tt.wantWarn || len(p.Skipped) != tt.wantSkip {
				t.Errorf("warnings %v skipped %v, want %d and %d", p.Warnings, p.Skipped, tt.wantWarn, tt.wantSkip)
			}
		})
	}
}

func TestCallStringMasksSecrets(t *testing.T) {
	t.Parallel()
	c := Call{Method: "POST", Path: "/nodes/pve1/lxc", Params: url.Values{"password": {"hunter2"}, "hostname": {"a b"}}}
	want := `POST /nodes/pve1/lxc hostname="a b" password=********`
	if got := c.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got := c.MaskedParams()["password"]; got != "********" {
		t.Errorf("MaskedParams password = %q", got)
	}
}

func TestValidateSnapshotName(t *testing.T) {
	t.Parallel()
	for name, ok := range map[string]bool{"pre-up": true, "a_1": true, "": false, "1abc": false, "current": false, "has space": false, "x234567890123456789012345678901234567890": true, "x2345678901234567890123456789012345678901": false} {
		if err := ValidateSnapshotName(name); (err == nil) != ok {
			t.Errorf("ValidateSnapshotName(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}

func TestPlanDelete(t *testing.T) {
	t.Parallel()
	s := New(nil, nil, nil, Options{OSUser: "x"})
	run := inventory.Guest{VMID: 101, Name: "web", Type: "vm", Node: "pve1", Status: "running"}
	if _, err := s.PlanDelete(DeleteRequest{Guests: []inventory.Guest{run}}); !errors.As(err, new(*RunningError)) {
		t.Errorf("running without stop: %v", err)
	}
	p, err := s.PlanDelete(DeleteRequest{Guests: []inventory.Guest{run}, Stop: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Steps) != 2 || p.Steps[0].Group != p.Steps[1].Group || p.Steps[0].Action != VerbStop {
		t.Errorf("steps = %+v, want stop then delete in one group", p.Steps)
	}
}
