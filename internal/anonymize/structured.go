package anonymize

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// JSON anonymizes a JSON document by its structure: keys are kept (unless
// they are themselves host names or addresses), string values go through
// Text, and every value under a secret-named key (password, token, ticket,
// CSRFPreventionToken, …) is masked whole. Formatting is preserved.
func (e *Engine) JSON(b []byte) ([]byte, error) {
	if !json.Valid(b) {
		var v any
		err := json.Unmarshal(b, &v)
		if err == nil {
			err = errors.New("invalid JSON")
		}
		return nil, fmt.Errorf("anonymize json: %w", err)
	}
	c := &call{}
	// first the secrets, so that their copies elsewhere are masked too
	walkJSON(b, func(k jsonItem) (string, bool) {
		if k.secret != "" && !k.key {
			c.addSecret(k.secret, k.val)
		}
		return "", false
	})
	return walkJSON(b, func(k jsonItem) (string, bool) { return e.jsonItem(k, c) }), nil
}

type jsonItem struct {
	key    bool    // a key, not a value
	hosts  bool    // a key of a "hosts"/"hostvars" object: a host name
	number bool    // an unquoted number
	kind   keyKind // what the key of this value says it holds
	secret Type    // set when the value is (inside) a secret
	val    string
}

func (e *Engine) jsonItem(k jsonItem, c *call) (string, bool) {
	switch {
	case k.secret != "":
		if k.key || keepValue(k.val) || e.allowed(k.val) || !e.on(k.secret) {
			return "", false
		}
		return e.secret(c, k.secret, k.val), true
	case k.number:
		return "", false
	case k.hosts:
		if r, ok := e.hostValue(c, k.val); ok {
			return r, true
		}
	case k.kind == kindHost:
		if r, ok := e.hostValue(c, k.val); ok {
			return r, true
		}
	case k.kind == kindUser:
		if r, ok := e.userValue(c, k.val); ok {
			return r, true
		}
	}
	r := e.text(k.val, c)
	return r, r != k.val
}

type jsonFrame struct {
	obj       bool
	expectKey bool
	key       string
	hosts     bool // this object's keys are host names
	secret    Type
}

// walkJSON rewrites the strings (and numbers) of a valid JSON document
// through fn, copying everything else byte for byte.
func walkJSON(b []byte, fn func(jsonItem) (string, bool)) []byte {
	out := make([]byte, 0, len(b)+len(b)/8)
	var stack []jsonFrame
	valueCtx := func() (keyKind, Type) {
		if len(stack) == 0 {
			return kindNone, ""
		}
		top := stack[len(stack)-1]
		if !top.obj {
			if top.secret != "" {
				return kindSecret, top.secret
			}
			return kindNone, ""
		}
		kind, t := classifyKey(top.key)
		if top.secret != "" {
			return kindSecret, top.secret
		}
		return kind, t
	}
	for i := 0; i < len(b); i++ {
		ch := b[i]
		switch {
		case ch == '{' || ch == '[':
			kind, t := valueCtx()
			f := jsonFrame{obj: ch == '{', expectKey: ch == '{'}
			if kind == kindSecret {
				f.secret = t
			}
			if len(stack) > 0 && stack[len(stack)-1].obj {
				pk := stack[len(stack)-1].key
				f.hosts = ch == '{' && (pk == "hosts" || pk == "hostvars")
			}
			stack = append(stack, f)
			out = append(out, ch)
		case ch == '}' || ch == ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			out = append(out, ch)
		case ch == ',':
			if n := len(stack); n > 0 && stack[n-1].obj {
				stack[n-1].expectKey = true
			}
			out = append(out, ch)
		case ch == ':':
			if n := len(stack); n > 0 {
				stack[n-1].expectKey = false
			}
			out = append(out, ch)
		case ch == '"':
			j := i + 1
			esc := false
			for j < len(b) && b[j] != '"' {
				if b[j] == '\\' {
					esc = true
					j++
				}
				j++
			}
			raw := b[i : j+1]
			var s string
			if esc {
				_ = json.Unmarshal(raw, &s) // valid: checked by json.Valid
			} else {
				s = string(raw[1 : len(raw)-1])
			}
			it := jsonItem{val: s}
			if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].expectKey {
				it.key = true
				it.hosts = stack[n-1].hosts
				stack[n-1].key = s
				if stack[n-1].secret != "" {
					it.secret = stack[n-1].secret
				}
			} else {
				it.kind, it.secret = valueCtx()
				if it.kind != kindSecret {
					it.secret = ""
				}
			}
			if r, ok := fn(it); ok {
				out = appendJSONString(out, r)
			} else {
				out = append(out, raw...)
			}
			i = j
		case ch == '-' || (ch >= '0' && ch <= '9'):
			j := i
			for j < len(b) && bytes.IndexByte([]byte("+-.eE0123456789"), b[j]) >= 0 {
				j++
			}
			it := jsonItem{val: string(b[i:j]), number: true}
			it.kind, it.secret = valueCtx()
			if it.kind != kindSecret {
				it.secret = ""
			}
			if r, ok := fn(it); ok {
				out = appendJSONString(out, r)
			} else {
				out = append(out, b[i:j]...)
			}
			i = j - 1
		default:
			out = append(out, ch)
		}
	}
	return out
}

func appendJSONString(out []byte, s string) []byte {
	out = append(out, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			out = append(out, '\\', c)
		case c == '\n':
			out = append(out, '\\', 'n')
		case c == '\r':
			out = append(out, '\\', 'r')
		case c == '\t':
			out = append(out, '\\', 't')
		case c < 0x20:
			out = append(out, `\u00`...)
			out = append(out, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
		case c < utf8.RuneSelf:
			out = append(out, c)
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				out = append(out, `\ufffd`...)
			} else {
				out = append(out, s[i:i+n]...)
			}
			i += n
			continue
		}
		i++
	}
	return append(out, '"')
}

// YAML anonymizes YAML documents by structure, like JSON, keeping comments
// (which go through Text). The output is re-emitted with two-space indents.
func (e *Engine) YAML(b []byte) ([]byte, error) {
	var docs []*yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("anonymize yaml: %w", err)
		}
		docs = append(docs, &n)
	}
	c := &call{}
	for _, d := range docs {
		e.collectYAML(d, "", c)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	for _, d := range docs {
		e.walkYAML(d, yamlCtx{}, c)
		if err := enc.Encode(d); err != nil {
			return nil, fmt.Errorf("anonymize yaml: %w", err)
		}
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("anonymize yaml: %w", err)
	}
	return buf.Bytes(), nil
}

type yamlCtx struct {
	kind   keyKind
	secret Type
	hosts  bool // mapping keys are host names
}

func (e *Engine) collectYAML(n *yaml.Node, secret Type, c *call) {
	switch n.Kind {
	case yaml.ScalarNode:
		if secret != "" {
			c.addSecret(secret, n.Value)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			s := secret
			if kind, t := classifyKey(n.Content[i].Value); kind == kindSecret && s == "" {
				s = t
			}
			e.collectYAML(n.Content[i+1], s, c)
		}
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, ch := range n.Content {
			e.collectYAML(ch, secret, c)
		}
	}
}

func (e *Engine) walkYAML(n *yaml.Node, ctx yamlCtx, c *call) {
	n.HeadComment = e.text(n.HeadComment, c)
	n.LineComment = e.text(n.LineComment, c)
	n.FootComment = e.text(n.FootComment, c)
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, ch := range n.Content {
			e.walkYAML(ch, yamlCtx{kind: ctx.kind, secret: ctx.secret}, c)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			kind, t := classifyKey(k.Value)
			vc := yamlCtx{kind: kind, hosts: k.Value == "hosts" || k.Value == "hostvars"}
			if kind == kindSecret {
				vc.secret = t
			}
			if ctx.secret != "" {
				vc.kind, vc.secret = kindSecret, ctx.secret
			}
			// the key: a host name under "hosts:", else plain text
			k.HeadComment = e.text(k.HeadComment, c)
			k.LineComment = e.text(k.LineComment, c)
			k.FootComment = e.text(k.FootComment, c)
			if k.Kind == yaml.ScalarNode {
				if r, ok := e.hostValue(c, k.Value); ok && ctx.hosts {
					k.Value = r
				} else if ctx.secret == "" {
					setScalar(k, e.text(k.Value, c))
				}
			}
			e.walkYAML(v, vc, c)
		}
	case yaml.ScalarNode:
		switch {
		case ctx.secret != "":
			if n.Tag == "!!null" || n.Tag == "!!bool" || keepValue(n.Value) || e.allowed(n.Value) || !e.on(ctx.secret) {
				return
			}
			setScalar(n, e.secret(c, ctx.secret, n.Value))
		case ctx.kind == kindHost:
			if r, ok := e.hostValue(c, n.Value); ok {
				setScalar(n, r)
				return
			}
			setScalar(n, e.text(n.Value, c))
		case ctx.kind == kindUser:
			if r, ok := e.userValue(c, n.Value); ok {
				setScalar(n, r)
				return
			}
			setScalar(n, e.text(n.Value, c))
		default:
			setScalar(n, e.text(n.Value, c))
		}
	}
}

// setScalar replaces a scalar's value; a changed value is a string, quoted
// when it would not read back as one.
func setScalar(n *yaml.Node, v string) {
	if v == n.Value {
		return
	}
	n.Value = v
	n.Tag = "!!str"
	if n.Style == 0 || n.Style == yaml.TaggedStyle {
		var back string
		if err := yaml.Unmarshal([]byte(v), &back); err != nil || back != v {
			n.Style = yaml.DoubleQuotedStyle
		}
	}
}
