package sqlite

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// A guest's config, tags and agent IPs are JSON text. encoding/json's
// reflection was most of the time of a 10,000-guest sync and of reading it
// back, so the two shapes used per guest (an object of strings, an array of
// strings) have this small codec. It writes what json.Marshal would (keys
// sorted, invalid UTF-8 as U+FFFD) minus the HTML escaping, and reads any
// valid JSON of those shapes, deferring to encoding/json for whatever it
// does not handle itself.

func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
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
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
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
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// encodeStringMap is json.Marshal(m) for a map of strings.
func encodeStringMap(m map[string]string) string {
	if m == nil {
		return "null"
	}
	keys := make([]string, 0, len(m))
	n := 2
	for k, v := range m {
		keys = append(keys, k)
		n += len(k) + len(v) + 6
	}
	slices.Sort(keys)
	b := make([]byte, 0, n)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, m[k])
	}
	return string(append(b, '}'))
}

// encodeStrings is json.Marshal(ss) for a slice of strings.
func encodeStrings(ss []string) string {
	if ss == nil {
		return "null"
	}
	b := make([]byte, 0, 2+8*len(ss))
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return string(append(b, ']'))
}

var errJSONShape = errors.New("unexpected JSON")

// jsonReader reads the JSON subset of strings in objects and arrays.
type jsonReader struct {
	b []byte
	i int
}

func (r *jsonReader) space() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

func (r *jsonReader) consume(c byte) bool {
	r.space()
	if r.i < len(r.b) && r.b[r.i] == c {
		r.i++
		return true
	}
	return false
}

func (r *jsonReader) literal(s string) bool {
	r.space()
	if len(r.b)-r.i >= len(s) && string(r.b[r.i:r.i+len(s)]) == s {
		r.i += len(s)
		return true
	}
	return false
}

func (r *jsonReader) end() error {
	r.space()
	if r.i != len(r.b) {
		return errJSONShape
	}
	return nil
}

// str reads one string. Escapes other than the common ones, and raw bytes
// that are not valid UTF-8, are left to encoding/json.
func (r *jsonReader) str() (string, error) {
	if !r.consume('"') {
		return "", errJSONShape
	}
	start := r.i
	for r.i < len(r.b) {
		c := r.b[r.i]
		switch {
		case c == '"':
			s := string(r.b[start:r.i])
			r.i++
			return s, nil
		case c == '\\':
			return r.escaped(start)
		case c < 0x20:
			return "", errJSONShape
		case c >= utf8.RuneSelf:
			ru, size := utf8.DecodeRune(r.b[r.i:])
			if ru == utf8.RuneError && size == 1 {
				return "", errJSONShape
			}
			r.i += size
		default:
			r.i++
		}
	}
	return "", errJSONShape
}

// escaped continues str from the first backslash, building the string.
func (r *jsonReader) escaped(start int) (string, error) {
	out := append([]byte(nil), r.b[start:r.i]...)
	for r.i < len(r.b) {
		c := r.b[r.i]
		switch {
		case c == '"':
			r.i++
			return string(out), nil
		case c == '\\':
			if r.i+1 >= len(r.b) {
				return "", errJSONShape
			}
			e := r.b[r.i+1]
			r.i += 2
			switch e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				ru, ok := r.hex4()
				if !ok {
					return "", errJSONShape
				}
				if utf16.IsSurrogate(ru) {
					lo, ok := rune(-1), false
					if r.i+1 < len(r.b) && r.b[r.i] == '\\' && r.b[r.i+1] == 'u' {
						r.i += 2
						lo, ok = r.hex4()
						if !ok {
							return "", errJSONShape
						}
					}
					if d := utf16.DecodeRune(ru, lo); d != utf8.RuneError {
						ru = d
					} else {
						return "", errJSONShape // lone surrogates: encoding/json's rules
					}
				}
				out = utf8.AppendRune(out, ru)
			default:
				return "", errJSONShape
			}
		case c < 0x20:
			return "", errJSONShape
		case c >= utf8.RuneSelf:
			ru, size := utf8.DecodeRune(r.b[r.i:])
			if ru == utf8.RuneError && size == 1 {
				return "", errJSONShape
			}
			out = append(out, r.b[r.i:r.i+size]...)
			r.i += size
		default:
			out = append(out, c)
			r.i++
		}
	}
	return "", errJSONShape
}

func (r *jsonReader) hex4() (rune, bool) {
	if r.i+4 > len(r.b) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(r.b[r.i:r.i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	r.i += 4
	return rune(v), true
}

// decodeStringMap is json.Unmarshal into a map of strings ("null" is nil).
func decodeStringMap(b []byte) (map[string]string, error) {
	if m, err := fastStringMap(b); err == nil {
		return m, nil
	}
	var m map[string]string
	err := json.Unmarshal(b, &m)
	return m, err
}

func fastStringMap(b []byte) (map[string]string, error) {
	r := jsonReader{b: b}
	if r.literal("null") {
		return nil, r.end()
	}
	if !r.consume('{') {
		return nil, errJSONShape
	}
	m := map[string]string{}
	if r.consume('}') {
		return m, r.end()
	}
	for {
		k, err := r.str()
		if err != nil {
			return nil, err
		}
		if !r.consume(':') {
			return nil, errJSONShape
		}
		v, err := r.str()
		if err != nil {
			return nil, err
		}
		m[k] = v
		if r.consume('}') {
			return m, r.end()
		}
		if !r.consume(',') {
			return nil, errJSONShape
		}
	}
}

// decodeStrings is json.Unmarshal into a slice of strings ("null" is nil).
func decodeStrings(b []byte) ([]string, error) {
	if ss, err := fastStrings(b); err == nil {
		return ss, nil
	}
	var ss []string
	err := json.Unmarshal(b, &ss)
	return ss, err
}

func fastStrings(b []byte) ([]string, error) {
	r := jsonReader{b: b}
	if r.literal("null") {
		return nil, r.end()
	}
	if !r.consume('[') {
		return nil, errJSONShape
	}
	ss := []string{}
	if r.consume(']') {
		return ss, r.end()
	}
	for {
		s, err := r.str()
		if err != nil {
			return nil, err
		}
		ss = append(ss, s)
		if r.consume(']') {
			return ss, r.end()
		}
		if !r.consume(',') {
			return nil, errJSONShape
		}
	}
}
