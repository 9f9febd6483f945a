package anonymize

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Type names a kind of sensitive value. It tags pseudonyms, redaction
// markers ([REDACTED:password]) and the per-type counts.
type Type string

// The types the engine knows. Secret types (IsSecret) are replaced by a
// [REDACTED:type] marker and never enter the reverse map; the others get a
// consistent, readable, reversible pseudonym.
const (
	TypeIPv4     Type = "ipv4"
	TypeIPv6     Type = "ipv6"
	TypeMAC      Type = "mac"
	TypeHost     Type = "host"
	TypeFQDN     Type = "fqdn"
	TypeEmail    Type = "email"
	TypeUser     Type = "user"
	TypeToken    Type = "token"
	TypeSecret   Type = "secret"
	TypeTicket   Type = "ticket"
	TypePassword Type = "password"
	TypeSSHKey   Type = "sshkey"
	TypeURLCreds Type = "url-credentials"
	TypeUUID     Type = "uuid"
	TypeBlocked  Type = "blocked"
)

// Types lists every known type in a stable order.
func Types() []Type {
	return []Type{TypeIPv4, TypeIPv6, TypeMAC, TypeHost, TypeFQDN, TypeEmail, TypeUser,
		TypeToken, TypeSecret, TypeTicket, TypePassword, TypeSSHKey, TypeURLCreds, TypeUUID, TypeBlocked}
}

// Valid reports whether t is a known type.
func (t Type) Valid() bool { return slices.Contains(Types(), t) }

// IsSecret reports whether values of type t are masked irreversibly.
func (t Type) IsSecret() bool {
	switch t {
	case TypeToken, TypeSecret, TypeTicket, TypePassword, TypeSSHKey, TypeURLCreds, TypeUUID, TypeBlocked:
		return true
	}
	return false
}

// markers holds the marker of every known type, built once: marker is on
// the hot path of every masked secret.
var markers = func() map[Type]string {
	m := make(map[Type]string, len(Types()))
	for _, t := range Types() {
		m[t] = "[REDACTED:" + string(t) + "]"
	}
	return m
}()

// markerList is every known type's marker, in Types order.
var markerList = func() []string {
	l := make([]string, 0, len(Types()))
	for _, t := range Types() {
		l = append(l, markers[t])
	}
	return l
}()

// marker is the irreversible replacement of a secret of type t.
func marker(t Type) string {
	if m, ok := markers[t]; ok {
		return m
	}
	return "[REDACTED:" + string(t) + "]"
}

// Pattern is a custom rule: every match of Regexp (or of its first
// capture group, when it has one) is anonymized as Type.
type Pattern struct {
	Name   string
	Regexp string
	Type   Type
}

// Rules are the user's configurable rules, loaded from YAML by ParseRules:
//
//	allow: ["10.0.0.1", "*.corp.example"]   # kept as they are
//	block: ["Project Falcon"]               # always masked
//	patterns:
//	  - {name: employee-id, regexp: 'EMP-[0-9]{6}', type: user}
//	disabled: [mac]                          # types left untouched
type Rules struct {
	Allow    []string
	Block    []string
	Patterns []Pattern
	Disabled []Type
}

// RulesError is a rules file problem at a line.
type RulesError struct {
	Line int
	Msg  string
	hint string
}

func (e *RulesError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("anonymize rules line %d: %s", e.Line, e.Msg)
	}
	return "anonymize rules: " + e.Msg
}

// Hint says how to fix the rules file.
func (e *RulesError) Hint() string { return e.hint }

const rulesHint = "the rules file takes the keys allow, block, patterns (name, regexp, type) and disabled"

func typesHint() string {
	names := make([]string, 0, len(Types()))
	for _, t := range Types() {
		names = append(names, string(t))
	}
	return "known types: " + strings.Join(names, ", ")
}

// ParseRules reads rules from YAML strictly: unknown keys, wrong shapes,
// bad regular expressions and unknown types are errors that name the line.
func ParseRules(data []byte) (Rules, error) {
	var r Rules
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return r, &RulesError{Msg: strings.TrimPrefix(err.Error(), "yaml: "), hint: "the rules file must be valid YAML"}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return r, nil // empty file: no rules
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return r, &RulesError{Line: root.Line, Msg: "expected a mapping at the top", hint: rulesHint}
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if seen[k.Value] {
			return r, &RulesError{Line: k.Line, Msg: fmt.Sprintf("key %q given twice", k.Value), hint: rulesHint}
		}
		seen[k.Value] = true
		var err error
		switch k.Value {
		case "allow":
			r.Allow, err = stringList(v, "allow", 1)
		case "block":
			r.Block, err = stringList(v, "block", minBlockLen)
			if err == nil {
				err = checkBlock(v, r.Block)
			}
		case "disabled":
			var names []string
			if names, err = stringList(v, "disabled", 1); err == nil {
				for j, n := range names {
					t := Type(n)
					if !t.Valid() {
						return r, &RulesError{Line: v.Content[j].Line, Msg: fmt.Sprintf("unknown type %q", n), hint: typesHint()}
					}
					r.Disabled = append(r.Disabled, t)
				}
			}
		case "patterns":
			r.Patterns, err = patternList(v)
		default:
			return r, &RulesError{Line: k.Line, Msg: fmt.Sprintf("unknown key %q", k.Value), hint: rulesHint}
		}
		if err != nil {
			return Rules{}, err
		}
	}
	return r, nil
}

const minBlockLen = 3

func stringList(n *yaml.Node, key string, minLen int) ([]string, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, &RulesError{Line: n.Line, Msg: key + " must be a list of strings", hint: key + `: ["value", ...]`}
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		if c.Kind != yaml.ScalarNode || c.Tag == "!!null" {
			return nil, &RulesError{Line: c.Line, Msg: key + " entries must be strings", hint: key + `: ["value", ...]`}
		}
		if len(c.Value) < minLen {
			return nil, &RulesError{Line: c.Line, Msg: fmt.Sprintf("%s entry %q is shorter than %d characters", key, c.Value, minLen),
				hint: "short values would match inside unrelated words; use a pattern with word boundaries instead"}
		}
		out = append(out, c.Value)
	}
	return out, nil
}

// checkBlock refuses block values that would match inside the engine's own
// output (markers and pseudonyms): masking those would not be idempotent.
func checkBlock(n *yaml.Node, vals []string) error {
	for i, v := range vals {
		if msg := blockProblem(v); msg != "" {
			return &RulesError{Line: n.Content[i].Line, Msg: fmt.Sprintf("block entry %q %s", v, msg), hint: "choose a longer, more specific value"}
		}
	}
	return nil
}

func blockProblem(v string) string {
	if strings.ContainsAny(v, "[]\n") {
		return "may not contain brackets or newlines"
	}
	for _, m := range markerList {
		if strings.Contains(m, v) {
			return "would match the redaction markers"
		}
	}
	return ""
}

func patternList(n *yaml.Node) ([]Pattern, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, &RulesError{Line: n.Line, Msg: "patterns must be a list", hint: "patterns:\n  - {name: NAME, regexp: 'RE', type: TYPE}"}
	}
	var out []Pattern
	names := map[string]bool{}
	for _, c := range n.Content {
		if c.Kind != yaml.MappingNode {
			return nil, &RulesError{Line: c.Line, Msg: "each pattern must be a mapping with name, regexp and type", hint: rulesHint}
		}
		var p Pattern
		for i := 0; i+1 < len(c.Content); i += 2 {
			k, v := c.Content[i], c.Content[i+1]
			if v.Kind != yaml.ScalarNode {
				return nil, &RulesError{Line: v.Line, Msg: fmt.Sprintf("pattern %s must be a string", k.Value), hint: rulesHint}
			}
			switch k.Value {
			case "name":
				p.Name = v.Value
			case "regexp":
				p.Regexp = v.Value
			case "type":
				p.Type = Type(v.Value)
				if !p.Type.Valid() {
					return nil, &RulesError{Line: v.Line, Msg: fmt.Sprintf("unknown type %q", v.Value), hint: typesHint()}
				}
			default:
				return nil, &RulesError{Line: k.Line, Msg: fmt.Sprintf("unknown pattern key %q", k.Value), hint: "a pattern takes name, regexp and type"}
			}
		}
		switch {
		case p.Name == "":
			return nil, &RulesError{Line: c.Line, Msg: "pattern without a name", hint: "add name: SOME-NAME"}
		case names[p.Name]:
			return nil, &RulesError{Line: c.Line, Msg: fmt.Sprintf("pattern %q given twice", p.Name), hint: "pattern names must be unique"}
		case p.Regexp == "":
			return nil, &RulesError{Line: c.Line, Msg: fmt.Sprintf("pattern %q has no regexp", p.Name), hint: "add regexp: 'RE2 expression'"}
		case p.Type == "":
			return nil, &RulesError{Line: c.Line, Msg: fmt.Sprintf("pattern %q has no type", p.Name), hint: typesHint()}
		}
		if _, err := compilePattern(p); err != nil {
			return nil, &RulesError{Line: c.Line, Msg: err.Error(), hint: "regexps use Go's RE2 syntax (https://pkg.go.dev/regexp/syntax)"}
		}
		names[p.Name] = true
		out = append(out, p)
	}
	return out, nil
}

var errEmptyMatch = errors.New("matches the empty string")

func compilePattern(p Pattern) (*regexp.Regexp, error) {
	re, err := regexp.Compile(p.Regexp)
	if err != nil {
		return nil, fmt.Errorf("pattern %q: %w", p.Name, err)
	}
	if re.MatchString("") {
		return nil, fmt.Errorf("pattern %q: %w", p.Name, errEmptyMatch)
	}
	return re, nil
}
