package privacy

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/proxmox-mpc/proxmox-mpc/internal/anonymize"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

// RulesFile is the optional rules file inside the workspace's .proxmox-mpc.
const RulesFile = "privacy.yaml"

// RulesPath is the workspace's rules file.
func (s *Service) RulesPath() string {
	return filepath.Join(s.Workspace.Root, workspace.Dir, RulesFile)
}

// RulesFileError is a problem in the rules file, at a line when known.
type RulesFileError struct {
	File string
	Err  *anonymize.RulesError
}

func (e *RulesFileError) Error() string {
	if e.Err.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Err.Line, e.Err.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Err.Msg)
}

// Hint says how to fix the file.
func (e *RulesFileError) Hint() string { return e.Err.Hint() }

func (e *RulesFileError) Unwrap() error { return e.Err }

// Rules reads the rules file; a missing file is no rules (exists false).
func (s *Service) Rules() (rules anonymize.Rules, exists bool, err error) {
	p := s.RulesPath()
	data, err := os.ReadFile(p) // #nosec G304 -- the workspace's own rules file
	if errors.Is(err, fs.ErrNotExist) {
		return anonymize.Rules{}, false, nil
	}
	if err != nil {
		return anonymize.Rules{}, false, fmt.Errorf("read privacy rules: %w", err)
	}
	rules, err = anonymize.ParseRules(data)
	if err != nil {
		var re *anonymize.RulesError
		if errors.As(err, &re) {
			return anonymize.Rules{}, true, &RulesFileError{File: p, Err: re}
		}
		return anonymize.Rules{}, true, fmt.Errorf("%s: %w", p, err)
	}
	return rules, true, nil
}

// RuleChanges are edits of the rules file (privacy --disable/--enable/
// --allow/--block).
type RuleChanges struct {
	Disable []anonymize.Type
	Enable  []anonymize.Type
	Allow   []string
	Block   []string
}

// Empty reports whether c changes nothing.
func (c RuleChanges) Empty() bool {
	return len(c.Disable)+len(c.Enable)+len(c.Allow)+len(c.Block) == 0
}

// RuleChangeError is an edit that would make the rules invalid.
type RuleChangeError struct {
	Msg  string
	hint string
}

func (e *RuleChangeError) Error() string { return e.Msg }

// Hint says what is accepted.
func (e *RuleChangeError) Hint() string { return e.hint }

// UpdateRules applies c to the rules file (creating it when missing),
// keeping its comments and the order of its keys, and returns the new
// rules. The result is validated before anything is written. The file is
// written atomically (temp file + rename inside .proxmox-mpc), mode 0600:
// block lists name what must never leave the machine.
func (s *Service) UpdateRules(c RuleChanges) (anonymize.Rules, error) {
	if _, _, err := s.Rules(); err != nil {
		return anonymize.Rules{}, err
	}
	p := s.RulesPath()
	old, err := os.ReadFile(p) // #nosec G304 -- the workspace's own rules file
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return anonymize.Rules{}, fmt.Errorf("read privacy rules: %w", err)
	}
	out, err := EditRules(old, c)
	if err != nil {
		return anonymize.Rules{}, err
	}
	rules, err := anonymize.ParseRules(out)
	if err != nil {
		return anonymize.Rules{}, err
	}
	if err := writeFile(p, out, 0o600); err != nil {
		return anonymize.Rules{}, err
	}
	return rules, nil
}

const rulesHeader = "# proxmox-mpc anonymization rules (see `proxmox-mpc privacy --help`)\n"

// EditRules applies c to the YAML of a rules file (empty: a new file) and
// returns the new YAML. The result always parses with anonymize.ParseRules;
// an edit that would break it is a *RuleChangeError.
func EditRules(data []byte, c RuleChanges) ([]byte, error) {
	for _, t := range append(slices.Clone(c.Disable), c.Enable...) {
		if !t.Valid() {
			return nil, &RuleChangeError{Msg: fmt.Sprintf("unknown type %q", t), hint: "known types: " + typeList()}
		}
	}
	var doc yaml.Node
	if len(bytes.TrimSpace(data)) > 0 {
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return nil, &RuleChangeError{Msg: "the rules file is not valid YAML", hint: "fix or remove " + RulesFile + " first"}
		}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode, HeadComment: strings.TrimSuffix(rulesHeader, "\n")}}}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &RuleChangeError{Msg: "the rules file is not a mapping", hint: "fix or remove " + RulesFile + " first"}
	}
	for _, t := range c.Disable {
		add(root, "disabled", string(t))
	}
	for _, t := range c.Enable {
		remove(root, "disabled", string(t))
	}
	for _, v := range c.Allow {
		remove(root, "block", v)
		add(root, "allow", v)
	}
	for _, v := range c.Block {
		remove(root, "allow", v)
		add(root, "block", v)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, &RuleChangeError{Msg: "cannot write the rules: " + err.Error(), hint: "fix or remove " + RulesFile + " first"}
	}
	if err := enc.Close(); err != nil {
		return nil, &RuleChangeError{Msg: "cannot write the rules: " + err.Error(), hint: "fix or remove " + RulesFile + " first"}
	}
	if _, err := anonymize.ParseRules(buf.Bytes()); err != nil {
		var re *anonymize.RulesError
		if errors.As(err, &re) {
			return nil, &RuleChangeError{Msg: "the change would make the rules invalid: " + re.Msg, hint: re.Hint()}
		}
		return nil, &RuleChangeError{Msg: "the change would make the rules invalid: " + err.Error(), hint: "fix or remove " + RulesFile + " first"}
	}
	return buf.Bytes(), nil
}

func typeList() string {
	names := make([]string, 0, len(anonymize.Types()))
	for _, t := range anonymize.Types() {
		names = append(names, string(t))
	}
	return strings.Join(names, ", ")
}

// list returns the sequence under key, making it when missing. A key that
// holds something else is replaced by a list (the validation then passes).
func list(root *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == key {
			v := root.Content[i+1]
			if v.Kind != yaml.SequenceNode {
				*v = yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
			}
			return v
		}
	}
	k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}
	v := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	root.Content = append(root.Content, k, v)
	return v
}

func add(root *yaml.Node, key, value string) {
	seq := list(root, key)
	for _, c := range seq.Content {
		if c.Kind == yaml.ScalarNode && c.Value == value {
			return
		}
	}
	seq.Content = append(seq.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value})
}

func remove(root *yaml.Node, key, value string) {
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != key || root.Content[i+1].Kind != yaml.SequenceNode {
			continue
		}
		seq := root.Content[i+1]
		seq.Content = slices.DeleteFunc(seq.Content, func(c *yaml.Node) bool {
			return c.Kind == yaml.ScalarNode && c.Value == value
		})
	}
}
