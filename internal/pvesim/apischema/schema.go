package apischema

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"
)

//go:embed schema.json
var embedded []byte

// Schema is a set of PVE API endpoints with their parameter and return
// schemas, indexed for path lookup. It is read-only once loaded and safe for
// concurrent use, so one Schema can serve many simulators.
type Schema struct {
	methods []*Method
	root    *trieNode
	dec     *decoder // used while loading only
}

// Method is one endpoint: an HTTP method on a path template such as
// "/nodes/{node}/qemu/{vmid}/config".
type Method struct {
	Method     string
	Path       string
	Parameters *Type
	Returns    *Type

	pathVars map[string]bool
}

type trieNode struct {
	literal map[string]*trieNode
	params  []paramEdge
	methods map[string]*Method
}

type paramEdge struct {
	name string
	node *trieNode
}

// Load parses the schema embedded in the binary: the endpoints the simulator
// serves. It parses on every call (about 20 ms); callers keep the result.
func Load() (*Schema, error) {
	var entries []map[string]any
	if err := decodeNumbers(embedded, &entries); err != nil {
		return nil, fmt.Errorf("decode embedded schema: %w", err)
	}
	s := newSchema()
	for _, e := range entries {
		method, _ := e["method"].(string)
		path, _ := e["path"].(string)
		if err := s.add(method, path, e["parameters"], e["returns"]); err != nil {
			return nil, fmt.Errorf("embedded schema: %w", err)
		}
	}
	s.sort()
	s.dec = nil
	return s, nil
}

// LoadFile parses a full apidoc.json, the official PVE API schema as shipped
// by pve-docs (a tree of {path, info, children} nodes).
func LoadFile(path string) (*Schema, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read api schema: %w", err)
	}
	s, err := parseAPIDoc(data)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	return s, nil
}

// decodeNumbers decodes JSON keeping numbers as json.Number.
func decodeNumbers(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(v)
}

func parseAPIDoc(data []byte) (*Schema, error) {
	var tree []any
	if err := decodeNumbers(data, &tree); err != nil {
		return nil, fmt.Errorf("decode apidoc: %w", err)
	}
	s := newSchema()
	var walk func(n any) error
	walk = func(n any) error {
		node, ok := n.(map[string]any)
		if !ok {
			return fmt.Errorf("tree node is %T, not an object", n)
		}
		path, _ := node["path"].(string)
		info, _ := node["info"].(map[string]any)
		for method, v := range info {
			m, _ := v.(map[string]any)
			if err := s.add(method, path, m["parameters"], m["returns"]); err != nil {
				return err
			}
		}
		children, _ := node["children"].([]any)
		for _, c := range children {
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	for _, n := range tree {
		if err := walk(n); err != nil {
			return nil, err
		}
	}
	if len(s.methods) == 0 {
		return nil, fmt.Errorf("no endpoints")
	}
	s.sort()
	s.dec = nil
	return s, nil
}

func newSchema() *Schema {
	return &Schema{root: &trieNode{}, dec: newDecoder()}
}

func (s *Schema) add(method, path string, params, returns any) error {
	m := &Method{Method: strings.ToUpper(method), Path: path, pathVars: map[string]bool{}}
	var err error
	if m.Parameters, err = s.dec.decodeType(params, ""); err != nil {
		return fmt.Errorf("%s %s parameters: %w", method, path, err)
	}
	if m.Returns, err = s.dec.decodeType(returns, ""); err != nil {
		return fmt.Errorf("%s %s returns: %w", method, path, err)
	}
	n := s.root
	for _, seg := range splitPath(path) {
		if name, ok := placeholder(seg); ok {
			m.pathVars[name] = true
			var next *trieNode
			for _, e := range n.params {
				if e.name == name {
					next = e.node
				}
			}
			if next == nil {
				next = &trieNode{}
				n.params = append(n.params, paramEdge{name: name, node: next})
			}
			n = next
			continue
		}
		if n.literal == nil {
			n.literal = map[string]*trieNode{}
		}
		next, ok := n.literal[seg]
		if !ok {
			next = &trieNode{}
			n.literal[seg] = next
		}
		n = next
	}
	if n.methods == nil {
		n.methods = map[string]*Method{}
	}
	if _, dup := n.methods[m.Method]; dup {
		return fmt.Errorf("duplicate endpoint %s %s", m.Method, path)
	}
	n.methods[m.Method] = m
	s.methods = append(s.methods, m)
	return nil
}

func (s *Schema) sort() {
	sort.Slice(s.methods, func(i, j int) bool {
		a, b := s.methods[i], s.methods[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Method < b.Method
	})
}

// Methods returns every endpoint, sorted by path, then by method name.
func (s *Schema) Methods() []*Method {
	return append([]*Method(nil), s.methods...)
}

// Lookup finds the endpoint serving method on a concrete path relative to
// /api2/json, such as "/nodes/pve1/qemu/100/config", and returns the values
// of its placeholders ({"node": "pve1", "vmid": "100"}). Literal segments win
// over placeholders. Segments are percent-decoded, so escaped paths
// (URL.EscapedPath) work; a {volume} placeholder also takes a volume ID whose
// slash was not escaped ("local:iso/x.iso").
func (s *Schema) Lookup(method, path string) (m *Method, vars map[string]string, ok bool) {
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if rest, ok := strings.CutPrefix(path, "/api2/json"); ok && (rest == "" || rest[0] == '/') {
		path = rest
	}
	raw := splitPath(path)
	segs := make([]string, len(raw))
	for i, r := range raw {
		if u, err := url.PathUnescape(r); err == nil {
			segs[i] = u
		} else {
			segs[i] = r
		}
	}
	vars = map[string]string{}
	m = match(s.root, strings.ToUpper(method), segs, vars)
	if m == nil {
		return nil, nil, false
	}
	return m, vars, true
}

func match(n *trieNode, method string, segs []string, vars map[string]string) *Method {
	if len(segs) == 0 {
		return n.methods[method]
	}
	if next, ok := n.literal[segs[0]]; ok {
		if m := match(next, method, segs[1:], vars); m != nil {
			return m
		}
	}
	if segs[0] == "" {
		return nil
	}
	for _, e := range n.params {
		vars[e.name] = segs[0]
		if m := match(e.node, method, segs[1:], vars); m != nil {
			return m
		}
		if e.name == "volume" && len(e.node.literal) == 0 && len(e.node.params) == 0 {
			vars[e.name] = strings.Join(segs, "/")
			if m := e.node.methods[method]; m != nil {
				return m
			}
		}
		delete(vars, e.name)
	}
	return nil
}

func splitPath(path string) []string {
	path = strings.Trim(path, "/")
	if path == "" {
		return nil
	}
	return strings.Split(path, "/")
}

func placeholder(seg string) (string, bool) {
	if len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}' {
		return seg[1 : len(seg)-1], true
	}
	return "", false
}

// PathVars returns the names of the path placeholders of the endpoint,
// sorted ("node", "vmid").
func (m *Method) PathVars() []string {
	names := make([]string, 0, len(m.pathVars))
	for k := range m.pathVars {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
