// Package anonymize replaces the sensitive values in text, logs, JSON, YAML
// and HCL — addresses, host names, users, tokens, passwords, keys — with
// consistent, readable pseudonyms (host-3f9a2c, 240.17.3.5) or irreversible
// [REDACTED:type] markers, so a text can be shown to an AI assistant and its
// answer turned back into real names with Reverse. It is a leaf package.
//
// Pseudonyms are keyed HMAC-SHA256 of type and value under a per-workspace
// key, so they are the same across runs. Relationships survive: addresses of
// one /24 (IPv4) or /64 (IPv6) share one pseudo-subnet, a host and its FQDN
// share the host pseudonym, and the same value always gets the same
// pseudonym. Pseudonyms are chosen so the engine never matches them again:
// Text(Text(x)) == Text(x).
package anonymize

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"sync"
)

// KeySize is the length of keys made by NewKey, and the least New accepts.
const KeySize = 32

// ErrShortKey is returned by New for a key shorter than KeySize.
var ErrShortKey = errors.New("anonymize key shorter than 32 bytes")

// NewKey returns a fresh random key for a workspace.
func NewKey() ([]byte, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("anonymize key: %w", err)
	}
	return k, nil
}

// Known lists the names the workspace knows (nodes, guests, storages,
// pools) and its DNS domains; they are anonymized wherever they appear as a
// whole word, even without a recognisable shape.
type Known struct {
	Hosts   []string
	Domains []string
}

// Engine anonymizes text. It is safe for concurrent use; its pseudonym
// table grows with every new value and is what Mapping exports.
type Engine struct {
	key      []byte
	disabled map[Type]bool
	allow    map[string]bool
	allowSfx []string // from "*.suffix" allow entries, stored as ".suffix"
	block    []string
	blockM   *matcher
	patterns []compiled
	known    map[string]bool // lower-cased known names (and their _ variants)
	knownMin int
	knownMax int
	// first and last bytes (either case) of the known names: most words
	// are rejected by these before any lower-casing or map look-up.
	knownFirst [256]bool
	knownLast  [256]bool
	domains    []string // lower-cased known domains

	mu     sync.Mutex
	fwd    map[fwdKey]string // (prefix, real) -> pseudonym
	rev    map[string]string // pseudonym -> real (reversible types only)
	used   map[string]bool   // every pseudonym handed out
	counts map[Type]int
	v4net  map[[3]byte][3]byte
	v4used map[[3]byte]bool
	v6net  map[[8]byte][8]byte
	v6used map[[8]byte]bool

	atomMemo memoTable // what atoms made of the runs seen (memo.go)
	fqdnMemo memoTable // what hostValue made of the FQDNs seen

	onMatch func(Type, string) // test hook: every value a rule matched
}

type fwdKey struct{ prefix, real string }

type compiled struct {
	re  *regexp.Regexp
	typ Type
}

// genericNames are names too common to identify anyone; a Known list that
// holds them (PVE's default storages, the default node name) keeps them.
var genericNames = map[string]bool{
	"local": true, "local-lvm": true, "local-zfs": true, "local-btrfs": true, "localhost": true,
	"pve": true, "pam": true, "root": true, "data": true, "default": true, "none": true,
}

// New builds an engine from a key (at least KeySize bytes), rules and the
// workspace's known names.
func New(key []byte, rules Rules, known Known) (*Engine, error) {
	if len(key) < KeySize {
		return nil, ErrShortKey
	}
	e := &Engine{
		key:      append([]byte(nil), key...),
		disabled: map[Type]bool{},
		allow:    map[string]bool{},
		known:    map[string]bool{},
		fwd:      map[fwdKey]string{},
		rev:      map[string]string{},
		used:     map[string]bool{},
		counts:   map[Type]int{},
		v4net:    map[[3]byte][3]byte{},
		v4used:   map[[3]byte]bool{},
		v6net:    map[[8]byte][8]byte{},
		v6used:   map[[8]byte]bool{},
	}
	for _, t := range rules.Disabled {
		if !t.Valid() {
			return nil, fmt.Errorf("anonymize: disabled type %q: %w", t, errUnknownType)
		}
		e.disabled[t] = true
	}
	for _, a := range rules.Allow {
		if sfx, ok := strings.CutPrefix(a, "*."); ok {
			e.allowSfx = append(e.allowSfx, "."+strings.ToLower(sfx))
			continue
		}
		e.allow[a] = true
	}
	for _, b := range rules.Block {
		if len(b) < minBlockLen || blockProblem(b) != "" {
			return nil, fmt.Errorf("anonymize: block value %q: %w", b, errBadBlock)
		}
		e.block = append(e.block, b)
	}
	if len(e.block) > 0 {
		e.blockM = blockMatcher(e.block)
	}
	for _, p := range rules.Patterns {
		if !p.Type.Valid() {
			return nil, fmt.Errorf("anonymize: pattern %q type %q: %w", p.Name, p.Type, errUnknownType)
		}
		re, err := compilePattern(p)
		if err != nil {
			return nil, fmt.Errorf("anonymize: %w", err)
		}
		e.patterns = append(e.patterns, compiled{re: re, typ: p.Type})
	}
	for _, h := range known.Hosts {
		l := strings.ToLower(strings.TrimSpace(h))
		if len(l) < 2 || genericNames[l] || isPseudo(l) || !hasLetter(l) || !isNameLike(l) {
			continue
		}
		e.addKnown(l)
		if strings.Contains(l, "-") {
			e.addKnown(strings.ReplaceAll(l, "-", "_")) // terraform identifiers: web-01 -> web_01
		}
	}
	for _, d := range known.Domains {
		l := strings.Trim(strings.ToLower(strings.TrimSpace(d)), ".")
		if l != "" {
			e.domains = append(e.domains, l)
		}
	}
	return e, nil
}

var (
	errUnknownType = errors.New("unknown type")
	errBadBlock    = errors.New("too short, or would match the redaction markers")
)

func (e *Engine) addKnown(l string) {
	e.known[l] = true
	f, z := l[0], l[len(l)-1] // l is lower-case ASCII (isNameLike)
	e.knownFirst[f], e.knownFirst[upper(f)] = true, true
	e.knownLast[z], e.knownLast[upper(z)] = true, true
	if e.knownMin == 0 || len(l) < e.knownMin {
		e.knownMin = len(l)
	}
	e.knownMax = max(e.knownMax, len(l))
}

func isNameLike(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// isNameLikeDots is isNameLike of s with its dots removed.
func isNameLikeDots(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

// Counts returns the replacements made so far, per type.
func (e *Engine) Counts() map[Type]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return maps.Clone(e.counts)
}

// Mapping returns pseudonym → real value for every reversible replacement
// made so far (never secrets), for the reverse-map export.
func (e *Engine) Mapping() map[string]string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return maps.Clone(e.rev)
}

func (e *Engine) on(t Type) bool { return !e.disabled[t] }

// allowed reports whether v is on the allowlist (exactly, or under an
// allowed "*.domain").
func (e *Engine) allowed(v string) bool {
	if e.allow[v] {
		return true
	}
	if len(e.allowSfx) == 0 {
		return false
	}
	l := strings.ToLower(v)
	for _, s := range e.allowSfx {
		if strings.HasSuffix(l, s) || l == s[1:] {
			return true
		}
	}
	return false
}

func (e *Engine) mac(typ Type, v string) []byte {
	m := hmac.New(sha256.New, e.key)
	m.Write([]byte(typ))
	m.Write([]byte{0})
	m.Write([]byte(v))
	return m.Sum(nil)
}

// count records one replacement of a value of type t.
func (e *Engine) count(c *call, t Type, real string, kind eventKind) {
	c.note(kind, t, real, "")
	e.mu.Lock()
	e.counts[t]++
	e.mu.Unlock()
	if e.onMatch != nil {
		e.onMatch(t, real)
	}
}

// secret records a masked secret and returns its marker.
func (e *Engine) secret(c *call, t Type, real string) string {
	e.count(c, t, real, evSecret)
	c.addSecret(t, real)
	return marker(t)
}

// named returns the pseudonym prefix-<hex> of real (type t), extending the
// hex on a collision, and records it in the reverse map.
func (e *Engine) named(c *call, t Type, prefix, real string) string {
	c.note(evCount, t, real, "")
	if e.onMatch != nil {
		e.onMatch(t, real)
	}
	fk := fwdKey{prefix, real}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.counts[t]++
	if p, ok := e.fwd[fk]; ok {
		return p
	}
	sum := hex.EncodeToString(e.mac(Type(prefix), real))
	p := ""
	for n := 6; n <= len(sum); n += 2 {
		p = prefix + "-" + sum[:n]
		if !e.used[p] {
			break
		}
	}
	e.fwd[fk] = p
	e.used[p] = true
	e.rev[p] = real
	return p
}

// host is the pseudonym of a host name; a name with underscores whose
// dashed form is known shares the dashed name's pseudonym (web_01 ->
// host_3f9a2c when web-01 -> host-3f9a2c).
func (e *Engine) host(c *call, real string) string {
	if strings.Contains(real, "_") {
		dashed := strings.ReplaceAll(real, "_", "-")
		if e.known[strings.ToLower(dashed)] {
			p := strings.ReplaceAll(e.named(c, TypeHost, "host", dashed), "-", "_")
			c.note(evRev, "", real, p)
			e.mu.Lock()
			e.rev[p] = real
			e.used[p] = true
			e.mu.Unlock()
			return p
		}
	}
	return e.named(c, TypeHost, "host", real)
}

// cached returns the pseudonym already given to an address literal.
func (e *Engine) cached(c *call, t Type, lit string) (string, bool) {
	e.mu.Lock()
	p, ok := e.fwd[fwdKey{string(t), lit}]
	if ok {
		e.counts[t]++
	}
	e.mu.Unlock()
	if ok {
		c.note(evCount, t, lit, "")
	}
	if ok && e.onMatch != nil {
		e.onMatch(t, lit)
	}
	return p, ok
}

// record stores a pseudo address for the literal real (reversible). When
// another spelling of the same address (fe80::1, FE80:0::1) already holds
// the first form, the next free form is used, so that Reverse stays exact.
func (e *Engine) record(c *call, t Type, real string, forms ...string) string {
	e.count(c, t, real, evCount)
	e.mu.Lock()
	defer e.mu.Unlock()
	pseudo := forms[0]
	for _, f := range forms {
		if r, ok := e.rev[f]; !ok || r == real {
			pseudo = f
			break
		}
	}
	if _, ok := e.rev[pseudo]; !ok {
		e.rev[pseudo] = real
	}
	e.fwd[fwdKey{string(t), real}] = pseudo
	return pseudo
}

// v4subnet maps a real /24 to a pseudo /24 in 240.0.0.0/5 (reserved, never
// routed), unique per real subnet.
func (e *Engine) v4subnet(n [3]byte) [3]byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	if p, ok := e.v4net[n]; ok {
		return p
	}
	sum := e.mac(TypeIPv4, string(n[:]))
	var p [3]byte
	for i := 0; ; i++ {
		x := binary.BigEndian.Uint32(sum[(i%7)*4:]) + uint32(i/7)
		p = [3]byte{240 + byte(x>>16)&7, byte(x >> 8), byte(x)}
		if !e.v4used[p] || i > 1<<20 {
			break
		}
	}
	e.v4net[n] = p
	e.v4used[p] = true
	return p
}

// v6prefix maps a real /64 to a pseudo /64 in 2001:db8::/32 (documentation).
func (e *Engine) v6prefix(n [8]byte) [8]byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	if p, ok := e.v6net[n]; ok {
		return p
	}
	sum := e.mac(TypeIPv6, string(n[:]))
	var p [8]byte
	for i := 0; ; i++ {
		x := binary.BigEndian.Uint32(sum[(i%7)*4:]) + uint32(i/7)
		p = [8]byte{0x20, 0x01, 0x0d, 0xb8}
		binary.BigEndian.PutUint32(p[4:], x)
		if !e.v6used[p] || i > 1<<20 {
			break
		}
	}
	e.v6net[n] = p
	e.v6used[p] = true
	return p
}

// pseudoPrefixes start every named pseudonym; isPseudo recognises them.
var pseudoPrefixes = []string{"host-", "host_", "user-", "domain-", "realm-"}

// isPseudo reports whether s is exactly a named pseudonym (host-3f9a2c).
func isPseudo(s string) bool {
	if len(s) < 11 || (s[0] != 'h' && s[0] != 'u' && s[0] != 'd' && s[0] != 'r') {
		return false
	}
	for _, p := range pseudoPrefixes {
		if rest, ok := strings.CutPrefix(s, p); ok {
			return len(rest) >= 6 && isLowerHex(rest)
		}
	}
	return false
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func isAlnum(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

func isLetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

func hasLetter(s string) bool {
	for i := 0; i < len(s); i++ {
		if isLetter(s[i]) {
			return true
		}
	}
	return false
}
