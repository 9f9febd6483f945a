package iac

import (
	"strings"
)

// Prop is one key=value item of a PVE property string.
type Prop struct {
	Key, Value string
	Bare       bool // the item had no '=' (a default-key value or a flag)
}

// ParseProps splits a PVE property string ("virtio=AA:..,bridge=vmbr0") into
// its items in order. An item without '=' is the value of defaultKey when it
// comes first and defaultKey is not ""; otherwise it is a key with an empty
// value and Bare set. Empty items are skipped. JoinProps reverses it.
func ParseProps(s, defaultKey string) []Prop {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	out := make([]Prop, 0, len(parts))
	for _, p := range parts {
		if p == "" {
			continue
		}
		k, v, ok := strings.Cut(p, "=")
		switch {
		case ok:
			out = append(out, Prop{Key: k, Value: v})
		case len(out) == 0 && defaultKey != "":
			out = append(out, Prop{Key: defaultKey, Value: p, Bare: true})
		default:
			out = append(out, Prop{Key: p, Bare: true})
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// JoinProps formats items back into a property string.
func JoinProps(ps []Prop) string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(',')
		}
		switch {
		case p.Bare && p.Value != "":
			b.WriteString(p.Value)
		case p.Bare:
			b.WriteString(p.Key)
		default:
			b.WriteString(p.Key)
			b.WriteByte('=')
			b.WriteString(p.Value)
		}
	}
	return b.String()
}

// propSet tracks which items of a property string were used, so that the
// rest can be reported as unmapped.
type propSet struct {
	items []Prop
	used  []bool
}

func newPropSet(s, defaultKey string) *propSet {
	items := ParseProps(s, defaultKey)
	return &propSet{items: items, used: make([]bool, len(items))}
}

// take returns the value of the first item with key and marks it used.
func (p *propSet) take(key string) (string, bool) {
	for i, it := range p.items {
		if it.Key == key && !p.used[i] {
			p.used[i] = true
			return it.Value, true
		}
	}
	return "", false
}

// first returns the first item (the default-key value), without using it.
func (p *propSet) first() (Prop, bool) {
	if len(p.items) == 0 {
		return Prop{}, false
	}
	return p.items[0], true
}

// takeFirst marks the first item used and returns it.
func (p *propSet) takeFirst() (Prop, bool) {
	if len(p.items) == 0 {
		return Prop{}, false
	}
	p.used[0] = true
	return p.items[0], true
}

// rest returns the unused items as a property string ("" when all used).
func (p *propSet) rest() string {
	var left []Prop
	for i, it := range p.items {
		if !p.used[i] {
			left = append(left, it)
		}
	}
	return JoinProps(left)
}
