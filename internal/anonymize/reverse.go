package anonymize

import (
	"slices"
	"strings"
)

// Reverse turns pseudonyms in text back into the real values of mapping
// (as returned by Mapping): longest pseudonym first, only where it stands
// as a whole token (not inside a longer word or number), exactly.
func Reverse(text string, mapping map[string]string) string {
	if len(mapping) == 0 {
		return text
	}
	byFirst := map[byte][]string{}
	for p := range mapping {
		if p != "" {
			byFirst[p[0]] = append(byFirst[p[0]], p)
		}
	}
	for k, ps := range byFirst {
		slices.SortFunc(ps, func(a, b string) int {
			if len(a) != len(b) {
				return len(b) - len(a)
			}
			return strings.Compare(a, b)
		})
		byFirst[k] = ps
	}
	var b strings.Builder
	last := 0
	for i := 0; i < len(text); i++ {
		if i > 0 && isAlnum(text[i-1]) {
			continue
		}
		for _, p := range byFirst[text[i]] {
			end := i + len(p)
			if !strings.HasPrefix(text[i:], p) || (end < len(text) && isAlnum(text[end])) {
				continue
			}
			b.WriteString(text[last:i])
			b.WriteString(mapping[p])
			last = end
			i = end - 1
			break
		}
	}
	if last == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}
