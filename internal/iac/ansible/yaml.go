package ansible

import (
	"strconv"

	"gopkg.in/yaml.v3"
)

const inventoryComment = header + `
#
# Hosts are the guests of the last sync, with their variables under all.hosts;
# the groups below list their members. Groups: node_<node>, tag_<tag>,
# pool_<pool>, type_vm/type_ct and status_<status> (as of the last sync);
# templates are in the templates group only and have no ansible_host.
# ansible_host is the guest agent's address, else the static cloud-init or
# container address; it is missing when neither is known.`

const groupVarsAllComment = header + `
#
# Variables for every host: only what proxmox-mpc knows to be true.`

const siteComment = header + `
#
# Reaches every guest that is not a template and gathers its facts, in check
# mode with diffs, so nothing on the guests changes. Run it from the ansible/
# folder:
#   ansible-playbook -i inventory.yml playbooks/site.yml
# Guests that were stopped at the last sync (group status_stopped) will be
# unreachable. To run it for real, set check_mode to false below: a play's
# check_mode wins over the --check flag of ansible-playbook.`

func groupVarsAllDoc() *yaml.Node {
	key := str("ansible_python_interpreter")
	key.HeadComment = "# Use the Python found on each guest, without the interpreter-discovery warning."
	return document(groupVarsAllComment, mapping(key, str("auto_silent")))
}

func siteDoc() *yaml.Node {
	boolean := func(b bool) *yaml.Node {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}
	}
	task := mapping(
		str("name"), str("Ping"),
		str("ansible.builtin.ping"), null(),
	)
	play := mapping(
		str("name"), str("Reach every guest"),
		str("hosts"), str("all:!"+TemplatesGroup),
		str("gather_facts"), boolean(true),
		str("check_mode"), boolean(true),
		str("diff"), boolean(true),
		str("tasks"), &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{task}},
	)
	return document(siteComment, &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{play}})
}

func document(comment string, root *yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.DocumentNode, HeadComment: comment, Content: []*yaml.Node{root}}
}

func mapping(kv ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: kv}
}

func null() *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"} }

// str is a string scalar. It is written plain only when both YAML 1.2
// (yaml.v3) and YAML 1.1 (PyYAML, which Ansible uses) read it back as the
// same string; otherwise it is double-quoted. YAML 1.1 reads yes/no/on/off
// as booleans and 1:20 as a number, which yaml.v3 would write plain.
func str(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if !plainSafe(s) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// yaml11Word reports whether s, ignoring ASCII case, is a plain scalar
// YAML 1.1 resolves to a boolean or null: y, n, yes, no, on, off, true,
// false, null. (Only ASCII strings can be plain: a non-ASCII look-alike is
// quoted anyway.)
func yaml11Word(s string) bool {
	if len(s) == 0 || len(s) > 5 {
		return false
	}
	var low [5]byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		low[i] = c
	}
	switch string(low[:len(s)]) {
	case "y", "n", "yes", "no", "on", "off", "true", "false", "null":
		return true
	}
	return false
}

// plainSafe reports whether s may be written plain: an ASCII letter, then
// letters, digits, '_', '-', '.' and inner spaces, and not a YAML 1.1 word.
// Such a string has no indicator, resolves to a string in YAML 1.1 and
// 1.2 alike, and yaml.v3 writes it as it is.
func plainSafe(s string) bool {
	if s == "" || plainClass[s[0]] != plainLetter || s[len(s)-1] == ' ' || yaml11Word(s) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if plainClass[s[i]] == 0 {
			return false
		}
	}
	return true
}

// Classes of the bytes of a plain scalar, in plainClass: letters go
// anywhere, digits, '_', '-' and '.' after the first byte, a space inside.
const (
	plainLetter = 1 + iota
	plainInner
)

var plainClass = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			t[c] = plainLetter
		case c >= '0' && c <= '9', c == '_', c == '-', c == '.', c == ' ':
			t[c] = plainInner
		}
	}
	return t
}()
