package apischema

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Type is one schema node of the PVE API schema: a parameter, a return value,
// a property of an object, an array's items or a property-string sub-key.
// It keeps the keywords that PVE's JSONSchema.pm validates.
type Type struct {
	// Type is "string", "integer", "number", "boolean", "object", "array",
	// "null", "any", or "" (anything goes).
	Type     string
	Optional bool
	// Enum holds the allowed values, numbers as their JSON text.
	Enum []string
	// Format names a registered PVE format ("pve-vmid", "pve-configid-list").
	Format string
	// FormatProps holds the sub-keys of a property string ("bridge=vmbr0,
	// firewall=1") when the schema gives the format as an object.
	FormatProps map[string]*Type
	Pattern     string
	// Minimum and Maximum are JSON number texts; "" means no bound.
	Minimum, Maximum     string
	MinLength, MaxLength int // -1 means no bound
	Default              json.RawMessage
	Items                *Type
	Properties           map[string]*Type
	// AdditionalProperties is nil when the schema leaves it unset (PVE then
	// allows extra properties), else whether extra properties are allowed.
	AdditionalProperties *bool
	// AdditionalSchema validates extra properties when the schema gives one.
	AdditionalSchema *Type
	OneOf            []*Type
	// Alias, KeyAlias and DefaultKey describe property-string sub-keys.
	Alias, KeyAlias string
	DefaultKey      bool
	// Requires names a sibling property that must be present with this one.
	Requires string
	// IndexMin and IndexMax bound N for a folded key such as "net[n]" when the
	// schema states the range; IndexMax is -1 when it does not.
	IndexMin, IndexMax int

	re      *regexp.Regexp // compiled Pattern; nil if absent or not RE2
	indexed map[string]*Type
}

// perlFlagsRE finds Perl's "(?^flags:" groups, which RE2 does not know.
var perlFlagsRE = regexp.MustCompile(`\(\?\^([a-z]*):`)

// decoder converts decoded JSON schemas into Types, compiling each distinct
// pattern once.
type decoder struct {
	patterns map[string]*regexp.Regexp
}

func newDecoder() *decoder {
	return &decoder{patterns: map[string]*regexp.Regexp{}}
}

// regexp compiles a PVE pattern as JSONSchema.pm applies it, m/^$pattern$/
// (without grouping, so a top-level alternation anchors only its ends).
// Perl's "(?^:" (default flags) becomes "(?:"; a pattern RE2 cannot compile
// gives nil and is not checked.
func (d *decoder) regexp(pattern string) *regexp.Regexp {
	if re, ok := d.patterns[pattern]; ok {
		return re
	}
	p := perlFlagsRE.ReplaceAllString(pattern, "(?$1:")
	re, err := regexp.Compile(`^` + p + `$`)
	if err != nil {
		re = nil
	}
	d.patterns[pattern] = re
	return re
}

// decodeType converts one schema object of a decoded apidoc.json (maps,
// slices, strings, json.Number, bools) into a Type. Flags there can be 1,
// "1" or true, and several keywords take more than one shape. name is the
// property the schema belongs to ("" for anonymous schemas), used for folded
// "[n]" keys. A nil or non-object schema gives nil.
func (d *decoder) decodeType(v any, name string) (*Type, error) {
	r, ok := v.(map[string]any)
	if !ok {
		if v == nil {
			return nil, nil
		}
		return nil, fmt.Errorf("schema %q: expected an object, got %T", name, v)
	}
	t := &Type{
		Optional:   truthy(r["optional"]),
		DefaultKey: truthy(r["default_key"]),
		MinLength:  -1,
		MaxLength:  -1,
		IndexMax:   -1,
	}
	t.Type, _ = r["type"].(string)
	t.Pattern, _ = r["pattern"].(string)
	t.Alias, _ = r["alias"].(string)
	t.KeyAlias, _ = r["keyAlias"].(string)
	t.Requires, _ = r["requires"].(string)
	if d, ok := r["default"]; ok {
		b, err := json.Marshal(d)
		if err != nil {
			return nil, fmt.Errorf("schema %q default: %w", name, err)
		}
		t.Default = b
	}
	if enum, ok := r["enum"].([]any); ok {
		t.Enum = make([]string, 0, len(enum))
		for _, e := range enum {
			t.Enum = append(t.Enum, scalarText(e))
		}
	}
	t.Minimum = numberText(r["minimum"])
	t.Maximum = numberText(r["maximum"])
	if n, err := strconv.Atoi(numberText(r["minLength"])); err == nil {
		t.MinLength = n
	}
	if n, err := strconv.Atoi(numberText(r["maxLength"])); err == nil {
		t.MaxLength = n
	}
	if t.Pattern != "" {
		t.re = d.regexp(t.Pattern)
	}
	if strings.HasSuffix(name, "[n]") {
		desc, _ := r["description"].(string)
		if m := indexRangeRE.FindStringSubmatch(desc); m != nil {
			t.IndexMin, _ = strconv.Atoi(m[1])
			t.IndexMax, _ = strconv.Atoi(m[2])
			if m[3] != "" {
				t.IndexMax, _ = strconv.Atoi(m[3])
			}
		}
	}

	var err error
	switch f := r["format"].(type) {
	case map[string]any:
		if t.FormatProps, err = d.decodeProps(f); err != nil {
			return nil, fmt.Errorf("schema %q format: %w", name, err)
		}
	case string:
		t.Format = f
	}
	if items, ok := r["items"].(map[string]any); ok {
		if t.Items, err = d.decodeType(items, ""); err != nil {
			return nil, fmt.Errorf("schema %q items: %w", name, err)
		}
	}
	if props, ok := r["properties"].(map[string]any); ok {
		if t.Properties, err = d.decodeProps(props); err != nil {
			return nil, fmt.Errorf("schema %q: %w", name, err)
		}
		t.indexed = indexedProps(t.Properties)
	}
	switch ap := r["additionalProperties"].(type) {
	case nil:
	case map[string]any:
		allow := true
		t.AdditionalProperties = &allow
		if t.AdditionalSchema, err = d.decodeType(ap, ""); err != nil {
			return nil, fmt.Errorf("schema %q additionalProperties: %w", name, err)
		}
	default:
		allow := truthy(ap)
		t.AdditionalProperties = &allow
	}
	if alts, ok := r["oneOf"].([]any); ok {
		for i, o := range alts {
			alt, err := d.decodeType(o, "")
			if err != nil {
				return nil, fmt.Errorf("schema %q oneOf[%d]: %w", name, i, err)
			}
			if alt != nil {
				t.OneOf = append(t.OneOf, alt)
			}
		}
	}
	return t, nil
}

func (d *decoder) decodeProps(raw map[string]any) (map[string]*Type, error) {
	props := make(map[string]*Type, len(raw))
	for k, v := range raw {
		p, err := d.decodeType(v, k)
		if err != nil {
			return nil, err
		}
		if p == nil {
			p = &Type{MinLength: -1, MaxLength: -1, IndexMax: -1}
		}
		props[k] = p
	}
	return props, nil
}

// indexedProps maps the prefix of every folded key ("net" for "net[n]") to
// its schema.
func indexedProps(props map[string]*Type) map[string]*Type {
	var idx map[string]*Type
	for k, p := range props {
		if prefix, ok := strings.CutSuffix(k, "[n]"); ok {
			if idx == nil {
				idx = make(map[string]*Type)
			}
			idx[prefix] = p
		}
	}
	return idx
}

// Property returns the schema of an object property, resolving concrete
// indexed keys ("net0", "scsi12") to their folded schema key ("net[n]").
// It returns the schema key that matched.
func (t *Type) Property(name string) (*Type, string, bool) {
	if t == nil {
		return nil, "", false
	}
	if p, ok := t.Properties[name]; ok {
		return p, name, true
	}
	if len(t.indexed) == 0 {
		return nil, "", false
	}
	// Split "net12" into "net" and "12"; the index has no leading zeros.
	i := len(name)
	for i > 0 && name[i-1] >= '0' && name[i-1] <= '9' {
		i--
	}
	prefix, digits := name[:i], name[i:]
	if digits == "" || prefix == "" || (len(digits) > 1 && digits[0] == '0') || len(digits) > 6 {
		return nil, "", false
	}
	p, ok := t.indexed[prefix]
	if !ok {
		return nil, "", false
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n < p.IndexMin || (p.IndexMax >= 0 && n > p.IndexMax) {
		return nil, "", false
	}
	return p, prefix + "[n]", true
}

// PropertyNames returns the property names of an object schema, sorted.
func (t *Type) PropertyNames() []string {
	if t == nil {
		return nil
	}
	names := make([]string, 0, len(t.Properties))
	for k := range t.Properties {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// truthy reads a Perl-style flag: 1, "1", true and non-zero numbers are set.
func truthy(v any) bool {
	switch f := v.(type) {
	case nil:
		return false
	case bool:
		return f
	case json.Number:
		n, err := f.Float64()
		return err != nil || n != 0
	case string:
		return f != "" && f != "0"
	}
	return true
}

// scalarText renders a decoded JSON scalar as PVE compares it: strings as
// they are, numbers and booleans as their JSON text.
func scalarText(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case json.Number:
		return s.String()
	case bool:
		return strconv.FormatBool(s)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// numberText returns the text of a JSON number, which apidoc.json sometimes
// writes as a string ("0"); "" when absent or not a number.
func numberText(v any) string {
	if v == nil {
		return ""
	}
	s := scalarText(v)
	if _, err := strconv.ParseFloat(s, 64); err != nil {
		return ""
	}
	return s
}
