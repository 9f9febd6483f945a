package ansible

import (
	"strconv"
	"unicode/utf8"
)

// appendJSON appends v as a JSON object, with the keys in field order and
// the same omissions as its json tags (encoding/json is ten times slower
// here, and List must stay fast for 10,000 guests).
func (v *hostVars) appendJSON(b []byte) []byte {
	b = append(b, '{')
	if v.AnsibleHost != "" {
		b = append(b, `"ansible_host":`...)
		b = appendJSONString(b, v.AnsibleHost)
		b = append(b, ',')
	}
	if v.AnsibleUser != "" {
		b = append(b, `"ansible_user":`...)
		b = appendJSONString(b, v.AnsibleUser)
		b = append(b, ',')
	}
	if v.ProxmoxName != "" {
		b = append(b, `"proxmox_name":`...)
		b = appendJSONString(b, v.ProxmoxName)
		b = append(b, ',')
	}
	b = append(b, `"proxmox_node":`...)
	b = appendJSONString(b, v.ProxmoxNode)
	if v.ProxmoxPool != "" {
		b = append(b, `,"proxmox_pool":`...)
		b = appendJSONString(b, v.ProxmoxPool)
	}
	b = append(b, `,"proxmox_status":`...)
	b = appendJSONString(b, v.ProxmoxStatus)
	b = append(b, `,"proxmox_tags":`...)
	b = appendJSONStrings(b, v.ProxmoxTags)
	b = append(b, `,"proxmox_type":`...)
	b = appendJSONString(b, v.ProxmoxType)
	b = append(b, `,"proxmox_vmid":`...)
	b = strconv.AppendInt(b, int64(v.ProxmoxVMID), 10)
	return append(b, '}')
}

func appendJSONStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, invalid UTF-8 replaced by U+FFFD, and U+2028
// and U+2029 escaped as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
