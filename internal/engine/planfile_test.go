package engine

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestSaveLoad(t *testing.T) {
	t.Parallel()
	plan := samplePlan(t)
	var b bytes.Buffer
	if err := Save(&b, plan); err != nil {
		t.Fatal(err)
	}
	got, err := Load(&b)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(plan, got, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	for _, c := range got.Changes {
		if c.Action != Delete && c.Desired == nil {
			t.Errorf("%s: desired model not saved", c.Address)
		}
	}
}

func TestLoadRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc, want string
	}{
		{"unknown version", `{"format_version": 2, "changes": []}`, "format version 2 is not supported"},
		{"no version", `{"changes": []}`, "no format_version"},
		{"not json", `plan`, "not a saved plan"},
		{"bad action", `{"format_version": 1, "changes": [{"address": "a", "action": "explode", "disruption": "none"}]}`, `unknown action "explode"`},
		{"update without digest", `{"format_version": 1, "changes": [{"address": "a", "action": "update", "disruption": "none", "desired": {"Kind": "vm"}}]}`, "without its desired guest or digest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(strings.NewReader(tt.doc))
			var pe *PlanFileError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load: %v, want a PlanFileError with %q", err, tt.want)
			}
			if pe.Hint() == "" {
				t.Error("no hint")
			}
		})
	}
}

func TestStale(t *testing.T) {
	t.Parallel()
	plan := samplePlan(t)
	digests := map[int]string{}
	for _, c := range plan.Changes {
		if c.Digest != "" {
			digests[c.VMID] = c.Digest
		}
	}
	if err := plan.Stale(plan.CodeHash, digests); err != nil {
		t.Fatalf("fresh plan: %v", err)
	}
	changed := map[int]string{}
	for k, v := range digests {
		changed[k] = v
	}
	changed[101] = "0000"
	delete(changed, 102)
	err := plan.Stale("other", changed)
	var se *StaleError
	if !errors.As(err, &se) {
		t.Fatalf("Stale: %v", err)
	}
	for _, want := range []string{"the code changed since the plan was made", "web_01 (vmid 101) changed on the server", "web_02 (vmid 102) is gone"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	if se.Hint() == "" {
		t.Error("no hint")
	}
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte(`{"format_version": 1, "changes": []}`))
	f.Add([]byte(`{"format_version": 1, "changes": [{"address": "a", "action": "delete", "vmid": 1, "digest": "x", "disruption": "data-loss"}]}`))
	f.Add([]byte(`{"format_version": 1, "changes": [{"address": "a", "action": "create", "disruption": "none", "desired": {"Kind": "ct", "CT": {}}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Load(bytes.NewReader(data))
		if err != nil {
			return
		}
		// A loaded plan saves and loads to the same plan.
		var b bytes.Buffer
		if err := Save(&b, p); err != nil {
			t.Fatalf("save: %v", err)
		}
		if _, err := Load(&b); err != nil {
			t.Fatalf("reload: %v", err)
		}
	})
}
