package pve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Tolerant wire decoders (WIRE.md §5 items 11-12). PVE serialises Perl
// scalars, so a number may arrive as a JSON number or as a string ("100",
// "3400.000"), and a flag as 0/1, "0"/"1" or true/false. These types accept
// every such shape; null and "" decode to the zero value.

// Int is an integer that may arrive as a JSON number or a numeric string.
type Int int64

// Float is a number that may arrive as a JSON number or a numeric string.
type Float float64

// Bool is a flag that may arrive as 0/1, "0"/"1", true/false or
// "true"/"false" (also on/off, yes/no as in property strings).
type Bool bool

// Text is a string that may arrive as a JSON string, number or boolean
// (numbers keep their wire spelling; booleans become "1"/"0").
type Text string

var (
	_ json.Unmarshaler = (*Int)(nil)
	_ json.Unmarshaler = (*Float)(nil)
	_ json.Unmarshaler = (*Bool)(nil)
	_ json.Unmarshaler = (*Text)(nil)
	_ json.Marshaler   = Bool(false)
)

// UnmarshalJSON implements json.Unmarshaler.
func (i *Int) UnmarshalJSON(b []byte) error {
	v, err := DecodeInt(b)
	if err != nil {
		return err
	}
	*i = Int(v)
	return nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *Float) UnmarshalJSON(b []byte) error {
	v, err := DecodeFloat(b)
	if err != nil {
		return err
	}
	*f = Float(v)
	return nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (x *Bool) UnmarshalJSON(b []byte) error {
	v, err := DecodeBool(b)
	if err != nil {
		return err
	}
	*x = Bool(v)
	return nil
}

// MarshalJSON writes a JSON boolean.
func (x Bool) MarshalJSON() ([]byte, error) {
	if x {
		return []byte("true"), nil
	}
	return []byte("false"), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Text) UnmarshalJSON(b []byte) error {
	v, err := DecodeText(b)
	if err != nil {
		return err
	}
	*t = Text(v)
	return nil
}

// String returns t as a plain string.
func (t Text) String() string { return string(t) }

// scalar splits a raw JSON scalar into its kind and text: kind is 's'
// (string, unquoted), 'n' (number), 'b' (bool), '0' (null).
func scalar(b []byte) (kind byte, text string, err error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return 0, "", fmt.Errorf("empty JSON value")
	}
	switch b[0] {
	case '"':
		// Most PVE strings have no escapes: take them as they are. The
		// bytes come from an already validated document, but check the
		// closing quote and control bytes anyway (fuzzed input).
		if inner := b[1:]; len(inner) > 0 && inner[len(inner)-1] == '"' && plainJSONString(inner[:len(inner)-1]) && utf8.Valid(inner) {
			return 's', string(inner[:len(inner)-1]), nil
		}
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return 0, "", err
		}
		return 's', s, nil
	case 'n':
		if string(b) == "null" {
			return '0', "", nil
		}
	case 't':
		if string(b) == "true" {
			return 'b', "1", nil
		}
	case 'f':
		if string(b) == "false" {
			return 'b', "0", nil
		}
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		if plainJSONInt(b) {
			return 'n', string(b), nil
		}
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return 0, "", err
		}
		return 'n', n.String(), nil
	}
	return 0, "", fmt.Errorf("want a JSON scalar, got %.20q", b)
}

// DecodeInt decodes a JSON number, numeric string, boolean or null into an
// int64. A fractional value is truncated toward zero; out-of-range values
// are errors.
func DecodeInt(b []byte) (int64, error) {
	kind, s, err := scalar(b)
	if err != nil {
		return 0, err
	}
	if kind == '0' {
		return 0, nil
	}
	return parseIntText(s)
}

func parseIntText(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("not an integer: %.40q", s)
	}
	f = math.Trunc(f)
	if f >= math.MaxInt64 || f < math.MinInt64 {
		return 0, fmt.Errorf("integer out of range: %.40q", s)
	}
	return int64(f), nil
}

// DecodeFloat decodes a JSON number, numeric string, boolean or null.
func DecodeFloat(b []byte) (float64, error) {
	kind, s, err := scalar(b)
	if err != nil {
		return 0, err
	}
	if kind == '0' {
		return 0, nil
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("not a number: %.40q", s)
	}
	return f, nil
}

// DecodeBool decodes 0/1 (any non-zero number is true), "0"/"1",
// true/false, "true"/"false", "on"/"off", "yes"/"no", "" and null.
func DecodeBool(b []byte) (bool, error) {
	kind, s, err := scalar(b)
	if err != nil {
		return false, err
	}
	switch kind {
	case '0':
		return false, nil
	case 'b':
		return s == "1", nil
	case 'n':
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return false, fmt.Errorf("not a boolean: %.40q", s)
		}
		return f != 0, nil
	}
	v, ok := parseBoolText(s)
	if !ok {
		return false, fmt.Errorf("not a boolean: %.40q", s)
	}
	return v, nil
}

// parseBoolText accepts the spellings PVE accepts in property strings
// (JSONSchema.pm parse_boolean) plus "".
func parseBoolText(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "on", "yes", "true":
		return true, true
	case "0", "off", "no", "false", "":
		return false, true
	}
	return false, false
}

// DecodeText decodes a JSON string, number (kept as spelled, an exponent is
// expanded), boolean ("1"/"0") or null ("").
func DecodeText(b []byte) (string, error) {
	kind, s, err := scalar(b)
	if err != nil {
		return "", err
	}
	if kind == 'n' {
		return plainNumber(s), nil
	}
	return s, nil
}

// plainJSONInt reports whether b is a JSON integer without sign tricks:
// an optional '-', then digits without a leading zero (or just "0").
func plainJSONInt(b []byte) bool {
	d := b
	if len(d) > 0 && d[0] == '-' {
		d = d[1:]
	}
	if len(d) == 0 || len(d) > 18 || (d[0] == '0' && len(d) > 1) {
		return false
	}
	for _, c := range d {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// plainJSONString reports whether b, the inside of a JSON string literal,
// has no escape, no quote and no control byte: its value is b itself.
func plainJSONString(b []byte) bool {
	for _, c := range b {
		if c == '\\' || c == '"' || c < 0x20 {
			return false
		}
	}
	return true
}

// plainNumber rewrites a JSON number without an exponent ("1e3" → "1000").
func plainNumber(s string) string {
	if !strings.ContainsAny(s, "eE") {
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return s
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}
