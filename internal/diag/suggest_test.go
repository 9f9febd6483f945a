package diag

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestSuggest(t *testing.T) {
	t.Parallel()
	nouns := []string{"vms", "containers", "nodes", "storage", "networks", "tasks", "templates", "snapshots"}
	verbs := []string{"start", "stop", "status", "shutdown", "suspend", "snapshot", "sync"}
	tests := []struct {
		name       string
		input      string
		candidates []string
		want       []string
	}{
		{"typo", "vsm", nouns, []string{"vms"}},
		{"one letter off", "node", nouns, []string{"nodes"}},
		{"transposition", "stroage", nouns, []string{"storage"}},
		{"case-insensitive", "VMS", nouns, []string{"vms"}},
		{"prefix matches sorted by distance", "st", verbs, []string{"stop", "start", "status"}},
		{"prefix beyond distance", "snaps", verbs, []string{"snapshot"}},
		{"at most three", "s", verbs, []string{"stop", "sync", "start"}},
		{"nothing close", "kubernetes", nouns, nil},
		{"exact match excluded", "vms", nouns, nil},
		{"empty input", "", nouns, nil},
		{"no candidates", "vms", nil, nil},
		{"duplicates once", "stat", []string{"start", "start", "state"}, []string{"start", "state"}},
		{"tie broken by name", "cat", []string{"cut", "bat", "cap"}, []string{"bat", "cap", "cut"}},
		{"long input larger limit", "containerss", nouns, []string{"containers"}},
		{"unicode", "ノード", []string{"ノーズ", "nodes"}, []string{"ノーズ"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, Suggest(tt.input, tt.candidates)); diff != "" {
				t.Errorf("Suggest(%q) mismatch (-want +got):\n%s", tt.input, diff)
			}
		})
	}
}

func TestLevenshtein(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"abc", "", 3},
		{"kitten", "sitting", 3},
		{"flaw", "lawn", 2},
		{"stop", "stop", 0},
		{"ウェブ", "ウェ", 1},
	}
	for _, tt := range tests {
		t.Run(tt.a+"_"+tt.b, func(t *testing.T) {
			t.Parallel()
			if got := levenshtein([]rune(tt.a), []rune(tt.b)); got != tt.want {
				t.Errorf("levenshtein(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func FuzzSuggest(f *testing.F) {
	f.Add("vsm", "vms,nodes,storage")
	f.Add("", "")
	f.Add("ノード", "ノーズ,nodes")
	f.Add("\xff\xfe", "a,\xff")
	f.Fuzz(func(t *testing.T, input, list string) {
		cands := strings.Split(list, ",")
		got := Suggest(input, cands)
		if len(got) > 3 {
			t.Fatalf("Suggest returned %d results", len(got))
		}
		seen := map[string]bool{}
		for _, g := range got {
			if g == input || seen[g] {
				t.Fatalf("bad suggestion %q for %q: %v", g, input, got)
			}
			seen[g] = true
			found := false
			for _, c := range cands {
				found = found || c == g
			}
			if !found {
				t.Fatalf("suggestion %q is not a candidate", g)
			}
		}
		if utf8.ValidString(input) && input != "" && len(got) == 0 {
			for _, c := range cands {
				if c != input && c != "" && len(c) < 200 && strings.HasPrefix(strings.ToLower(c), strings.ToLower(input)) && utf8.RuneCountInString(input) <= maxSuggestInput {
					t.Fatalf("prefix candidate %q missing for %q", c, input)
				}
			}
		}
	})
}
