package inventory

import (
	"fmt"
	"slices"
	"strings"
)

// Op is a selector comparison.
type Op string

// Selector operators, as kubectl label selectors spell them.
const (
	OpEq  Op = "="
	OpNeq Op = "!="
)

// Requirement is one key=value or key!=value term of a selector.
type Requirement struct {
	Key   string
	Op    Op
	Value string
}

// Selector is a conjunction of requirements, parsed from "-l tag=web,node!=pve2".
type Selector []Requirement

// SelectorError reports a malformed selector; it is a usage error.
type SelectorError struct {
	Input   string
	Problem string
	Known   []string
}

func (e *SelectorError) Error() string {
	return fmt.Sprintf("invalid selector %q: %s", e.Input, e.Problem)
}

// Hint tells the user the accepted form.
func (e *SelectorError) Hint() string {
	h := "use key=value or key!=value, comma separated, e.g. -l tag=web,status=running"
	if len(e.Known) > 0 {
		h += "; keys: " + strings.Join(e.Known, ", ")
	}
	return h
}

// ParseSelector parses a comma-separated list of key=value / key!=value terms.
// known lists the keys the caller can match on; nil accepts any key.
func ParseSelector(s string, known []string) (Selector, error) {
	var sel Selector
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	for _, term := range strings.Split(s, ",") {
		term = strings.TrimSpace(term)
		if term == "" {
			return nil, &SelectorError{Input: s, Problem: "empty term", Known: known}
		}
		var r Requirement
		switch {
		case strings.Contains(term, "!="):
			k, v, _ := strings.Cut(term, "!=")
			r = Requirement{Key: k, Op: OpNeq, Value: v}
		case strings.Contains(term, "=="):
			k, v, _ := strings.Cut(term, "==")
			r = Requirement{Key: k, Op: OpEq, Value: v}
		case strings.Contains(term, "="):
			k, v, _ := strings.Cut(term, "=")
			r = Requirement{Key: k, Op: OpEq, Value: v}
		default:
			return nil, &SelectorError{Input: s, Problem: fmt.Sprintf("term %q has no = or !=", term), Known: known}
		}
		r.Key = strings.TrimSpace(r.Key)
		r.Value = strings.TrimSpace(r.Value)
		if r.Key == "" {
			return nil, &SelectorError{Input: s, Problem: fmt.Sprintf("term %q has no key", term), Known: known}
		}
		if strings.ContainsAny(r.Value, "=!") {
			return nil, &SelectorError{Input: s, Problem: fmt.Sprintf("term %q has more than one operator", term), Known: known}
		}
		if known != nil && !slices.Contains(known, r.Key) {
			return nil, &SelectorError{Input: s, Problem: fmt.Sprintf("unknown key %q", r.Key), Known: known}
		}
		sel = append(sel, r)
	}
	return sel, nil
}

// String renders the selector back in its canonical form.
func (s Selector) String() string {
	parts := make([]string, len(s))
	for i, r := range s {
		parts[i] = r.Key + string(r.Op) + r.Value
	}
	return strings.Join(parts, ",")
}

// Matches reports whether values (key → the object's values for that key;
// several for multi-valued keys such as tag) satisfy every requirement.
func (s Selector) Matches(values func(key string) []string) bool {
	for _, r := range s {
		vals := values(r.Key)
		has := slices.ContainsFunc(vals, func(v string) bool { return strings.EqualFold(v, r.Value) })
		if (r.Op == OpEq) != has {
			return false
		}
	}
	return true
}
