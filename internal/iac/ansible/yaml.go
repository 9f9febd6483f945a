package ansible

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

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

// chunkSize is how many map entries one yaml.v3 encoder writes. yaml.v3
// keeps every event of an Encode call in one growing slice, which makes a
// single 10,000-host document several times slower than these chunks.
const chunkSize = 256

// maxSimpleKey is the longest key yaml.v3 writes as a plain "key:".
const maxSimpleKey = 128

// encodeInventory writes inventory.yml. The fixed skeleton (all:, hosts:,
// children:, and group names, which are [a-z0-9_] and need no quoting) is
// written here; every host name and value is encoded by yaml.v3, in chunks
// of mapping entries indented to their depth. The result is the same as
// encoding the whole tree at once (see the test TestInventoryChunks).
func encodeInventory(m model) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(400 * (len(m.hosts) + 1))
	for line := range strings.SplitSeq(inventoryComment, "\n") {
		buf.WriteString(line)
		buf.WriteByte('\n')
	}
	buf.WriteByte('\n')
	if len(m.hosts) == 0 {
		buf.WriteString("all: {}\n")
		return buf.Bytes(), nil
	}
	buf.WriteString("all:\n  hosts:\n")
	entries := make([]*yaml.Node, 0, 2*chunkSize)
	for i, h := range m.hosts {
		entries = append(entries, str(h.name), varsNode(h.vars))
		if len(entries) == 2*chunkSize || i == len(m.hosts)-1 {
			if err := encodeEntries(&buf, entries, 4); err != nil {
				return nil, err
			}
			entries = entries[:0]
		}
	}
	buf.WriteString("  children:\n")
	for _, g := range m.groups {
		if !groupLike(g.name) {
			return nil, fmt.Errorf("group name %q is not [a-z0-9_]", g.name)
		}
		if len(g.name) > maxSimpleKey {
			// yaml.v3 writes such a key as "? key"; let it.
			members := mapping()
			for _, h := range g.hosts {
				members.Content = append(members.Content, str(h), null())
			}
			if err := encodeEntries(&buf, []*yaml.Node{str(g.name), mapping(str("hosts"), members)}, 4); err != nil {
				return nil, err
			}
			continue
		}
		buf.WriteString("    " + g.name + ":\n      hosts:\n")
		for i, h := range g.hosts {
			entries = append(entries, str(h), null())
			if len(entries) == 2*chunkSize || i == len(g.hosts)-1 {
				if err := encodeEntries(&buf, entries, 8); err != nil {
					return nil, err
				}
				entries = entries[:0]
			}
		}
	}
	return buf.Bytes(), nil
}

// encodeEntries encodes key/value nodes as one block mapping and appends
// it to buf with every non-empty line indented by indent spaces.
func encodeEntries(buf *bytes.Buffer, kv []*yaml.Node, indent int) error {
	out, err := encodeYAML(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{mapping(kv...)}})
	if err != nil {
		return err
	}
	pad := strings.Repeat(" ", indent)
	for line := range bytes.Lines(out) {
		if len(bytes.TrimSpace(line)) > 0 {
			buf.WriteString(pad)
		}
		buf.Write(line)
	}
	return nil
}

func varsNode(v hostVars) *yaml.Node {
	n := mapping()
	add := func(k string, val *yaml.Node) { n.Content = append(n.Content, str(k), val) }
	if v.AnsibleHost != "" {
		add("ansible_host", str(v.AnsibleHost))
	}
	if v.AnsibleUser != "" {
		add("ansible_user", str(v.AnsibleUser))
	}
	if v.ProxmoxName != "" {
		add("proxmox_name", str(v.ProxmoxName))
	}
	add("proxmox_node", str(v.ProxmoxNode))
	if v.ProxmoxPool != "" {
		add("proxmox_pool", str(v.ProxmoxPool))
	}
	add("proxmox_status", str(v.ProxmoxStatus))
	tags := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
	for _, t := range v.ProxmoxTags {
		tags.Content = append(tags.Content, str(t))
	}
	add("proxmox_tags", tags)
	add("proxmox_type", str(v.ProxmoxType))
	add("proxmox_vmid", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(v.ProxmoxVMID)})
	return n
}

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

// yaml11Words are the plain scalars YAML 1.1 resolves to booleans or null.
var yaml11Words = map[string]bool{
	"y": true, "n": true, "yes": true, "no": true, "on": true, "off": true,
	"true": true, "false": true, "null": true,
}

func plainSafe(s string) bool {
	if s == "" || yaml11Words[strings.ToLower(s)] {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.':
			if i == 0 {
				return false
			}
		case c == ' ':
			if i == 0 || i == len(s)-1 {
				return false
			}
		default:
			return false
		}
	}
	return true
}
