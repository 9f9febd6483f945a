package inventory

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseSelector(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    Selector
		wantErr string
	}{
		{name: "empty", in: "", want: nil},
		{name: "one eq", in: "tag=web", want: Selector{{Key: "tag", Op: OpEq, Value: "web"}}},
		{name: "double eq", in: "tag==web", want: Selector{{Key: "tag", Op: OpEq, Value: "web"}}},
		{name: "neq and spaces", in: " tag=web , node != pve2", want: Selector{{Key: "tag", Op: OpEq, Value: "web"}, {Key: "node", Op: OpNeq, Value: "pve2"}}},
		{name: "empty value", in: "pool=", want: Selector{{Key: "pool", Op: OpEq, Value: ""}}},
		{name: "no operator", in: "web", wantErr: `has no = or !=`},
		{name: "no key", in: "=web", wantErr: "has no key"},
		{name: "empty term", in: "tag=web,,node=a", wantErr: "empty term"},
		{name: "unknown key", in: "colour=red", wantErr: `unknown key "colour"`},
		{name: "two operators", in: "tag=a=b", wantErr: "more than one operator"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseSelector(tt.in, GuestSelectorKeys())
			if tt.wantErr != "" {
				var se *SelectorError
				if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseSelector(%q) error = %v, want SelectorError containing %q", tt.in, err, tt.wantErr)
				}
				if !strings.Contains(se.Hint(), "key=value") {
					t.Errorf("hint %q does not show the form", se.Hint())
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSelector(%q): %v", tt.in, err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("ParseSelector(%q) mismatch (-want +got):\n%s", tt.in, d)
			}
		})
	}
}

func TestSelectorMatches(t *testing.T) {
	t.Parallel()
	g := Guest{VMID: 101, Name: "web-01", Node: "pve1", Status: "running", Type: TypeVM, Tags: []string{"web", "prod"}}
	tests := []struct {
		sel  string
		want bool
	}{
		{"tag=web", true},
		{"tag=WEB", true},
		{"tag=db", false},
		{"tag!=db", true},
		{"tag!=web", false},
		{"tag=web,node=pve1,status=running", true},
		{"tag=web,node=pve2", false},
		{"vmid=101,type=vm,template=false", true},
		{"pool=", true},
	}
	for _, tt := range tests {
		t.Run(tt.sel, func(t *testing.T) {
			t.Parallel()
			sel, err := ParseSelector(tt.sel, GuestSelectorKeys())
			if err != nil {
				t.Fatal(err)
			}
			if got := sel.Matches(func(k string) []string { return guestValues(g, k) }); got != tt.want {
				t.Errorf("%q matches = %v, want %v", tt.sel, got, tt.want)
			}
		})
	}
}

func FuzzParseSelector(f *testing.F) {
	for _, s := range []string{"tag=web", "a!=b,c=d", "=", "!=", ",", "x==y", " k = v "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sel, err := ParseSelector(s, nil)
		if err != nil {
			return
		}
		// the canonical form parses back to the same selector
		again, err := ParseSelector(sel.String(), nil)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", sel.String(), s, err)
		}
		if d := cmp.Diff(sel, again); d != "" {
			t.Fatalf("round trip of %q changed it:\n%s", s, d)
		}
	})
}

func TestSortBy(t *testing.T) {
	t.Parallel()
	rows := []Guest{
		{VMID: 3, Name: "b", MemoryBytes: 10},
		{VMID: 1, Name: "C", MemoryBytes: 30},
		{VMID: 2, Name: "a", MemoryBytes: 20},
	}
	ids := func(gs []Guest) []int {
		out := make([]int, len(gs))
		for i, g := range gs {
			out[i] = g.VMID
		}
		return out
	}
	tests := []struct {
		field string
		want  []int
	}{
		{"vmid", []int{1, 2, 3}},
		{"name", []int{2, 3, 1}},
		{"-memory_bytes", []int{1, 2, 3}},
		{"memory_bytes", []int{3, 2, 1}},
		{"", []int{3, 1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			t.Parallel()
			got := append([]Guest(nil), rows...)
			if err := SortBy(got, tt.field); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, ids(got)); d != "" {
				t.Errorf("SortBy(%q) (-want +got):\n%s", tt.field, d)
			}
		})
	}
	err := SortBy(append([]Guest(nil), rows...), "colour")
	var se *SortFieldError
	if !errors.As(err, &se) || !strings.Contains(se.Hint(), "memory_bytes") {
		t.Fatalf("SortBy(colour) = %v, want SortFieldError listing fields", err)
	}
}

func TestSplitTags(t *testing.T) {
	t.Parallel()
	for in, want := range map[string][]string{"": {}, "a;b": {"a", "b"}, "a,b c": {"a", "b", "c"}, ";;x;": {"x"}} {
		if d := cmp.Diff(want, SplitTags(in)); d != "" {
			t.Errorf("SplitTags(%q): %s", in, d)
		}
	}
}
