package ansible

// This file writes inventory.yml by hand instead of through yaml.v3. For
// 10,000 guests, building yaml.Node trees and encoding them with yaml.v3
// (in chunks of 256 entries, which beat one big document) cost about
// 0.67 s of CPU, 458 MB and 965,000 allocations per Generate, almost all
// in yaml.v3: it turns every node into events, analyses every scalar and
// re-buffers its output. inventory.yml has a fixed shape (all → hosts →
// host vars of strings, a list of strings and an int; all → children →
// group → hosts → host names with null values), so a direct emitter is
// short: appending to one presized buffer it writes the 3.8 MB file in
// about 8 ms with one allocation of 4 MB, and Generate as a whole (now
// mostly build: host names, addresses, groups) takes about 50 ms, 12.5 MB
// and 41,000 allocations. The output is byte for byte what yaml.v3 v3.0.1
// (indent 2, no line width) writes for the same tree, which
// TestInventoryMatchesYAMLv3 and the fuzz tests FuzzInventoryMatchesYAMLv3
// and FuzzKeyMatchesYAMLv3 check against yaml.v3 itself: plain scalars
// only when plainSafe, else yaml.v3's double-quoted escapes; yaml.v3's
// "? key" form for keys over 128 bytes or with line breaks; [a, b] tags.
// The two tiny files (group_vars/all.yml, playbooks/site.yml) are still
// written with yaml.v3.

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxSimpleKey is the longest key yaml.v3 writes as a plain "key:"; longer
// keys (and keys with line breaks) are written as "? key" then ": value".
const maxSimpleKey = 128

// encodeInventory writes inventory.yml for m. Every function appends to
// and returns the one buffer (a []byte kept in locals, not behind a
// pointer, so that appends need no GC write barriers).
func encodeInventory(m model) ([]byte, error) {
	size, err := measure(m)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, size)
	for line := range strings.SplitSeq(inventoryComment, "\n") {
		b = append(b, line...)
		b = append(b, '\n')
	}
	b = append(b, '\n')
	if len(m.hosts) == 0 && len(m.groups) == 0 {
		return append(b, "all: {}\n"...), nil
	}
	b = append(b, "all:\n"...)
	if len(m.hosts) > 0 {
		b = append(b, "  hosts:\n"...)
		for _, h := range m.hosts {
			b = append(b, "    "...)
			var explicit bool
			b, explicit = appendKey(b, 4, h.name)
			b = appendHostVars(b, 6, explicit, &h.vars)
		}
	}
	if len(m.groups) > 0 {
		b = append(b, "  children:\n"...)
		for _, g := range m.groups {
			b = append(b, "    "...)
			var explicit bool
			b, explicit = appendKey(b, 4, g.name)
			if len(g.hosts) == 0 {
				b = append(b, " {}\n"...)
				continue
			}
			b = appendNested(b, 6, explicit)
			b = append(b, "hosts:\n"...)
			for _, h := range g.hosts {
				b = append(b, "        "...)
				b, _ = appendKey(b, 8, h)
				b = append(b, '\n') // a null value: nothing after the colon
			}
		}
	}
	return b, nil
}

// measure estimates the length of inventory.yml, to allocate once, and
// fails for a string that is not valid UTF-8, which a YAML string can not
// hold (yaml.v3 fails for it too).
func measure(m model) (int, error) {
	n := len(inventoryComment) + 64
	valid := func(s string) error {
		n += len(s)
		if !utf8.ValidString(s) {
			return fmt.Errorf("cannot write %q: invalid UTF-8 in a YAML string", s)
		}
		return nil
	}
	for _, h := range m.hosts {
		v := &h.vars
		for _, s := range [...]string{h.name, v.AnsibleHost, v.AnsibleUser, v.ProxmoxName, v.ProxmoxNode, v.ProxmoxPool, v.ProxmoxStatus, v.ProxmoxType} {
			if err := valid(s); err != nil {
				return 0, err
			}
		}
		for _, t := range v.ProxmoxTags {
			if err := valid(t); err != nil {
				return 0, err
			}
		}
		n += 200 + 4*len(v.ProxmoxTags)
	}
	for _, g := range m.groups {
		if err := valid(g.name); err != nil {
			return 0, err
		}
		n += 24
		for _, h := range g.hosts {
			n += len(h) + 10 // checked as a host
		}
	}
	return n + n/16, nil
}

const spaces = "                                                                "

// appendIndent appends n spaces.
func appendIndent(b []byte, n int) []byte {
	for n > len(spaces) {
		b = append(b, spaces...)
		n -= len(spaces)
	}
	return append(b, spaces[:n]...)
}

// appendKey appends a mapping key, whose indentation the caller wrote:
// "key:" when yaml.v3 writes it as a simple key, else the explicit form
// "? key", a new line, indent and ":", and reports which. What follows the
// colon is the caller's: "\n" for a null value, or appendNested and a block
// mapping.
func appendKey(b []byte, indent int, k string) ([]byte, bool) {
	plain := plainSafe(k)
	if len(k) <= maxSimpleKey && (plain || !hasBreak(k)) {
		b = appendScalar(b, k, plain)
		return append(b, ':'), false
	}
	b = append(b, "? "...)
	b = appendScalar(b, k, plain)
	b = append(b, '\n')
	b = appendIndent(b, indent)
	return append(b, ':'), true
}

// appendNested starts a block mapping as the value of the key just
// written: its first key goes on the next line at indent, or after a
// "? key" (explicit) on the ':' line, as yaml.v3 puts it. The caller
// writes that first key unindented and the others at indent.
func appendNested(b []byte, indent int, explicit bool) []byte {
	if explicit {
		return append(b, ' ')
	}
	b = append(b, '\n')
	return appendIndent(b, indent)
}

// appendHostVars appends the host vars as the block mapping value of the
// host key just written, in hostVars' field order, with the same
// omissions as List's JSON. indent is at most len(spaces).
func appendHostVars(b []byte, indent int, explicit bool, v *hostVars) []byte {
	b = appendNested(b, indent, explicit)
	pad := "" // appendNested indented the first field
	if v.AnsibleHost != "" {
		b = appendField(b, pad, "ansible_host: ", v.AnsibleHost)
		pad = spaces[:indent]
	}
	if v.AnsibleUser != "" {
		b = appendField(b, pad, "ansible_user: ", v.AnsibleUser)
		pad = spaces[:indent]
	}
	if v.ProxmoxName != "" {
		b = appendField(b, pad, "proxmox_name: ", v.ProxmoxName)
		pad = spaces[:indent]
	}
	b = appendField(b, pad, "proxmox_node: ", v.ProxmoxNode)
	pad = spaces[:indent]
	if v.ProxmoxPool != "" {
		b = appendField(b, pad, "proxmox_pool: ", v.ProxmoxPool)
	}
	b = appendField(b, pad, "proxmox_status: ", v.ProxmoxStatus)
	b = append(b, pad...)
	b = append(b, "proxmox_tags: ["...)
	for i, t := range v.ProxmoxTags {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = appendStr(b, t)
	}
	b = append(b, "]\n"...)
	b = appendField(b, pad, "proxmox_type: ", v.ProxmoxType)
	b = append(b, pad...)
	b = append(b, "proxmox_vmid: "...)
	b = strconv.AppendInt(b, int64(v.ProxmoxVMID), 10)
	return append(b, '\n')
}

// appendField appends one "key: value" line of a block mapping.
func appendField(b []byte, pad, key, value string) []byte {
	b = append(b, pad...)
	b = append(b, key...)
	b = appendStr(b, value)
	return append(b, '\n')
}

// appendStr appends s as str() has yaml.v3 write it: plain when plainSafe,
// else double-quoted.
func appendStr(b []byte, s string) []byte { return appendScalar(b, s, plainSafe(s)) }

// appendScalar appends s plain when plain (plainSafe(s)), else
// double-quoted.
func appendScalar(b []byte, s string, plain bool) []byte {
	if plain {
		return append(b, s...)
	}
	return appendDoubleQuoted(b, s)
}

// hasBreak reports whether s holds a YAML line break (CR, LF, NEL, LS,
// PS), which makes yaml.v3 write it as a "? key".
func hasBreak(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\r', '\n':
			return true
		case 0xc2: // NEL is C2 85
			if strings.HasPrefix(s[i:], "\u0085") {
				return true
			}
		case 0xe2: // LS and PS are E2 80 A8 and E2 80 A9
			if strings.HasPrefix(s[i:], "\u2028") || strings.HasPrefix(s[i:], "\u2029") {
				return true
			}
		}
	}
	return false
}

const upperHex = "0123456789ABCDEF"

// appendDoubleQuoted appends valid UTF-8 s double-quoted exactly as yaml.v3
// (yaml_emitter_write_double_quoted_scalar, unicode on, no line width)
// writes it: printable characters as they are; line breaks, '"', '\\' and
// characters outside YAML's printable set (C0 and C1 controls, DEL, U+FEFF,
// U+FFFE, U+FFFF and everything above U+FFFF) escaped, with upper-case hex.
// A string that starts with U+FEFF has every character escaped: yaml.v3
// tests for the byte-order mark at the start of the string, not at each
// character.
func appendDoubleQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	escapeAll := strings.HasPrefix(s, "\ufeff")
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if !escapeAll && c >= 0x20 && c <= 0x7e && c != '"' && c != '\\' {
			i++
			continue
		}
		r, w := rune(c), 1
		if c >= utf8.RuneSelf {
			r, w = utf8.DecodeRuneInString(s[i:])
		}
		if !escapeAll && r != '"' && r != '\\' && yamlPrintable(r) && !yamlBreak(r) {
			i += w
			continue
		}
		b = append(b, s[start:i]...)
		i += w
		start = i
		b = append(b, '\\')
		switch r {
		case 0x00:
			b = append(b, '0')
		case 0x07:
			b = append(b, 'a')
		case 0x08:
			b = append(b, 'b')
		case 0x09:
			b = append(b, 't')
		case 0x0a:
			b = append(b, 'n')
		case 0x0b:
			b = append(b, 'v')
		case 0x0c:
			b = append(b, 'f')
		case 0x0d:
			b = append(b, 'r')
		case 0x1b:
			b = append(b, 'e')
		case '"':
			b = append(b, '"')
		case '\\':
			b = append(b, '\\')
		case 0x85:
			b = append(b, 'N')
		case 0xa0:
			b = append(b, '_')
		case 0x2028:
			b = append(b, 'L')
		case 0x2029:
			b = append(b, 'P')
		default:
			digits := 8
			switch {
			case r <= 0xff:
				b, digits = append(b, 'x'), 2
			case r <= 0xffff:
				b, digits = append(b, 'u'), 4
			default:
				b = append(b, 'U')
			}
			for k := (digits - 1) * 4; k >= 0; k -= 4 {
				b = append(b, upperHex[(r>>uint(k))&0xf])
			}
		}
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// yamlPrintable is yaml.v3's is_printable for a whole character: LF,
// printable ASCII, U+00A0..U+D7FF and U+E000..U+FFFD except U+FEFF.
func yamlPrintable(r rune) bool {
	switch {
	case r == '\n', r >= 0x20 && r <= 0x7e:
		return true
	case r >= 0xa0 && r <= 0xd7ff:
		return true
	case r >= 0xe000 && r <= 0xfffd:
		return r != 0xfeff
	}
	return false
}

// yamlBreak is yaml.v3's is_break: CR, LF, NEL, LS and PS.
func yamlBreak(r rune) bool {
	return r == '\r' || r == '\n' || r == 0x85 || r == 0x2028 || r == 0x2029
}
