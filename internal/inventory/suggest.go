package inventory

import (
	"cmp"
	"slices"
	"strings"
)

// Suggest returns up to three candidates close to input: a case-insensitive
// edit distance of at most max(2, len/3), or a shared prefix.
func Suggest(input string, candidates []string) []string {
	type hit struct {
		name string
		d    int
	}
	in := strings.ToLower(input)
	limit := max(2, len(in)/3)
	var hits []hit
	seen := map[string]bool{}
	for _, c := range candidates {
		if seen[c] || c == "" {
			continue
		}
		seen[c] = true
		lc := strings.ToLower(c)
		d := levenshtein(in, lc)
		switch {
		case d <= limit:
			hits = append(hits, hit{c, d})
		case len(in) >= 3 && strings.HasPrefix(lc, in):
			hits = append(hits, hit{c, limit + 1})
		}
	}
	slices.SortFunc(hits, func(a, b hit) int {
		if c := cmp.Compare(a.d, b.d); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	out := make([]string, 0, 3)
	for i := 0; i < len(hits) && i < 3; i++ {
		out = append(out, hits[i].name)
	}
	return out
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
