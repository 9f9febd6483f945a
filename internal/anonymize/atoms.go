package anonymize

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net/netip"
	"strconv"
	"strings"
)

// The atom scanner cuts text into runs of [A-Za-z0-9._:@-] and classifies
// each run by the cheap facts gathered while cutting it (a digit, a dot, a
// colon, an '@'); only then does it parse addresses or look up names.

const (
	clsDigit uint8 = 1 << iota
	clsDot
	clsColon
	clsAt
	clsDash
	clsUpper
)

// atomClass is 0 for bytes outside atoms; atom bytes carry their class bits
// plus 0x80.
var atomClass = func() (t [256]uint8) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = 0x80
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = 0x80 | clsUpper
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = 0x80 | clsDigit
	}
	t['_'] = 0x80
	t['.'] = 0x80 | clsDot
	t[':'] = 0x80 | clsColon
	t['@'] = 0x80 | clsAt
	t['-'] = 0x80 | clsDash
	return t
}()

// trimByte marks the bytes atom trims from both ends of a run.
var trimByte = [256]bool{'.': true, ':': true, '-': true, '_': true, '@': true}

func (e *Engine) atoms(s string, c *call) string {
	var out strings.Builder
	changed := false
	last := 0
	for i := 0; i < len(s); {
		if atomClass[s[i]] == 0 {
			if s[i] == '[' && strings.HasPrefix(s[i:], "[REDACTED:") {
				if k := strings.IndexByte(s[i:], ']'); k > 0 {
					i += k + 1
					continue
				}
			}
			i++
			continue
		}
		j := i
		var f uint8
		for j < len(s) && atomClass[s[j]] != 0 {
			f |= atomClass[s[j]]
			j++
		}
		if f&(clsDigit|clsDot|clsColon|clsAt|clsDash) == 0 && (len(e.known) == 0 || j-i < e.knownMin || j-i > e.knownMax) {
			i = j
			continue
		}
		if f&(clsDot|clsColon|clsAt) == 0 && j-i < 17 && !e.mayHoldKnown(s[i:j]) {
			i = j // no address, UUID or MAC fits, and no known name starts in it
			continue
		}
		var r string
		var ok bool
		if f&(clsDot|clsColon|clsAt) != 0 {
			r, ok = e.memoAtom(s[i:j], c) // addresses, names, times: worth remembering
		} else {
			r, ok = e.atom(s[i:j], c)
		}
		if ok {
			if !changed {
				out.Grow(outCap(len(s)))
				changed = true
			}
			out.WriteString(s[last:i])
			out.WriteString(r)
			last = j
		}
		i = j
	}
	if !changed {
		return s
	}
	out.WriteString(s[last:])
	return out.String()
}

// atom anonymizes one run; ok is false when it stays as it is.
func (e *Engine) atom(a string, c *call) (string, bool) {
	lo, hi := 0, len(a)
	for lo < hi && trimByte[a[lo]] {
		lo++
	}
	for hi > lo && trimByte[a[hi-1]] {
		hi--
	}
	core := a[lo:hi]
	if core == "" || isPseudo(core) {
		return "", false
	}
	// the first '@' or ':' decides: user@realm… or a:b…
	sep := byte(0)
	for i := 0; i < len(core); i++ {
		if c := core[i]; c == '@' || c == ':' {
			sep = c
			break
		}
	}
	var r string
	var ok bool
	switch sep {
	case '@':
		r, ok = e.atAtom(core, c)
	case ':':
		r, ok = e.colonAtom(core, c)
	default:
		r, ok = e.word(core, c)
	}
	if !ok {
		return "", false
	}
	return a[:lo] + r + a[hi:], true
}

// atAtom handles local@rest: user@realm, an e-mail, user@host.
func (e *Engine) atAtom(a string, c *call) (string, bool) {
	i := indexByte(a, '@')
	local, rest := a[:i], a[i+1:]
	if e.allowed(a) {
		return "", false
	}
	head, tail := rest, ""
	if k := strings.IndexAny(rest, ":@"); k >= 0 {
		head, tail = rest[:k], rest[k:]
	}
	changed := false
	// the part after '@'
	nh, dotted := head, indexByte(head, '.') >= 0
	switch {
	case head == "" || isPseudo(head):
	case dotted:
		if addr, err := parseIPv4(head); err == nil && addr.Is4() {
			if r, ok := e.ipv4(c, addr, head); ok {
				nh, changed = r, true
			}
		} else if r, ok := e.emailDomain(c, head); ok {
			nh, changed = r, true
		}
	case e.isKnown(head):
		if e.on(TypeHost) && !e.allowed(head) {
			nh, changed = e.host(c, head), true
		}
	case isNameLike(head) && hasLetter(head) && !genericNames[strings.ToLower(head)] && e.on(TypeUser) && !e.allowed(head):
		nh, changed = e.named(c, TypeUser, "realm", head), true
	}
	// the part before it
	nl := local
	if local != "" && !isPseudo(local) && !genericNames[strings.ToLower(local)] && !e.allowed(local) {
		t := TypeUser
		if dotted {
			t = TypeEmail
		}
		if e.on(t) {
			nl, changed = e.named(c, t, "user", local), true
		}
	}
	nt := tail
	if tail != "" {
		if r, ok := e.atom(tail, c); ok {
			nt, changed = r, true
		}
	}
	if !changed {
		return "", false
	}
	return nl + "@" + nh + nt, true
}

// colonAtom handles runs with a colon: MAC, IPv6, host:port, a:b:c.
func (e *Engine) colonAtom(a string, c *call) (string, bool) {
	if len(a) == 17 && isMAC(a) {
		return e.macAddr(c, a)
	}
	if strings.Count(a, ":") >= 2 && isHexColonDot(a) {
		if addr, err := netip.ParseAddr(a); err == nil {
			return e.ipv6(c, addr, a)
		}
	}
	return e.perPart(a, ':', func(part string) (string, bool) { return e.atom(part, c) })
}

// perPart rewrites the parts of w between sep bytes through fn; it
// allocates only once a part changes.
func (e *Engine) perPart(w string, sep byte, fn func(string) (string, bool)) (string, bool) {
	var b strings.Builder
	changed := false
	start := 0
	for {
		end := len(w)
		if k := indexByte(w[start:], sep); k >= 0 {
			end = start + k
		}
		part := w[start:end]
		r, ok := "", false
		if part != "" {
			r, ok = fn(part)
		}
		switch {
		case ok:
			if !changed {
				b.Grow(len(w) + 16)
				b.WriteString(w[:start])
				changed = true
			}
			b.WriteString(r)
		case changed:
			b.WriteString(part)
		}
		if end == len(w) {
			break
		}
		if changed {
			b.WriteByte(sep)
		}
		start = end + 1
	}
	if !changed {
		return "", false
	}
	return b.String(), true
}

func isHexColonDot(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isHex(c) && c != ':' && c != '.' {
			return false
		}
	}
	return true
}

// word handles a run without ':' or '@'.
func (e *Engine) word(w string, c *call) (string, bool) {
	if isPseudo(w) {
		return "", false
	}
	if len(w) >= 36 && countByte(w, '-') >= 4 {
		if r, ok := e.uuids(w, c); ok {
			return r, true
		}
	}
	if indexByte(w, '.') >= 0 {
		if isDigitsDots(w) {
			if addr, err := parseIPv4(w); err == nil && addr.Is4() {
				return e.ipv4(c, addr, w)
			}
			return "", false
		}
		if r, ok := e.fqdn(c, w, false); ok {
			return r, true
		}
		// dotted but no domain (file.conf, v1.2.3): known names per label
		if len(e.known) == 0 {
			return "", false
		}
		return e.perPart(w, '.', func(l string) (string, bool) { return e.knownSub(c, l) })
	}
	if len(w) == 17 && isMAC(w) {
		return e.macAddr(c, w)
	}
	return e.knownSub(c, w)
}

// errNotIPv4 is parseIPv4's answer for what cannot be a dotted quad.
var errNotIPv4 = errors.New("not an IPv4 address")

// parseIPv4 is netip.ParseAddr for s without ':' (so only a dotted quad
// can parse), rejecting without allocating what has no three dots or
// holds anything but digits and dots.
func parseIPv4(s string) (netip.Addr, error) {
	if !isDigitsDots(s) || countByte(s, '.') != 3 {
		return netip.Addr{}, errNotIPv4
	}
	return netip.ParseAddr(s)
}

// indexByte is strings.IndexByte for the short strings of atoms, where a
// plain loop beats the call into the vectorised search.
func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func countByte(s string, c byte) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			n++
		}
	}
	return n
}

func isDigitsDots(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && c != '.' {
			return false
		}
	}
	return true
}

// isKnown reports whether s (any case) is a known name.
func (e *Engine) isKnown(s string) bool {
	if len(e.known) == 0 || len(s) < e.knownMin || len(s) > e.knownMax || !e.knownFirst[s[0]] || !e.knownLast[s[len(s)-1]] {
		return false
	}
	var buf [256]byte
	if len(s) > len(buf) {
		return false
	}
	l := buf[:len(s)]
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		l[i] = c
	}
	return e.known[string(l)]
}

// mayHoldKnown reports whether a known name could start in run: at its
// start or after a '-' or '_' (the only places knownSub looks).
func (e *Engine) mayHoldKnown(run string) bool {
	if len(e.known) == 0 {
		return false
	}
	if e.knownFirst[run[0]] {
		return true
	}
	for k := 1; k < len(run); k++ {
		if (run[k-1] == '-' || run[k-1] == '_') && e.knownFirst[run[k]] {
			return true
		}
	}
	return false
}

// knownSub replaces the known names in w that stand between '-' and '_'
// boundaries (web-01-backup -> host-3f9a2c-backup), longest first.
func (e *Engine) knownSub(c *call, w string) (string, bool) {
	if len(e.known) == 0 || !e.on(TypeHost) || len(w) < e.knownMin {
		return "", false
	}
	if e.isKnown(w) {
		if e.allowed(w) {
			return "", false
		}
		return e.host(c, w), true
	}
	if indexByte(w, '-') < 0 && indexByte(w, '_') < 0 {
		return "", false
	}
	// part boundaries
	const maxParts = 16
	starts := make([]int, 0, maxParts)
	ends := make([]int, 0, maxParts)
	st := 0
	for i := 0; i <= len(w); i++ {
		if i == len(w) || w[i] == '-' || w[i] == '_' {
			starts, ends = append(starts, st), append(ends, i)
			st = i + 1
		}
	}
	n := len(starts)
	if n > maxParts {
		return "", false
	}
	var b strings.Builder
	last := 0
	for i := 0; i < n; i++ {
		if i+1 < n && isPseudoPair(w[starts[i]:ends[i]], w[starts[i+1]:ends[i+1]]) {
			i++
			continue
		}
		if starts[i] >= len(w) || !e.knownFirst[w[starts[i]]] {
			continue // no known name starts here
		}
		for j := n - 1; j >= i; j-- {
			sub := w[starts[i]:ends[j]]
			if sub == "" || !e.isKnown(sub) || e.allowed(sub) {
				continue
			}
			b.WriteString(w[last:starts[i]])
			b.WriteString(e.host(c, sub))
			last = ends[j]
			i = j
			break
		}
	}
	if last == 0 {
		return "", false
	}
	b.WriteString(w[last:])
	return b.String(), true
}

func isPseudoPair(a, b string) bool {
	switch a {
	case "host", "user", "domain", "realm":
		return len(b) >= 6 && isLowerHex(b)
	}
	return false
}

// --- domains --------------------------------------------------------------

// tlds are the last labels that make a dotted name a domain name; file
// extensions that are also country codes (.sh .py .md .pl .rs .tf) are left out.
var tlds = map[string]bool{
	"com": true, "net": true, "org": true, "edu": true, "gov": true, "mil": true, "int": true, "io": true, "dev": true,
	"de": true, "uk": true, "fr": true, "nl": true, "be": true, "ch": true, "at": true, "it": true, "es": true, "se": true,
	"no": true, "dk": true, "fi": true, "cz": true, "eu": true, "us": true, "ca": true, "au": true, "nz": true, "jp": true,
	"cn": true, "ru": true, "br": true, "co": true, "me": true, "tv": true, "xyz": true, "cloud": true, "tech": true,
	"online": true, "site": true, "biz": true, "arpa": true, "network": true, "systems": true, "zone": true, "ovh": true,
	"local": true, "lan": true, "home": true, "internal": true, "localdomain": true, "intranet": true, "corp": true,
	"private": true, "example": true, "lab": true, "test": true, "invalid": true,
}

// fileExts are file-name extensions a host-named file may carry in the
// workspace (terraform/web_01.tf, logs/pve1.log): never a domain label.
var fileExts = map[string]bool{
	"tf": true, "hcl": true, "tfvars": true, "tftest": true, "yml": true, "yaml": true, "json": true, "log": true,
	"txt": true, "md": true, "sh": true, "conf": true, "cfg": true, "ini": true, "j2": true, "bak": true,
}

// localTLDs mark private names: "nas.local" is a host, "acme.com" a domain.
var localTLDs = map[string]bool{
	"local": true, "lan": true, "home": true, "internal": true, "localdomain": true, "intranet": true,
	"corp": true, "private": true, "lab": true, "arpa": true,
}

// publicDomains are kept as they are: they name vendors, not the user.
var publicDomains = []string{
	"proxmox.com", "debian.org", "ubuntu.com", "github.com", "githubusercontent.com", "terraform.io",
	"opentofu.org", "hashicorp.com", "ansible.com", "golang.org", "go.dev", "example.com", "example.org", "example.net",
}

func isPublic(l string) bool {
	for _, d := range publicDomains {
		if l == d || (strings.HasSuffix(l, d) && l[len(l)-len(d)-1] == '.') {
			return true
		}
	}
	return false
}

// splitDomain checks w is made of host-name labels and splits off a known TLD.
func splitDomain(w string) (labels []string, tld string, ok bool) {
	labels = strings.Split(w, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || !isNameLike(l) {
			return nil, "", false
		}
	}
	if t := labels[len(labels)-1]; tlds[t] {
		return labels[:len(labels)-1], t, true
	}
	return labels, "", true
}

// maybeDomain is fqdn's test for a name without force, done without
// allocating: w is made of host-name labels and ends in a known TLD, lies
// in a known domain, or starts with a known name. fqdn declines whatever
// fails it (most dotted words: file names, versions, times).
func (e *Engine) maybeDomain(w string) bool {
	start, first, lastStart := 0, "", 0
	for {
		end := len(w)
		if k := indexByte(w[start:], '.'); k >= 0 {
			end = start + k
		}
		l := w[start:end]
		if l == "" || len(l) > 63 || !isNameLike(l) {
			return false
		}
		if start == 0 {
			first = l
		}
		lastStart = start
		if end == len(w) {
			break
		}
		start = end + 1
	}
	if tlds[w[lastStart:]] {
		return lastStart > 0 // a bare TLD has no labels left
	}
	return e.knownDomainFold(w) || e.isKnown(first)
}

// knownDomainFold is knownDomain of the lower-cased ASCII name w.
func (e *Engine) knownDomainFold(w string) bool {
	for _, d := range e.domains {
		if len(w) < len(d) || !equalFoldASCII(w[len(w)-len(d):], d) {
			continue
		}
		if len(w) == len(d) || w[len(w)-len(d)-1] == '.' {
			return true
		}
	}
	return false
}

// equalFoldASCII reports whether a, lower-cased, equals the lower-case b.
func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		c := a[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != b[i] {
			return false
		}
	}
	return true
}

// isKnownDomainExact reports whether l is one of the known domains itself.
func (e *Engine) isKnownDomainExact(l string) bool {
	for _, d := range e.domains {
		if l == d {
			return true
		}
	}
	return false
}

func (e *Engine) knownDomain(l string) bool {
	for _, d := range e.domains {
		if l == d || (strings.HasSuffix(l, d) && len(l) > len(d) && l[len(l)-len(d)-1] == '.') {
			return true
		}
	}
	return false
}

// fqdn anonymizes a domain name: its first label as a host (sharing the
// bare host's pseudonym), the labels between as one domain, the TLD kept:
// web-01.lab.example.com -> host-3f9a2c.domain-1b2c3d.com. force treats w
// as a name even without a known TLD.
func (e *Engine) fqdn(c *call, w string, force bool) (string, bool) {
	if !e.on(TypeFQDN) || !hasLetter(w) || !force && !e.maybeDomain(w) {
		return "", false
	}
	l := strings.ToLower(w)
	if e.allowed(w) || isPublic(l) {
		return "", false
	}
	labels, tld, ok := splitDomain(w)
	if !ok || len(labels) == 0 {
		return "", false
	}
	if tld == "" && len(labels) == 2 && fileExts[strings.ToLower(labels[1])] {
		// web_01.tf is a file named after a host, not a domain: mask the
		// host, keep the extension; a file not named after one is kept.
		if !e.isKnown(labels[0]) {
			return "", false
		}
		labels, tld = labels[:1], labels[1]
	}
	if !force && tld == "" && !e.knownDomain(l) && !e.isKnown(labels[0]) {
		return "", false
	}
	if tld != "" && !hasLetter(tld) {
		return "", false
	}
	host, dom := "", ""
	switch {
	case e.isKnownDomainExact(l):
		dom = strings.Join(labels, ".")
	case len(labels) == 1 && (localTLDs[tld] || e.isKnown(labels[0]) || tld == ""):
		host = labels[0]
	case len(labels) == 1:
		dom = labels[0]
	default:
		host, dom = labels[0], strings.Join(labels[1:], ".")
	}
	var b strings.Builder
	changed := false
	if host != "" {
		if isPseudo(host) || !hasLetter(host) && dom == "" {
			b.WriteString(host)
		} else {
			b.WriteString(e.host(c, host))
			changed = true
		}
	}
	if dom != "" {
		if host != "" {
			b.WriteByte('.')
		}
		if allPseudo(dom) {
			b.WriteString(dom)
		} else {
			b.WriteString(e.named(c, TypeFQDN, "domain", dom))
			changed = true
		}
	}
	if tld != "" {
		b.WriteByte('.')
		b.WriteString(tld)
	}
	return b.String(), changed
}

func allPseudo(dom string) bool {
	for {
		l, rest, more := strings.Cut(dom, ".")
		if !isPseudo(l) {
			return false
		}
		if !more {
			return true
		}
		dom = rest
	}
}

// emailDomain anonymizes the domain of an e-mail address as one domain:
// alice@example.com -> domain-1b2c3d.com (the same pseudonym as the domain
// part of web-01.example.com).
func (e *Engine) emailDomain(c *call, d string) (string, bool) {
	if !e.on(TypeFQDN) || !hasLetter(d) {
		return "", false
	}
	l := strings.ToLower(d)
	if e.allowed(d) || isPublic(l) {
		return "", false
	}
	labels, tld, ok := splitDomain(d)
	if !ok || len(labels) == 0 {
		return "", false
	}
	dom := strings.Join(labels, ".")
	if allPseudo(dom) {
		return "", false
	}
	r := e.named(c, TypeFQDN, "domain", dom)
	if tld != "" {
		r += "." + tld
	}
	return r, true
}

// --- addresses ------------------------------------------------------------

// ipv4 maps an address into 240.0.0.0/5, one pseudo /24 per real /24, the
// last octet kept. Unroutable, loopback, netmask-like (255.x) and the
// pseudo range itself stay.
func (e *Engine) ipv4(c *call, addr netip.Addr, lit string) (string, bool) {
	b := addr.As4()
	if !e.on(TypeIPv4) || b[0] == 0 || b[0] == 127 || b[0] == 255 || (b[0] >= 224 && b[0] <= 247) || e.allowed(lit) {
		return "", false
	}
	if p, ok := e.cached(c, TypeIPv4, lit); ok {
		return p, true
	}
	p := e.v4subnet([3]byte{b[0], b[1], b[2]})
	buf := make([]byte, 0, 15)
	for i, x := range [4]byte{p[0], p[1], p[2], b[3]} {
		if i > 0 {
			buf = append(buf, '.')
		}
		buf = strconv.AppendUint(buf, uint64(x), 10)
	}
	return e.record(c, TypeIPv4, lit, string(buf)), true
}

// ipv6 maps an address into 2001:db8::/32, one pseudo /64 per real /64;
// small interface ids (::1, ::2) are kept, others hashed.
func (e *Engine) ipv6(c *call, addr netip.Addr, lit string) (string, bool) {
	if addr.Is4() || addr.Zone() != "" {
		return "", false
	}
	if addr.Is4In6() {
		r, ok := e.ipv4(c, addr.Unmap(), addr.Unmap().String())
		if !ok {
			return "", false
		}
		return lit[:strings.LastIndexByte(lit, ':')+1] + r, true
	}
	b := addr.As16()
	if !e.on(TypeIPv6) || addr.IsLoopback() || addr.IsUnspecified() || addr.IsMulticast() ||
		(b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) || e.allowed(lit) {
		return "", false
	}
	if p, ok := e.cached(c, TypeIPv6, lit); ok {
		return p, true
	}
	var n [8]byte
	copy(n[:], b[:8])
	p := e.v6prefix(n)
	var o [16]byte
	copy(o[:8], p[:])
	if binary.BigEndian.Uint64(b[8:]) < 1<<16 {
		copy(o[8:], b[8:])
	} else {
		copy(o[8:], e.mac(TypeIPv6, "iid\x00"+string(b[:]))[:8])
	}
	a := netip.AddrFrom16(o)
	long := a.StringExpanded()
	return e.record(c, TypeIPv6, lit, a.String(), long, strings.ToUpper(a.String()), strings.ToUpper(long)), true
}

func isMAC(s string) bool {
	sep := s[2]
	if sep != ':' && sep != '-' {
		return false
	}
	for i := 0; i < 17; i++ {
		if i%3 == 2 {
			if s[i] != sep {
				return false
			}
		} else if !isHex(s[i]) {
			return false
		}
	}
	return true
}

// macAddr maps a MAC to 02:a0:xx:xx:xx:xx (locally administered), keeping
// its separator and case; broadcast and zero MACs stay.
func (e *Engine) macAddr(c *call, s string) (string, bool) {
	l := strings.ToLower(s)
	if !e.on(TypeMAC) || l == "ff:ff:ff:ff:ff:ff" || l == "00:00:00:00:00:00" || l == "ff-ff-ff-ff-ff-ff" ||
		l == "00-00-00-00-00-00" || strings.HasPrefix(l[3:], "a0") && l[:2] == "02" || e.allowed(s) {
		return "", false
	}
	if p, ok := e.cached(c, TypeMAC, s); ok {
		return p, true
	}
	sep := string(s[2])
	h := hex.EncodeToString(e.mac(TypeMAC, strings.ReplaceAll(l, "-", ":"))[:4])
	out := "02" + sep + "a0" + sep + h[0:2] + sep + h[2:4] + sep + h[4:6] + sep + h[6:8]
	other := strings.ToUpper(out)
	if strings.ToUpper(s) == s && strings.ToLower(s) != s {
		out, other = other, out
	}
	return e.record(c, TypeMAC, s, out, other), true
}

// uuids masks the UUIDs in w (standing between non-alphanumerics).
func (e *Engine) uuids(w string, c *call) (string, bool) {
	var b strings.Builder
	last := 0
	for i := 0; i+36 <= len(w); i++ {
		if (i > 0 && isAlnum(w[i-1])) || (i+36 < len(w) && isAlnum(w[i+36])) || !isUUID(w[i:i+36]) {
			continue
		}
		u := w[i : i+36]
		if u == "00000000-0000-0000-0000-000000000000" || !e.on(TypeUUID) || e.allowed(u) {
			continue
		}
		b.WriteString(w[last:i])
		b.WriteString(e.secret(c, TypeUUID, u))
		last = i + 36
		i = last - 1
	}
	if last == 0 {
		return "", false
	}
	b.WriteString(w[last:])
	return b.String(), true
}

func isUUID(s string) bool {
	for i := 0; i < 36; i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !isHex(s[i]) {
				return false
			}
		}
	}
	return true
}
