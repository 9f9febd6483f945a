package apischema

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Messages PVE's JSONSchema.pm puts in the "errors" member of a 400
// "Parameter verification failed." reply.
const (
	MsgNotDefined = "property is not defined in schema and the schema does not allow additional properties"
	MsgMissing    = "property is missing and it is not optional"
)

// ValidateParams checks request parameters (form or query values, all
// strings) as PVE does before it runs a handler, and returns the errors by
// parameter name with PVE's texts; nil means the parameters are valid.
//
// Path placeholders ({node}, {vmid}) are validated when params holds them:
// merge the vars returned by Lookup into params. A placeholder absent from
// params is taken to come from the path and is not reported missing.
// Top-level booleans accept only "0" and "1", as PVE does for form
// parameters. Folded keys such as "net[n]" accept "net0".."netN".
func (m *Method) ValidateParams(params map[string]string) map[string]string {
	errs := map[string]string{}
	schema := m.Parameters
	if schema == nil {
		schema = &Type{}
	}
	for _, name := range schema.PropertyNames() {
		if strings.HasSuffix(name, "[n]") {
			continue // concrete keys are checked below
		}
		p := schema.Properties[name]
		v, ok := params[name]
		if !ok {
			if !p.Optional && p.Alias == "" && !m.pathVars[name] {
				addError(errs, name, MsgMissing)
			}
			continue
		}
		checkString(errs, name, v, p, true)
	}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, ok := schema.Properties[k]; ok {
			if req := schema.Properties[k].Requires; req != "" {
				if _, ok := params[req]; !ok {
					addError(errs, req, fmt.Sprintf("missing property - '%s' requires this property", k))
				}
			}
			continue
		}
		if p, _, ok := schema.Property(k); ok {
			checkString(errs, k, params[k], p, true)
			continue
		}
		switch {
		case schema.AdditionalSchema != nil:
			checkString(errs, k, params[k], schema.AdditionalSchema, true)
		case schema.AdditionalProperties != nil && !*schema.AdditionalProperties:
			addError(errs, k, MsgNotDefined)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// addError records msg for path, joining several messages the way
// JSONSchema.pm's add_error does (with a literal backslash-n).
func addError(errs map[string]string, path, msg string) {
	if path == "" {
		path = "_root"
	}
	if old, ok := errs[path]; ok {
		errs[path] = old + `\n` + msg
		return
	}
	errs[path] = msg
}

// checkString is JSONSchema.pm's check_prop for a defined scalar value.
// topLevel selects form semantics for booleans (only 0 and 1).
func checkString(errs map[string]string, path, v string, t *Type, topLevel bool) {
	if !checkStringType(errs, path, v, t.Type) {
		return
	}
	switch t.Type {
	case "array", "object":
		// Form encoding cannot carry structured values; PVE decodes them
		// from JSON bodies, which callers validate themselves.
		return
	}
	if t.FormatProps != nil {
		if err := parsePropertyString(t.FormatProps, v, path); err != "" {
			addError(errs, path, "invalid format - "+err)
			return
		}
	} else if t.Format != "" {
		if err := checkFormat(t.Format, v); err != "" {
			addError(errs, path, "invalid format - "+err)
			return
		}
	}
	if t.Pattern != "" && t.re != nil && !t.re.MatchString(v) {
		addError(errs, path, "value does not match the regex pattern")
		return
	}
	if t.MaxLength >= 0 && utf8.RuneCountInString(v) > t.MaxLength {
		addError(errs, path, fmt.Sprintf("value may only be %d characters long", t.MaxLength))
		return
	}
	if t.MinLength >= 0 && utf8.RuneCountInString(v) < t.MinLength {
		addError(errs, path, fmt.Sprintf("value must be at least %d characters long", t.MinLength))
		return
	}
	if isNumber(v) {
		f, _ := strconv.ParseFloat(v, 64)
		if t.Maximum != "" {
			if max, _ := strconv.ParseFloat(t.Maximum, 64); f > max {
				addError(errs, path, "value must have a maximum value of "+t.Maximum)
				return
			}
		}
		if t.Minimum != "" {
			if min, _ := strconv.ParseFloat(t.Minimum, 64); f < min {
				addError(errs, path, "value must have a minimum value of "+t.Minimum)
				return
			}
		}
	}
	if len(t.Enum) > 0 {
		for _, e := range t.Enum {
			if e == v {
				return
			}
		}
		addError(errs, path, fmt.Sprintf("value '%s' does not have a value in the enumeration '%s'", v, strings.Join(t.Enum, ", ")))
	}
}

// checkStringType is JSONSchema.pm's check_type for a plain (string) value.
func checkStringType(errs map[string]string, path, v, typ string) bool {
	ok := true
	switch typ {
	case "boolean":
		ok = v == "0" || v == "1"
	case "integer":
		ok = isInteger(v)
	case "number":
		ok = isNumber(v)
	case "null":
		addError(errs, path, "type check ('null') failed - value is not null")
		return false
	}
	if !ok {
		addError(errs, path, fmt.Sprintf("type check ('%s') failed - got '%s'", typ, v))
	}
	return ok
}

// isInteger matches Perl's m/^[+-]?\d+$/.
func isInteger(v string) bool {
	if v != "" && (v[0] == '+' || v[0] == '-') {
		v = v[1:]
	}
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

// isNumber matches JSONSchema.pm's is_number:
// /^[+-]?(\d+\.\d+|\d+\.|\.\d+|\d+)([eE][+-]?\d+)?$/.
func isNumber(v string) bool {
	i := 0
	if i < len(v) && (v[i] == '+' || v[i] == '-') {
		i++
	}
	intDigits := 0
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
		intDigits++
	}
	fracDigits := 0
	if i < len(v) && v[i] == '.' {
		i++
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			i++
			fracDigits++
		}
	}
	if intDigits == 0 && fracDigits == 0 {
		return false
	}
	if i < len(v) && (v[i] == 'e' || v[i] == 'E') {
		i++
		if i < len(v) && (v[i] == '+' || v[i] == '-') {
			i++
		}
		expDigits := 0
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			i++
			expDigits++
		}
		if expDigits == 0 {
			return false
		}
	}
	return i == len(v)
}

// parsePropertyString is JSONSchema.pm's parse_property_string followed by
// check_object: it returns "" when value is valid for the sub-key schema
// format, else the die message (ending in a newline, as PVE's does).
func parsePropertyString(format map[string]*Type, value, path string) string {
	res := map[string]string{}
	defaultKey := ""
	for _, part := range strings.Split(value, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		k, v, hasEq := strings.Cut(part, "=")
		switch {
		case hasEq && k != "" && v != "":
			if _, dup := res[k]; dup {
				return "duplicate key in comma-separated list property: " + k + "\n"
			}
			schema := format[k]
			if schema != nil && schema.Alias != "" {
				if ka := schema.KeyAlias; ka != "" {
					if _, dup := res[ka]; dup {
						return "key alias '" + ka + "' is already defined\n"
					}
					res[ka] = k
				}
				k = schema.Alias
				schema = format[k]
			}
			if schema == nil {
				return "invalid key in comma-separated list property: " + k + "\n"
			}
			if schema.Type == "boolean" {
				v = parseBoolean(v)
			}
			res[k] = v
		case !hasEq:
			if defaultKey != "" {
				return "duplicate key in comma-separated list property: " + defaultKey + "\n"
			}
			for _, key := range sortedKeys(format) {
				if format[key].DefaultKey {
					defaultKey = key
					if res[defaultKey] != "" {
						return "duplicate key in comma-separated list property: " + defaultKey + "\n"
					}
					res[defaultKey] = part
					break
				}
			}
			if defaultKey == "" {
				return "value without key, but schema does not define a default key\n"
			}
		default:
			return "missing key in comma-separated list property\n"
		}
	}
	errs := map[string]string{}
	for _, k := range sortedKeys(format) {
		sub := format[k]
		v, ok := res[k]
		if !ok {
			if !sub.Optional && sub.Alias == "" {
				addError(errs, path+"."+k, MsgMissing)
			}
			continue
		}
		checkString(errs, path+"."+k, v, sub, false)
	}
	for _, k := range sortedKeys(res) {
		sub, ok := format[k]
		if !ok {
			addError(errs, path+"."+k, MsgNotDefined)
			continue
		}
		if sub.Requires != "" {
			if _, ok := res[sub.Requires]; !ok {
				addError(errs, path+"."+sub.Requires, fmt.Sprintf("missing property - '%s.%s' requires this property", path, k))
			}
		}
	}
	if len(errs) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("format error\n")
	for _, k := range sortedKeys(errs) {
		b.WriteString(k + ": " + errs[k] + "\n")
	}
	return b.String()
}

// parseBoolean is JSONSchema.pm's parse_boolean: property strings accept
// 1|on|yes|true and 0|off|no|false; anything else is left for the type check.
func parseBoolean(v string) string {
	switch strings.ToLower(v) {
	case "1", "on", "yes", "true":
		return "1"
	case "0", "off", "no", "false":
		return "0"
	}
	return v
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
