package apischema

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// ReturnReport is the result of checking response data against an
// endpoint's returns schema.
type ReturnReport struct {
	// Violations are mismatches with the schema, each prefixed with the JSON
	// path of the offending value ("data[3].maxmem: expected integer, got
	// string \"x\"").
	Violations []string
	// Undocumented lists the JSON paths of object properties the schema does
	// not name. PVE does not enforce additionalProperties on returns, so these
	// are allowed; they are reported to be counted.
	Undocumented []string
}

// ValidateReturn checks data, the decoded "data" member of a reply
// (encoding/json into any, preferably with UseNumber), against the returns
// schema and lists the violations; nil means it conforms.
//
// As on the PVE wire, booleans may be 0/1 numbers or JSON true/false,
// integers must be JSON integers (a string "100" for an integer is a
// violation), "number" accepts integers, missing optional properties and
// extra properties are allowed, a schema without a type accepts anything,
// and null is accepted where the returns schema is optional.
func (m *Method) ValidateReturn(data any) []string {
	return m.CheckReturn(data).Violations
}

// CheckReturn is ValidateReturn that also reports undocumented properties.
func (m *Method) CheckReturn(data any) ReturnReport {
	var r ReturnReport
	if m.Returns == nil || (data == nil && m.Returns.Optional) {
		return r
	}
	checkValue(&r, "data", data, m.Returns)
	return r
}

func checkValue(r *ReturnReport, path string, v any, t *Type) {
	if len(t.OneOf) > 0 {
		for _, alt := range t.OneOf {
			var tmp ReturnReport
			checkValue(&tmp, path, v, alt)
			if len(tmp.Violations) == 0 {
				r.Undocumented = append(r.Undocumented, tmp.Undocumented...)
				return
			}
		}
		r.Violations = append(r.Violations, fmt.Sprintf("%s: matches none of the %d oneOf alternatives", path, len(t.OneOf)))
		return
	}
	if !typeMatches(v, t.Type) {
		r.Violations = append(r.Violations, fmt.Sprintf("%s: expected %s, got %s", path, t.Type, describe(v)))
		return
	}
	switch val := v.(type) {
	case map[string]any:
		checkObject(r, path, val, t)
	case []any:
		if t.Items != nil {
			for i, e := range val {
				checkValue(r, fmt.Sprintf("%s[%d]", path, i), e, t.Items)
			}
		}
	case nil:
	default:
		if len(t.Enum) > 0 {
			s := scalarString(v)
			for _, e := range t.Enum {
				if e == s {
					return
				}
			}
			r.Violations = append(r.Violations, fmt.Sprintf("%s: value %s is not in the enumeration [%s]", path, strconv.Quote(s), strings.Join(t.Enum, ", ")))
		}
	}
}

func checkObject(r *ReturnReport, path string, obj map[string]any, t *Type) {
	for _, name := range t.PropertyNames() {
		if strings.HasSuffix(name, "[n]") {
			continue
		}
		p := t.Properties[name]
		v, ok := obj[name]
		if !ok || v == nil {
			if !p.Optional && p.Type != "null" && p.Alias == "" {
				r.Violations = append(r.Violations, fmt.Sprintf("%s.%s: %s", path, name, MsgMissing))
			}
			continue
		}
		checkValue(r, path+"."+name, v, p)
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, ok := t.Properties[k]; ok {
			continue
		}
		if p, _, ok := t.Property(k); ok {
			if obj[k] != nil {
				checkValue(r, path+"."+k, obj[k], p)
			}
			continue
		}
		if t.AdditionalSchema != nil {
			if obj[k] != nil {
				checkValue(r, path+"."+k, obj[k], t.AdditionalSchema)
			}
			continue
		}
		if len(t.Properties) > 0 {
			r.Undocumented = append(r.Undocumented, path+"."+k)
		}
	}
}

// typeMatches reports whether a decoded JSON value has the schema type, with
// the PVE wire conventions.
func typeMatches(v any, typ string) bool {
	switch typ {
	case "", "any":
		return true
	case "null":
		return v == nil
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "integer":
		return isJSONInteger(v)
	case "number":
		switch v.(type) {
		case json.Number, float64, float32, int, int64, int32, uint, uint64, uint32:
			return true
		}
		return false
	case "boolean":
		if _, ok := v.(bool); ok {
			return true
		}
		if !isJSONInteger(v) {
			return false
		}
		s := scalarString(v)
		return s == "0" || s == "1"
	}
	return true // types PVE does not check
}

func isJSONInteger(v any) bool {
	switch n := v.(type) {
	case json.Number:
		return isInteger(string(n)) && n[0] != '+'
	case float64:
		return n == math.Trunc(n) && !math.IsInf(n, 0)
	case float32:
		return float64(n) == math.Trunc(float64(n))
	case int, int64, int32, uint, uint64, uint32:
		return true
	}
	return false
}

// scalarString renders a decoded JSON scalar as PVE would compare it.
func scalarString(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case json.Number:
		return string(s)
	case float64:
		return strconv.FormatFloat(s, 'f', -1, 64)
	case bool:
		if s {
			return "1"
		}
		return "0"
	}
	return fmt.Sprint(v)
}

// describe names the JSON type of a value for violation messages.
func describe(v any) string {
	switch val := v.(type) {
	case nil:
		return "null"
	case string:
		if len(val) > 40 {
			val = val[:40] + "..."
		}
		return "string " + strconv.Quote(val)
	case bool:
		return "boolean " + strconv.FormatBool(val)
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case json.Number, float64, float32, int, int64, int32, uint, uint64, uint32:
		return "number " + scalarString(v)
	}
	return fmt.Sprintf("%T", v)
}
