package diag

import (
	"cmp"
	"slices"
	"strings"
	"unicode/utf8"
)

// maxSuggestInput bounds the Levenshtein work for absurd inputs.
const maxSuggestInput = 256

// Suggest returns up to three did-you-mean candidates for input: those
// within Levenshtein distance max(2, len(input)/3) (case-insensitive, in
// runes) and those that start with input. Results are sorted by distance,
// then name; an exact match and duplicates are left out.
func Suggest(input string, candidates []string) []string {
	if input == "" || utf8.RuneCountInString(input) > maxSuggestInput {
		return nil
	}
	in := []rune(strings.ToLower(input))
	limit := max(2, len(in)/3)
	type scored struct {
		name string
		dist int
	}
	var found []scored
	seen := make(map[string]bool, len(candidates))
	for _, c := range candidates {
		if c == input || c == "" || seen[c] {
			continue
		}
		seen[c] = true
		lc := strings.ToLower(c)
		if utf8.RuneCountInString(lc) > maxSuggestInput {
			continue
		}
		d := levenshtein(in, []rune(lc))
		if d <= limit || strings.HasPrefix(lc, string(in)) {
			found = append(found, scored{c, d})
		}
	}
	slices.SortFunc(found, func(a, b scored) int {
		if c := cmp.Compare(a.dist, b.dist); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	if len(found) > 3 {
		found = found[:3]
	}
	if len(found) == 0 {
		return nil
	}
	out := make([]string, len(found))
	for i, f := range found {
		out[i] = f.name
	}
	return out
}

// levenshtein is the edit distance between a and b (insert, delete,
// substitute, each cost 1), using two rows of memory.
func levenshtein(a, b []rune) int {
	if len(a) < len(b) {
		a, b = b, a
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
