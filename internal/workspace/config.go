package workspace

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"

	"github.com/proxmox-mpc/proxmox-mpc/internal/userconfig"
)

// ConfigFile is the workspace config inside Dir.
const ConfigFile = "config.yaml"

// DefaultTokenEnv is the variable the API token is read from when the
// config names none (the bpg Terraform provider's variable).
const DefaultTokenEnv = "PROXMOX_VE_API_TOKEN" //nolint:gosec // the name of a variable, not a credential

// Config is .proxmox-mpc/config.yaml. It never holds a secret: ParseConfig
// and Init refuse secret-looking keys and values.
type Config struct {
	Name        string   `yaml:"name"`
	Endpoint    string   `yaml:"endpoint,omitempty"`
	Context     string   `yaml:"context,omitempty"`     // a named context of the user config instead of endpoint
	Fingerprint string   `yaml:"fingerprint,omitempty"` // pinned server certificate (trust on first use)
	CAFile      string   `yaml:"ca-file,omitempty"`
	Insecure    bool     `yaml:"insecure,omitempty"`
	Auth        Auth     `yaml:"auth,omitempty"`
	Defaults    Defaults `yaml:"defaults,omitempty"`
	State       State    `yaml:"state,omitempty"`
	Logs        Logs     `yaml:"logs,omitempty"`
}

// Logs tunes the log files in .proxmox-mpc/logs; zero values mean the
// defaults (10 MB per file, 14 days, 20 files).
type Logs struct {
	MaxSizeMB  int `yaml:"max-size-mb,omitempty"`  // rotate the current file past this size
	MaxAgeDays int `yaml:"max-age-days,omitempty"` // delete rotated files older than this
	MaxFiles   int `yaml:"max-files,omitempty"`    // keep at most this many rotated files
}

// Auth says where the credentials come from — never the credentials.
type Auth struct {
	TokenEnv   string `yaml:"token-env,omitempty"`   // env var holding USER@REALM!ID=SECRET (default PROXMOX_VE_API_TOKEN)
	TokenID    string `yaml:"token-id,omitempty"`    // with SecretFile
	Username   string `yaml:"username,omitempty"`    // ticket login; password from SecretFile or PROXMOX_VE_PASSWORD
	SecretFile string `yaml:"secret-file,omitempty"` // absolute path outside the workspace, mode 0600
}

// Defaults are what new guests get when a command does not say.
type Defaults struct {
	Node    string `yaml:"node,omitempty"`
	Storage string `yaml:"storage,omitempty"`
	Bridge  string `yaml:"bridge,omitempty"`
}

// State locates the state store.
type State struct {
	URL string `yaml:"url,omitempty"` // postgres://... for a shared store; "" = .proxmox-mpc/state.db
}

// TokenEnvName is the variable the API token comes from.
func (c *Config) TokenEnvName() string {
	if c.Auth.TokenEnv != "" {
		return c.Auth.TokenEnv
	}
	return DefaultTokenEnv
}

const maxConfigSize = 1 << 20

// LoadConfig reads and parses a workspace config file. Errors are
// *ParseError naming the file and line.
func LoadConfig(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("read workspace config: %w", err)
	}
	defer func() { _ = f.Close() }() // read only
	data, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return Config{}, fmt.Errorf("read workspace config: %w", err)
	}
	if len(data) > maxConfigSize {
		return Config{}, &ParseError{File: path, Msg: fmt.Sprintf("file is larger than %d bytes", maxConfigSize)}
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		var pe *ParseError
		if errors.As(err, &pe) {
			pe.File = path
			return Config{}, pe
		}
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// ParseConfig decodes and validates a workspace config. It is strict:
// unknown or repeated keys, more than one document, secret-looking keys
// (password, token, ...) and values (an API token "USER@REALM!ID=SECRET",
// "PVEAPIToken=...", a URL with a password) and invalid settings are
// *ParseError with the line. No error echoes a value from the file.
func ParseConfig(data []byte) (cfg Config, err error) {
	defer func() {
		// yaml.v3 has had panics on malformed input; never let one escape.
		if r := recover(); r != nil {
			cfg, err = Config{}, &ParseError{Msg: "invalid YAML"}
		}
	}()
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return Config{}, &ParseError{Msg: "the file is empty; it needs at least a name"}
		}
		return Config{}, yamlError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return Config{}, yamlError(err)
		}
		return Config{}, &ParseError{Line: extra.Line, Msg: "the file holds more than one YAML document"}
	}
	if line, msg, ok := findSecret(&doc, 0); ok {
		return Config{}, &ParseError{Line: line, Msg: msg}
	}
	if root := docRoot(&doc); root == nil || root.Kind != yaml.MappingNode {
		line := 0
		if root != nil {
			line = root.Line
		}
		return Config{}, &ParseError{Line: line, Msg: "the file must be a mapping with name, endpoint, auth, defaults, ..."}
	}
	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	if err := strict.Decode(&cfg); err != nil {
		return Config{}, yamlError(err)
	}
	if err := cfg.Validate(); err != nil {
		var ce *ConfigError
		if errors.As(err, &ce) {
			return Config{}, &ParseError{Line: lineOf(&doc, ce.Field), Msg: ce.Error()}
		}
		return Config{}, &ParseError{Msg: err.Error()}
	}
	return cfg, nil
}

func docRoot(doc *yaml.Node) *yaml.Node {
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return nil
		}
		return doc.Content[0]
	}
	return doc
}

// lineOf finds the line of a dotted key ("auth.secret-file") in doc.
func lineOf(doc *yaml.Node, field string) int {
	n := docRoot(doc)
	line := 0
	for part := range strings.SplitSeq(field, ".") {
		if n == nil || n.Kind != yaml.MappingNode {
			return line
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == part {
				line = n.Content[i].Line
				next = n.Content[i+1]
				break
			}
		}
		n = next
	}
	return line
}

var (
	yamlLineRE  = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	unknownRE   = regexp.MustCompile(`field (\S+) not found in type \S+`)
	backtickRE  = regexp.MustCompile("`[^`]*`")
	typeNamesRE = regexp.MustCompile(`into (?:workspace\.\w+|\S+)`)
)

// yamlError converts a yaml.v3 error into a *ParseError without values
// from the file (type errors quote them in backticks).
func yamlError(err error) *ParseError {
	var te *yaml.TypeError
	msgs := []string{err.Error()}
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msgs = te.Errors
	}
	msg := msgs[0]
	msg = unknownRE.ReplaceAllString(msg, `unknown key "$1"`)
	msg = backtickRE.ReplaceAllString(msg, "value")
	msg = typeNamesRE.ReplaceAllString(msg, "into the expected type")
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		var n int
		_, _ = fmt.Sscanf(m[1], "%d", &n)
		return &ParseError{Line: n, Msg: m[2]}
	}
	return &ParseError{Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

// keys of our own schema that contain a secret word but hold no secret.
var allowedKeys = map[string]bool{"token-env": true, "token-id": true, "secret-file": true}

// tokenValueRE is an API token with its secret, or the header form.
var tokenValueRE = regexp.MustCompile(`(?i)pveapitoken|pveauthcookie|[^\s@!=:]+@[A-Za-z0-9.\-_]+![A-Za-z0-9.\-_]+\s*[=:]\s*\S`)

// LooksSecretValue reports whether s looks like a credential: an API token
// with its secret ("USER@REALM!ID=SECRET", "PVEAPIToken=..."), a PVE
// ticket cookie, or a URL with a password.
func LooksSecretValue(s string) bool {
	if tokenValueRE.MatchString(s) {
		return true
	}
	if i := strings.Index(s, "://"); i > 0 {
		if u, err := url.Parse(strings.TrimSpace(s)); err == nil && u.User != nil {
			if _, ok := u.User.Password(); ok {
				return true
			}
		}
		if u, err := url.Parse(strings.TrimSpace(s)); err == nil {
			for k := range u.Query() {
				if userconfig.LooksSecret(k) {
					return true
				}
			}
		}
	}
	return false
}

// findSecret returns the line of the first secret-looking key or value.
func findSecret(n *yaml.Node, depth int) (int, string, bool) {
	if n == nil || depth > 64 {
		return 0, "", false
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind == yaml.ScalarNode && !allowedKeys[k.Value] && (userconfig.LooksSecret(k.Value) || LooksSecretValue(k.Value)) {
				return k.Line, "secrets are never stored in the workspace config; remove this key", true
			}
		}
	case yaml.ScalarNode:
		if LooksSecretValue(n.Value) {
			return n.Line, "this value looks like a secret (an API token, ticket or password); secrets are never stored in the workspace config", true
		}
	}
	for _, c := range n.Content {
		if line, msg, ok := findSecret(c, depth+1); ok {
			return line, msg, ok
		}
	}
	return 0, "", false
}

var (
	nameRE        = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)
	fingerprintRE = regexp.MustCompile(`^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){31}$`)
	envNameRE     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	tokenIDRE     = regexp.MustCompile(`^[^\s@!=:]+@[A-Za-z][A-Za-z0-9.\-_]*![A-Za-z][A-Za-z0-9.\-_]*$`)
	userRE        = regexp.MustCompile(`^[^\s@!=:]+@[A-Za-z][A-Za-z0-9.\-_]*$`)
)

// Validate checks the settings without touching the file system. Errors
// are *ConfigError and never echo a value that could be a secret.
func (c *Config) Validate() error {
	if !nameRE.MatchString(c.Name) {
		return &ConfigError{Field: "name", Problem: "must be 1-63 letters, digits or '-', starting and ending with a letter or digit"}
	}
	if c.Endpoint == "" && c.Context == "" {
		return &ConfigError{Field: "endpoint", Problem: "set endpoint (https://HOST:8006) or context"}
	}
	if c.Endpoint != "" && c.Context != "" {
		return &ConfigError{Field: "context", Problem: "set endpoint or context, not both"}
	}
	for field, v := range map[string]int{"logs.max-size-mb": c.Logs.MaxSizeMB, "logs.max-age-days": c.Logs.MaxAgeDays, "logs.max-files": c.Logs.MaxFiles} {
		if v < 0 || v > 100000 {
			return &ConfigError{Field: field, Problem: "must be between 0 (the default) and 100000"}
		}
	}
	if c.Endpoint != "" {
		if err := validateEndpoint(c.Endpoint); err != nil {
			return &ConfigError{Field: "endpoint", Problem: err.Error()}
		}
	}
	if c.Context != "" && !plainWord(c.Context) {
		return &ConfigError{Field: "context", Problem: "must not contain spaces or control characters"}
	}
	if c.Fingerprint != "" && !fingerprintRE.MatchString(c.Fingerprint) {
		return &ConfigError{Field: "fingerprint", Problem: "must be a SHA-256 fingerprint of 32 hex pairs like AA:BB:..."}
	}
	a := c.Auth
	switch {
	case a.TokenEnv != "" && !envNameRE.MatchString(a.TokenEnv):
		return &ConfigError{Field: "auth.token-env", Problem: "must be the NAME of an environment variable (letters, digits, '_'), not the token"}
	case a.TokenID != "" && !tokenIDRE.MatchString(a.TokenID):
		return &ConfigError{Field: "auth.token-id", Problem: "must be the token id only, like USER@REALM!TOKENID"}
	case a.Username != "" && !userRE.MatchString(a.Username):
		return &ConfigError{Field: "auth.username", Problem: "must look like USER@REALM (e.g. root@pam)"}
	case a.TokenID != "" && a.Username != "":
		return &ConfigError{Field: "auth.username", Problem: "set token-id or username, not both"}
	case a.TokenEnv != "" && (a.TokenID != "" || a.SecretFile != ""):
		return &ConfigError{Field: "auth.token-env", Problem: "set token-env, or token-id with secret-file, not both"}
	case a.TokenID != "" && a.SecretFile == "":
		return &ConfigError{Field: "auth.token-id", Problem: "needs secret-file (a 0600 file outside the workspace holding the token secret)"}
	case a.SecretFile != "" && a.TokenID == "" && a.Username == "":
		return &ConfigError{Field: "auth.secret-file", Problem: "needs token-id or username"}
	case a.SecretFile != "" && !filepath.IsAbs(a.SecretFile):
		return &ConfigError{Field: "auth.secret-file", Problem: "must be an absolute path (outside the workspace)"}
	}
	for _, d := range []struct{ field, v string }{
		{"defaults.node", c.Defaults.Node}, {"defaults.storage", c.Defaults.Storage}, {"defaults.bridge", c.Defaults.Bridge}, {"ca-file", c.CAFile},
	} {
		if d.v != "" && !plainWord(d.v) {
			return &ConfigError{Field: d.field, Problem: "must not contain spaces or control characters"}
		}
	}
	if err := validateStateURL(c.State.URL); err != nil {
		return &ConfigError{Field: "state.url", Problem: err.Error()}
	}
	return nil
}

func plainWord(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) < 0
}

// validateEndpoint checks for an https URL with a host and no credentials.
// Its messages never include the endpoint.
func validateEndpoint(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("is not a valid URL")
	}
	switch {
	case u.User != nil:
		return errors.New("must not contain a user or password")
	case u.Scheme != "https":
		return errors.New("must be an https:// URL")
	case u.Hostname() == "":
		return errors.New("has no host")
	case u.RawQuery != "" || u.Fragment != "":
		return errors.New("must not have a query or fragment")
	}
	return nil
}

func validateStateURL(s string) error {
	switch {
	case s == "":
		return nil
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		u, err := url.Parse(s)
		if err != nil {
			return errors.New("is not a valid postgres URL")
		}
		if _, ok := u.User.Password(); ok || u.Query().Has("password") {
			return errors.New("must not contain a password (use PGPASSWORD or ~/.pgpass)")
		}
		return nil
	case strings.HasPrefix(s, "sqlite:"):
		return nil
	case strings.Contains(s, "://"):
		return errors.New("must be postgres://..., sqlite:PATH or a file path")
	}
	if !plainWord(s) {
		return errors.New("must not contain spaces or control characters")
	}
	return nil
}

// marshalConfig encodes cfg with a header that says what never goes here.
func marshalConfig(cfg Config) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("# proxmox-mpc workspace config (see README.md). It never holds a secret:\n" +
		"# the API token comes from the environment variable auth.token-env\n" +
		"# (default " + DefaultTokenEnv + ") or a 0600 auth.secret-file outside this folder.\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(cfg); err != nil {
		return nil, fmt.Errorf("encode workspace config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode workspace config: %w", err)
	}
	return buf.Bytes(), nil
}

// ConfigPath is the config file of the workspace at root.
func ConfigPath(root string) string { return filepath.Join(root, Dir, ConfigFile) }

// Workspace is an opened workspace.
type Workspace struct {
	Root   string
	Config Config
	// Initialized: the folder was made a workspace by init (its config
	// exists). A bare .proxmox-mpc — the state a sync outside a workspace
	// leaves — holds state only: no code is generated into that folder.
	Initialized bool
}

// Open finds the workspace enclosing start (like git) and loads its
// config. It is a *NotFoundError when there is none. A workspace folder
// without a config (made by `sync` before `init`) opens with an empty
// Config named after the folder.
func Open(start string) (*Workspace, error) {
	root, ok, err := Find(start)
	if err != nil {
		return nil, err
	}
	if !ok {
		abs, aerr := filepath.Abs(start)
		if aerr != nil {
			abs = start
		}
		return nil, &NotFoundError{Start: abs}
	}
	cfg, err := LoadConfig(ConfigPath(root))
	if errors.Is(err, fs.ErrNotExist) {
		return &Workspace{Root: root, Config: Config{Name: NameFromDir(root)}}, nil
	}
	if err != nil {
		return nil, err
	}
	return &Workspace{Root: root, Config: cfg, Initialized: true}, nil
}

// NameFromDir turns a folder's base name into a valid workspace name:
// characters other than letters and digits become '-', runs of '-' are
// squeezed, and it is trimmed to 63. "workspace" when nothing is left.
func NameFromDir(dir string) string {
	base := filepath.Base(filepath.Clean(dir))
	var b strings.Builder
	dash := false
	for _, r := range base {
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
			dash = false
			continue
		}
		if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	s := b.String()
	if len(s) > 63 {
		s = s[:63]
	}
	s = strings.Trim(s, "-")
	if s == "" {
		return "workspace"
	}
	return s
}

// HistoryPath is the console history file.
func (w *Workspace) HistoryPath() string { return filepath.Join(w.Root, Dir, "history") }
