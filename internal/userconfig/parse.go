package userconfig

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

// ParseError is a problem at a line of the config file. Load fills in File.
type ParseError struct {
	File string // path as given to Load; empty from Parse
	Line int    // 1-based; 0 when unknown
	Msg  string
}

var _ error = (*ParseError)(nil)

// Error formats as "FILE line N: msg" (parts omitted when unknown).
func (e *ParseError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
	}
	if e.Line > 0 {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "line %d", e.Line)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// SecretMsg is the message for a secret-looking key in the config file.
const SecretMsg = "secrets are not stored in context files; put it in PROXMOX_VE_API_TOKEN or a 0600 secret-file"

func perr(line int, format string, a ...any) *ParseError {
	return &ParseError{Line: line, Msg: fmt.Sprintf(format, a...)}
}

// Parse decodes and validates a config file. It is strict: unknown keys,
// secret-looking keys (token, secret, password, api-token, ...), wrong value
// types, duplicate or empty context names, non-https endpoints, malformed
// fingerprints and token ids, and a current-context that names no context
// are all errors, reported as *ParseError with the line. Errors never
// contain values from the file except context names and key names.
// Empty input is an empty Config.
func Parse(data []byte) (cfg *Config, err error) {
	defer func() {
		// yaml.v3 has had panics on malformed input; never let one escape.
		if r := recover(); r != nil {
			cfg, err = nil, &ParseError{Msg: "invalid YAML"}
		}
	}()
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &Config{}, nil
		}
		return nil, yamlError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		line := extra.Line
		if err != nil {
			return nil, yamlError(err)
		}
		return nil, perr(line, "the file holds more than one YAML document")
	}
	if line, ok := findSecretKey(&doc, 0); ok {
		return nil, perr(line, SecretMsg)
	}
	d := &decoder{lines: &lines{}}
	cfg, err = d.config(&doc)
	if err != nil {
		return nil, err
	}
	if err := validate(cfg, d.lines); err != nil {
		return nil, err
	}
	return cfg, nil
}

var yamlLineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// yamlError converts a yaml.v3 syntax error into a *ParseError. Syntax
// errors from the scanner describe structure, not values.
func yamlError(err error) *ParseError {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		var n int
		_, _ = fmt.Sscanf(m[1], "%d", &n)
		return &ParseError{Line: n, Msg: "invalid YAML: " + m[2]}
	}
	return &ParseError{Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

// secretWords are substrings of a normalised key (lowercase, without
// "-", "_", "." and spaces) that mark it as holding a secret.
var secretWords = []string{"token", "secret", "password", "passwd", "passphrase", "pwd", "apikey", "privatekey", "credential", "ticket", "csrf"}

// allowedKeys are keys of our own schema that contain a secret word but
// hold no secret.
var allowedKeys = map[string]bool{"token-id": true, "secret-file": true}

// LooksSecret reports whether a config key looks like it holds a secret.
func LooksSecret(key string) bool {
	if allowedKeys[key] {
		return false
	}
	norm := strings.Map(func(r rune) rune {
		switch r {
		case '-', '_', '.', ' ':
			return -1
		}
		return unicode.ToLower(r)
	}, key)
	for _, w := range secretWords {
		if strings.Contains(norm, w) {
			return true
		}
	}
	return false
}

// findSecretKey returns the line of the first mapping key anywhere in n that
// looks like a secret. Depth is bounded; aliases are not followed (their
// targets are visited where they are defined).
func findSecretKey(n *yaml.Node, depth int) (int, bool) {
	if n == nil || depth > 64 {
		return 0, false
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind == yaml.ScalarNode && LooksSecret(k.Value) {
				return k.Line, true
			}
		}
	}
	for _, c := range n.Content {
		if line, ok := findSecretKey(c, depth+1); ok {
			return line, true
		}
	}
	return 0, false
}

// lines records where things were defined, for validation messages.
type lines struct {
	current  int            // current-context value
	contexts []contextLines // per context, in order
}

type contextLines struct {
	item   int
	fields map[string]int // key -> line of its value
}

func (l *lines) ctx(i int) contextLines {
	if l == nil || i >= len(l.contexts) {
		return contextLines{}
	}
	return l.contexts[i]
}

func (c contextLines) at(key string) int {
	if n, ok := c.fields[key]; ok {
		return n
	}
	return c.item
}

type decoder struct {
	lines *lines
}

func resolve(n *yaml.Node) *yaml.Node {
	if n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// mapping iterates the key/value pairs of a mapping node, rejecting
// duplicate and non-string keys.
func mapping(n *yaml.Node, what string, fn func(key string, k, v *yaml.Node) error) error {
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			return perr(k.Line, "%s keys must be plain strings", what)
		}
		if first, dup := seen[k.Value]; dup {
			return perr(k.Line, "key %q is repeated (first on line %d)", k.Value, first)
		}
		seen[k.Value] = k.Line
		if err := fn(k.Value, k, v); err != nil {
			return err
		}
	}
	return nil
}

func (d *decoder) config(doc *yaml.Node) (*Config, error) {
	cfg := &Config{}
	root := doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return cfg, nil
		}
		root = resolve(root.Content[0])
	}
	if isNull(root) {
		return cfg, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, perr(root.Line, "the file must be a mapping with current-context and contexts")
	}
	err := mapping(root, "top-level", func(key string, k, v *yaml.Node) error {
		switch key {
		case "current-context":
			s, err := scalarString(key, v)
			if err != nil {
				return err
			}
			cfg.CurrentContext = s
			d.lines.current = v.Line
		case "contexts":
			if isNull(v) {
				return nil
			}
			if v.Kind != yaml.SequenceNode {
				return perr(v.Line, "contexts must be a list")
			}
			for _, item := range v.Content {
				ctx, cl, err := d.context(resolve(item))
				if err != nil {
					return err
				}
				cfg.Contexts = append(cfg.Contexts, ctx)
				d.lines.contexts = append(d.lines.contexts, cl)
			}
		default:
			return perr(k.Line, "unknown key %q (known: current-context, contexts)", key)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return cfg, nil
}

const contextKeys = "name, endpoint, fingerprint, ca-file, insecure, token-id, username, secret-file, default-node"

func (d *decoder) context(n *yaml.Node) (Context, contextLines, error) {
	var ctx Context
	cl := contextLines{item: n.Line, fields: map[string]int{}}
	if n.Kind != yaml.MappingNode {
		return ctx, cl, perr(n.Line, "each context must be a mapping with name and endpoint")
	}
	err := mapping(n, "context", func(key string, k, v *yaml.Node) error {
		cl.fields[key] = v.Line
		var target *string
		switch key {
		case "name":
			target = &ctx.Name
		case "endpoint":
			target = &ctx.Endpoint
		case "fingerprint":
			target = &ctx.Fingerprint
		case "ca-file":
			target = &ctx.CAFile
		case "token-id":
			target = &ctx.TokenID
		case "username":
			target = &ctx.Username
		case "secret-file":
			target = &ctx.SecretFile
		case "default-node":
			target = &ctx.DefaultNode
		case "insecure":
			b, err := scalarBool(key, v)
			if err != nil {
				return err
			}
			ctx.Insecure = b
			return nil
		default:
			return perr(k.Line, "unknown key %q in context (known: %s)", key, contextKeys)
		}
		s, err := scalarString(key, v)
		if err != nil {
			return err
		}
		*target = s
		return nil
	})
	return ctx, cl, err
}

func scalarString(key string, v *yaml.Node) (string, error) {
	if v.Kind != yaml.ScalarNode {
		return "", perr(v.Line, "%s must be a string", key)
	}
	if isNull(v) {
		return "", nil
	}
	return v.Value, nil
}

func scalarBool(key string, v *yaml.Node) (bool, error) {
	if v.Kind == yaml.ScalarNode {
		if isNull(v) {
			return false, nil
		}
		if v.ShortTag() == "!!bool" {
			var b bool
			if err := v.Decode(&b); err == nil {
				return b, nil
			}
		}
	}
	return false, perr(v.Line, "%s must be true or false", key)
}

var fingerprintRE = regexp.MustCompile(`^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){31}$`)

// tokenIDRE is USER@REALM!TOKENID as PVE defines it (no '=' secret part).
var tokenIDRE = regexp.MustCompile(`^[^\s@!=:]+@[A-Za-z][A-Za-z0-9.\-_]*![A-Za-z][A-Za-z0-9.\-_]*$`)

var userRE = regexp.MustCompile(`^[^\s@!=:]+@[A-Za-z][A-Za-z0-9.\-_]*$`)

// validate checks cfg; l (may be nil) supplies line numbers.
func validate(cfg *Config, l *lines) error {
	first := map[string]int{}
	for i := range cfg.Contexts {
		c := &cfg.Contexts[i]
		cl := l.ctx(i)
		if err := validateContext(c, cl); err != nil {
			return err
		}
		if prev, dup := first[c.Name]; dup {
			where := ""
			if pl := l.ctx(prev).item; pl > 0 {
				where = fmt.Sprintf(" (first on line %d)", pl)
			}
			return perr(cl.at("name"), "duplicate context name %q%s", c.Name, where)
		}
		first[c.Name] = i
	}
	if cfg.CurrentContext != "" {
		if _, ok := first[cfg.CurrentContext]; !ok {
			var line int
			if l != nil {
				line = l.current
			}
			known := cfg.Names()
			msg := "no contexts are defined"
			if len(known) > 0 {
				msg = "known contexts: " + strings.Join(known, ", ")
			}
			return perr(line, "current-context %q does not match any context; %s", cfg.CurrentContext, msg)
		}
	}
	return nil
}

func validateContext(c *Context, cl contextLines) error {
	if strings.TrimSpace(c.Name) == "" {
		return perr(cl.at("name"), "context has no name")
	}
	if strings.IndexFunc(c.Name, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return perr(cl.at("name"), "context name %q must not contain spaces or control characters", c.Name)
	}
	if err := validateEndpoint(c.Endpoint); err != nil {
		return perr(cl.at("endpoint"), "context %q: %s", c.Name, err)
	}
	if c.Fingerprint != "" && !fingerprintRE.MatchString(c.Fingerprint) {
		return perr(cl.at("fingerprint"), "context %q: fingerprint must be a SHA-256 fingerprint of 32 hex pairs like AA:BB:...", c.Name)
	}
	if c.TokenID != "" && !tokenIDRE.MatchString(c.TokenID) {
		if strings.Contains(c.TokenID, "=") {
			return perr(cl.at("token-id"), "context %q: token-id must be the id only (USER@REALM!TOKENID); %s", c.Name, SecretMsg)
		}
		return perr(cl.at("token-id"), "context %q: token-id must look like USER@REALM!TOKENID", c.Name)
	}
	if c.Username != "" && !userRE.MatchString(c.Username) {
		return perr(cl.at("username"), "context %q: username must look like USER@REALM (e.g. root@pam)", c.Name)
	}
	if c.TokenID != "" && c.Username != "" {
		return perr(cl.at("username"), "context %q: set token-id or username, not both", c.Name)
	}
	return nil
}

// validateEndpoint checks for an https URL with a host and no credentials.
// Its messages never include the endpoint, which could carry a password.
func validateEndpoint(s string) error {
	if s == "" {
		return errors.New("endpoint is required (e.g. https://pve1:8006)")
	}
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("endpoint is not a valid URL (e.g. https://pve1:8006)")
	}
	if u.User != nil {
		return errors.New("endpoint must not contain a user or password; " + SecretMsg)
	}
	if u.Scheme != "https" {
		return errors.New("endpoint must be an https:// URL (e.g. https://pve1:8006)")
	}
	if u.Hostname() == "" {
		return errors.New("endpoint has no host (e.g. https://pve1:8006)")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return errors.New("endpoint must not have a query or fragment")
	}
	return nil
}
