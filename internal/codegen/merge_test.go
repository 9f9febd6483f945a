package codegen

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const baseTF = `resource "proxmox_virtual_environment_vm" "web_01" {
  node_name = "pve1"
  name      = "web-01"
  on_boot   = true

  cpu {
    cores = 2
  }

  memory {
    dedicated = 2048
  }

  agent {
    enabled = true
  }
}
`

func TestDecide(t *testing.T) {
	t.Parallel()
	cores4 := strings.Replace(baseTF, "cores = 2", "cores = 4", 1)
	handComment := strings.Replace(baseTF, "  agent {", "  # the web tier\n  agent {", 1)
	handMemory := strings.Replace(baseTF, "dedicated = 2048", "dedicated = 4096", 1)
	handCores := strings.Replace(baseTF, "cores = 2", "cores = 8", 1)
	bothMerged := strings.Replace(handComment, "cores = 2", "cores = 4", 1)
	tests := []struct {
		name    string
		base    map[string]string
		disk    map[string]string
		gen     string
		want    Action
		content string
	}{
		{name: "new file", gen: baseTF, want: Create, content: baseTF},
		{name: "same as disk", base: map[string]string{"f": baseTF}, disk: map[string]string{"f": baseTF}, gen: baseTF, want: Unchanged},
		{name: "untouched, generator changed", base: map[string]string{"f": baseTF}, disk: map[string]string{"f": baseTF}, gen: cores4, want: Update, content: cores4},
		{name: "hand edit, nothing new", base: map[string]string{"f": baseTF}, disk: map[string]string{"f": handMemory}, gen: baseTF, want: Kept},
		{name: "hand edit elsewhere merges", base: map[string]string{"f": baseTF}, disk: map[string]string{"f": handComment}, gen: cores4, want: Merged, content: bothMerged},
		{name: "same line edited twice", base: map[string]string{"f": baseTF}, disk: map[string]string{"f": handCores}, gen: cores4, want: Conflict},
		{name: "not ours", disk: map[string]string{"f": handComment}, gen: baseTF, want: Conflict},
		{name: "deleted by hand, nothing new", base: map[string]string{"f": baseTF}, gen: baseTF, want: Kept},
		{name: "deleted by hand, changed live", base: map[string]string{"f": baseTF}, gen: cores4, want: Conflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			steps, err := Decide([]File{{Path: "f", Content: []byte(tc.gen)}}, bytesMap(tc.base), diskOf(tc.disk))
			if err != nil {
				t.Fatal(err)
			}
			if len(steps) != 1 {
				t.Fatalf("steps = %+v", steps)
			}
			st := steps[0]
			if st.Action != tc.want {
				t.Fatalf("action = %s (%s), want %s", st.Action, st.Reason, tc.want)
			}
			if diff := cmp.Diff(tc.content, string(st.Content)); diff != "" {
				t.Errorf("content (-want +got):\n%s", diff)
			}
			if (st.Action == Conflict || st.Action == Kept) != (st.New == nil) {
				t.Errorf("New = %q for %s: the base must move only when the generated version is written", st.New, st.Action)
			}
		})
	}
}

func TestDecideRemovals(t *testing.T) {
	t.Parallel()
	base := bytesMap(map[string]string{"gone.tf": baseTF, "edited.tf": baseTF, "deleted.tf": baseTF})
	disk := diskOf(map[string]string{"gone.tf": baseTF, "edited.tf": baseTF + "# mine\n"})
	steps, err := Decide(nil, base, disk)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Action{}
	for _, s := range steps {
		got[s.Path] = s.Action
	}
	want := map[string]Action{"deleted.tf": Remove, "edited.tf": Conflict, "gone.tf": Remove}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func bytesMap(m map[string]string) map[string][]byte {
	out := map[string][]byte{}
	for k, v := range m {
		out[k] = []byte(v)
	}
	return out
}

func diskOf(m map[string]string) func(string) ([]byte, bool, error) {
	return func(p string) ([]byte, bool, error) {
		v, ok := m[p]
		return []byte(v), ok, nil
	}
}

// FuzzMerge3: one-sided changes merge to that side, identical changes to
// either, and the merge never panics.
func FuzzMerge3(f *testing.F) {
	f.Add("a\nb\nc\n", "a\nB\nc\n", "a\nb\nC\n")
	f.Add(baseTF, "", "x\n")
	f.Fuzz(func(t *testing.T, base, ours, theirs string) {
		if got, ok := merge3([]byte(base), []byte(base), []byte(theirs)); !ok || string(got) != theirs {
			t.Fatalf("only theirs changed: %q, %v; want %q", got, ok, theirs)
		}
		if got, ok := merge3([]byte(base), []byte(ours), []byte(base)); !ok || string(got) != ours {
			t.Fatalf("only ours changed: %q, %v; want %q", got, ok, ours)
		}
		if got, ok := merge3([]byte(base), []byte(ours), []byte(ours)); !ok || string(got) != ours {
			t.Fatalf("same change on both sides: %q, %v; want %q", got, ok, ours)
		}
		_, _ = merge3([]byte(base), []byte(ours), []byte(theirs))
	})
}
