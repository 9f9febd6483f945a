package apischema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// indexRangeRE finds the index range of folded keys such as scsi[n] in their
// description ("n is 0 to 30"; usb[n] says "n is 0 to 4, for machine version
// >= 7.1 ... n can be up to 14"). Only this phrase of a description is kept.
var indexRangeRE = regexp.MustCompile(`n is (\d+) to (\d+)(?:[^()]*n can be up to (\d+))?`)

// wanted reports whether the subset keeps the endpoints of an API path: the
// paths the simulator serves, some with all their descendants.
func wanted(path string) bool {
	switch path {
	case "/version", "/cluster/status", "/cluster/resources", "/cluster/nextid",
		"/nodes", "/nodes/{node}", "/nodes/{node}/status", "/nodes/{node}/version",
		"/access/ticket", "/access/permissions", "/access/domains", "/access/users",
		"/cluster/tasks", "/storage":
		return true
	}
	for _, p := range [...]string{
		"/nodes/{node}/qemu",
		"/nodes/{node}/lxc",
		"/nodes/{node}/storage",
		"/nodes/{node}/network",
		"/nodes/{node}/tasks",
		"/pools",
	} {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}

// kept reports whether a schema keyword is kept in the embedded subset;
// everything else (descriptions, typetext, permissions, links, renderers)
// is dropped.
func kept(keyword string) bool {
	switch keyword {
	case "type", "optional", "enum", "format", "pattern", "minimum", "maximum",
		"minLength", "maxLength", "default", "items", "properties",
		"additionalProperties", "oneOf", "alias", "keyAlias", "default_key",
		"requires", "type-property", "instance-types":
		return true
	}
	return false
}

// Subset reads a full apidoc.json (the official PVE API schema) and returns
// the compact schema embedded in this package: one JSON object per line with
// method, path, parameters and returns, sorted by path then method, and with
// descriptions and other documentation bulk removed. The output is
// deterministic, so it can be compared byte for byte.
func Subset(apidoc []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(apidoc))
	dec.UseNumber()
	var tree []any
	if err := dec.Decode(&tree); err != nil {
		return nil, fmt.Errorf("decode apidoc: %w", err)
	}
	type entry struct {
		Method     string `json:"method"`
		Path       string `json:"path"`
		Parameters any    `json:"parameters,omitempty"`
		Returns    any    `json:"returns,omitempty"`
	}
	var entries []entry
	var walk func(n any)
	walk = func(n any) {
		node, ok := n.(map[string]any)
		if !ok {
			return
		}
		path, _ := node["path"].(string)
		if info, ok := node["info"].(map[string]any); ok && wanted(path) {
			for method, v := range info {
				m, ok := v.(map[string]any)
				if !ok {
					continue
				}
				entries = append(entries, entry{
					Method:     method,
					Path:       path,
					Parameters: stripSchema(m["parameters"], ""),
					Returns:    stripSchema(m["returns"], ""),
				})
			}
		}
		children, _ := node["children"].([]any)
		for _, c := range children {
			walk(c)
		}
	}
	for _, n := range tree {
		walk(n)
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("apidoc has no endpoints under the simulator's paths")
	}
	sort.Slice(entries, func(i, j int) bool {
		if entries[i].Path != entries[j].Path {
			return entries[i].Path < entries[j].Path
		}
		return entries[i].Method < entries[j].Method
	})
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	buf.WriteString("[\n")
	for i, e := range entries {
		if i > 0 {
			buf.WriteString(",\n")
		}
		if err := enc.Encode(e); err != nil {
			return nil, fmt.Errorf("encode %s %s: %w", e.Method, e.Path, err)
		}
		buf.Truncate(buf.Len() - 1) // Encode appends a newline
	}
	buf.WriteString("\n]\n")
	return buf.Bytes(), nil
}

// stripSchema keeps only the validation keywords of a schema object,
// recursively. key is the property name the schema belongs to: for folded
// keys ("net[n]") the index range phrase of the description is kept.
func stripSchema(v any, key string) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := make(map[string]any, len(m))
	for k, val := range m {
		switch {
		case k == "description":
			if strings.HasSuffix(key, "[n]") {
				if r := indexRangeRE.FindString(fmt.Sprint(val)); r != "" {
					out[k] = r
				}
			}
		case !kept(k):
		case k == "properties":
			props, ok := val.(map[string]any)
			if !ok {
				continue
			}
			sp := make(map[string]any, len(props))
			for pk, pv := range props {
				sp[pk] = stripSchema(pv, pk)
			}
			out[k] = sp
		case k == "format":
			// An object format lists the sub-keys of a property string.
			if f, ok := val.(map[string]any); ok {
				sf := make(map[string]any, len(f))
				for fk, fv := range f {
					sf[fk] = stripSchema(fv, fk)
				}
				out[k] = sf
			} else {
				out[k] = val
			}
		case k == "items", k == "additionalProperties", k == "requires":
			out[k] = stripSchema(val, "")
		case k == "oneOf":
			list, _ := val.([]any)
			sl := make([]any, 0, len(list))
			for _, e := range list {
				sl = append(sl, stripSchema(e, ""))
			}
			out[k] = sl
		default:
			out[k] = val
		}
	}
	return out
}
