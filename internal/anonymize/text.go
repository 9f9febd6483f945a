package anonymize

import (
	"slices"
	"strings"
)

// Text anonymizes plain text: log lines, HCL, config files, error reports.
func (e *Engine) Text(s string) string {
	return e.text(s, &call{})
}

// call carries what one Text/JSON/YAML call has learnt: the secret values
// it masked, so that their other occurrences are masked too.
type call struct {
	secrets map[string]Type
	m       *matcher // built lazily from secrets
}

// minEcho is the shortest secret whose other occurrences are masked too:
// shorter values would hit unrelated words.
const minEcho = 8

func (c *call) addSecret(t Type, v string) {
	if len(v) < minEcho || strings.ContainsAny(v, "[]\n") || inMarkers(v) {
		return
	}
	if c.secrets == nil {
		c.secrets = map[string]Type{}
	}
	if _, ok := c.secrets[v]; !ok {
		c.secrets[v] = t
		c.m = nil
	}
}

// inMarkers reports whether v occurs inside some redaction marker.
func inMarkers(v string) bool {
	for _, t := range Types() {
		if strings.Contains(marker(t), v) {
			return true
		}
	}
	return false
}

func (e *Engine) text(s string, c *call) string {
	if len(e.block) > 0 && e.on(TypeBlocked) {
		s = e.maskAll(s, e.blockM, c)
	}
	if strings.Contains(s, "PRIVATE KEY") && e.on(TypeSSHKey) {
		s = e.privateKeys(s, c)
	}
	if len(e.patterns) > 0 {
		s = e.custom(s, c)
	}
	if strings.Contains(s, "AAAA") && e.on(TypeSSHKey) {
		s = e.sshKeys(s, c)
	}
	if strings.Contains(s, "://") && e.on(TypeURLCreds) {
		s = e.urlCreds(s, c)
	}
	s = e.keyValues(s, c)
	if len(c.secrets) > 0 {
		if c.m == nil {
			c.m = secretMatcher(c.secrets)
		}
		s = e.maskAll(s, c.m, c)
	}
	return e.atoms(s, c)
}

// --- private keys -------------------------------------------------------

// privateKeys masks "-----BEGIN … PRIVATE KEY-----" blocks up to their END
// line (or to the end of s when the END is missing).
func (e *Engine) privateKeys(s string, c *call) string {
	var b strings.Builder
	last, pos := 0, 0
	for {
		i := strings.Index(s[pos:], "-----BEGIN ")
		if i < 0 {
			break
		}
		i += pos
		hdr := i + len("-----BEGIN ")
		j := strings.Index(s[hdr:], "-----")
		if j < 0 || !strings.HasSuffix(s[hdr:hdr+j], "PRIVATE KEY") || strings.ContainsAny(s[hdr:hdr+j], "\n") {
			pos = hdr
			continue
		}
		end := len(s)
		if k := strings.Index(s[hdr+j:], "-----END "); k >= 0 {
			k += hdr + j + len("-----END ")
			if m := strings.Index(s[k:], "-----"); m >= 0 {
				end = k + m + len("-----")
			}
		}
		b.WriteString(s[last:i])
		b.WriteString(e.secret(c, TypeSSHKey, s[i:end]))
		last, pos = end, end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// --- custom patterns ----------------------------------------------------

func (e *Engine) custom(s string, c *call) string {
	for _, p := range e.patterns {
		if !e.on(p.typ) {
			continue
		}
		idx := p.re.FindAllStringSubmatchIndex(s, -1)
		if idx == nil {
			continue
		}
		var b strings.Builder
		last := 0
		for _, m := range idx {
			a, z := m[0], m[1]
			if len(m) >= 4 && m[2] >= 0 {
				a, z = m[2], m[3]
			}
			v := s[a:z]
			if a < last || v == "" || isPseudo(v) || e.allowed(v) || inMarkerAt(s, a) || strings.Contains(v, "[REDACTED:") {
				continue
			}
			b.WriteString(s[last:a])
			b.WriteString(e.replaceAs(c, p.typ, v))
			last = z
		}
		if last > 0 {
			b.WriteString(s[last:])
			s = b.String()
		}
	}
	return s
}

// replaceAs anonymizes v as a value of type t (custom patterns).
func (e *Engine) replaceAs(c *call, t Type, v string) string {
	if t.IsSecret() {
		return e.secret(c, t, v)
	}
	if r, ok := e.atom(v, c); ok && !strings.Contains(r, v) {
		return r
	}
	switch t {
	case TypeHost:
		return e.host(v)
	case TypeFQDN:
		return e.named(t, "domain", v)
	default:
		return e.named(TypeUser, "user", v) // user, email, and address types whose value did not parse
	}
}

// inMarkerAt reports whether position i of s lies inside a [REDACTED:…] marker.
func inMarkerAt(s string, i int) bool {
	lo := max(0, i-len("[REDACTED:url-credentials]"))
	j := strings.LastIndex(s[lo:i+1], "[REDACTED:")
	if j < 0 {
		return false
	}
	return !strings.Contains(s[lo+j:i], "]")
}

// --- SSH public keys ----------------------------------------------------

// sshBlobPrefixes are the base64 openings of the OpenSSH key types.
var sshBlobPrefixes = []string{"AAAAC3NzaC1", "AAAAB3NzaC1", "AAAAE2VjZHNh", "AAAAGnNrLX", "AAAAInNrLW"}

func isB64(c byte) bool { return isAlnum(c) || c == '+' || c == '/' || c == '=' }

// b64End returns the end of the base64 run at i, counting the URL-encoded
// forms %2B, %2F and %3D (PVE stores sshkeys URL-encoded).
func b64End(s string, i int) int {
	for i < len(s) {
		switch {
		case isB64(s[i]):
			i++
		case s[i] == '%' && i+2 < len(s) && (s[i+1:i+3] == "2B" || s[i+1:i+3] == "2F" || s[i+1:i+3] == "3D"):
			i += 3
		default:
			return i
		}
	}
	return i
}

func (e *Engine) sshKeys(s string, c *call) string {
	var b strings.Builder
	last, pos := 0, 0
	for {
		i := strings.Index(s[pos:], "AAAA")
		if i < 0 {
			break
		}
		i += pos
		pos = i + 4
		urlEnc := i >= 3 && s[i-3:i] == "%20"
		if i > 0 && isB64(s[i-1]) && !urlEnc {
			continue
		}
		end := b64End(s, i)
		if end-i < 40 {
			pos = end
			continue
		}
		start := i
		// the key type before it: "ssh-ed25519 AAAA…" or "ssh-rsa%20AAAA…"
		t := i - 1
		if urlEnc {
			t = i - 3
		}
		if t >= 0 && (s[t] == ' ' || urlEnc) {
			w := t
			for w > 0 && (isAlnum(s[w-1]) || s[w-1] == '-' || s[w-1] == '@' || s[w-1] == '.') {
				w--
			}
			if word := s[w:t]; strings.HasPrefix(word, "ssh-") || strings.HasPrefix(word, "ecdsa-") || strings.HasPrefix(word, "sk-") {
				start = t // keep the type, mask from the separator on
			}
		}
		if start == i && !hasAnyPrefix(s[i:], sshBlobPrefixes) {
			pos = end
			continue
		}
		// the comment after it, one token: "alice@laptop" or "alice%40laptop"
		cend := end
		switch {
		case cend < len(s) && s[cend] == ' ':
			cend = commentEnd(s, cend+1)
		case strings.HasPrefix(s[cend:], "%20"):
			cend = commentEnd(s, cend+3)
		}
		b.WriteString(s[last:start])
		if start != i {
			b.WriteByte(' ')
		}
		b.WriteString(e.secret(c, TypeSSHKey, s[i:end]))
		last, pos = cend, cend
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func commentEnd(s string, i int) int {
	for i < len(s) {
		switch ch := s[i]; {
		case ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '"' || ch == '\'' || ch == ',' || ch == '\\' || ch == '[' || ch == ']':
			return i
		case ch == '%' && (strings.HasPrefix(s[i:], "%0A") || strings.HasPrefix(s[i:], "%20")):
			return i
		}
		i++
	}
	return i
}

func hasAnyPrefix(s string, ps []string) bool {
	for _, p := range ps {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// --- URLs with credentials ---------------------------------------------

func (e *Engine) urlCreds(s string, c *call) string {
	var b strings.Builder
	last, pos := 0, 0
	for {
		i := strings.Index(s[pos:], "://")
		if i < 0 {
			break
		}
		a := pos + i + 3
		pos = a
		z := a
		for z < len(s) && !strings.ContainsRune("/ \t\r\n\"'<>?#`", rune(s[z])) {
			z++
		}
		at := strings.LastIndexByte(s[a:z], '@')
		if at <= 0 {
			continue
		}
		ui := s[a : a+at]
		if strings.HasPrefix(ui, "[REDACTED:") || e.allowed(ui) {
			continue
		}
		if _, pw, ok := strings.Cut(ui, ":"); ok {
			c.addSecret(TypeURLCreds, pw)
		}
		b.WriteString(s[last:a])
		b.WriteString(e.secret(c, TypeURLCreds, ui))
		last = a + at
		pos = last
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// --- key=value secrets --------------------------------------------------

type keyKind uint8

const (
	kindNone keyKind = iota
	kindSecret
	kindHost
	kindUser
)

var hostKeys = map[string]bool{
	"host": true, "hostname": true, "node": true, "nodename": true, "node_name": true, "target_node": true,
	"server": true, "server_name": true, "servername": true, "fqdn": true, "ansible_host": true,
}

var userKeys = map[string]bool{
	"user": true, "username": true, "userid": true, "ansible_user": true, "ciuser": true, "login": true, "owner": true,
}

// classifyKey tells what the value of key k holds: a secret (and of which
// type), a host name, a user name, or nothing special.
func classifyKey(k string) (keyKind, Type) {
	if len(k) > 64 || len(k) < 3 {
		return kindNone, ""
	}
	var buf [64]byte
	n := 0
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c == '-' && n == 0 {
			continue // --flag
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[n] = c
		n++
	}
	lk := buf[:n]
	var found Type
	for i := 0; i < len(lk) && found != TypePassword; i++ {
		rest := lk[i:]
		switch lk[i] {
		case 'p':
			if hasPrefixB(rest, "password") || hasPrefixB(rest, "passwd") || hasPrefixB(rest, "passphrase") {
				found = TypePassword
			} else if hasPrefixB(rest, "private_key") || hasPrefixB(rest, "privatekey") {
				found = pick(found, TypeSecret)
			}
		case 't':
			if hasPrefixB(rest, "ticket") {
				found = pick(found, TypeTicket)
			} else if hasPrefixB(rest, "token") && !isTokenID(rest) {
				found = pick(found, TypeToken)
			}
		case 'c':
			if hasPrefixB(rest, "cookie") {
				found = pick(found, TypeTicket)
			} else if hasPrefixB(rest, "credential") {
				found = pick(found, TypeSecret)
			} else if hasPrefixB(rest, "csrf") {
				found = pick(found, TypeToken)
			}
		case 's':
			if hasPrefixB(rest, "secret") {
				found = pick(found, TypeSecret)
			}
		case 'a':
			if hasPrefixB(rest, "apikey") || hasPrefixB(rest, "api_key") || hasPrefixB(rest, "api-key") ||
				(hasPrefixB(rest, "authorization") && len(rest) == len("authorization") && (i == 0 || lk[i-1] == '-')) {
				found = pick(found, TypeToken)
			}
		}
	}
	if found != "" {
		return kindSecret, found
	}
	if hostKeys[string(lk)] {
		return kindHost, TypeHost
	}
	if userKeys[string(lk)] {
		return kindUser, TypeUser
	}
	return kindNone, ""
}

// pick keeps the stronger of two secret types (ticket > secret > token),
// as the old order of checks did.
func pick(old, t Type) Type {
	if secretRank(t) > secretRank(old) {
		return t
	}
	return old
}

func secretRank(t Type) int {
	switch t {
	case TypeToken:
		return 1
	case TypeSecret:
		return 2
	case TypeTicket:
		return 3
	}
	return 0
}

func hasPrefixB(b []byte, p string) bool { return len(b) >= len(p) && string(b[:len(p)]) == p }

// isTokenID reports "tokenid", "token_id", "token-id", "token_name" at the
// end of a key: names of tokens, not secrets.
func isTokenID(rest []byte) bool {
	switch string(rest) {
	case "tokenid", "token_id", "token-id", "token_name":
		return true
	}
	return false
}

// wholeLineKey reports keys whose unquoted value runs to the end of the
// line (an Authorization header holds "PVEAPIToken=…" or "Bearer …").
func wholeLineKey(k string) bool {
	l := strings.ToLower(k)
	return l == "authorization" || strings.HasSuffix(l, "-authorization") || strings.HasSuffix(l, "cookie")
}

func isIdent(c byte) bool { return isAlnum(c) || c == '_' || c == '-' || c == '.' }

// keyBefore returns the key that ends at separator i: `key=`, `"key":`,
// `key = `, `\"key\":`.
func keyBefore(s string, i int) (int, int) {
	j := i
	if s[i] == '=' {
		for n := 0; n < 3 && j > 0 && (s[j-1] == ' ' || s[j-1] == '\t'); n++ {
			j--
		}
	}
	if j > 0 && (s[j-1] == '"' || s[j-1] == '\'') {
		j--
		if j > 0 && s[j-1] == '\\' {
			j--
		}
	}
	ke := j
	for j > 0 && ke-j < 64 && isIdent(s[j-1]) {
		j--
	}
	return j, ke
}

// atLineStart reports whether only indentation or "- " precede position i
// on its line (a YAML mapping key).
func atLineStart(s string, i int) bool {
	for i > 0 {
		switch s[i-1] {
		case ' ', '\t', '-':
			i--
		case '\n':
			return true
		default:
			return false
		}
	}
	return true
}

func isValueDelim(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', ',', ';', '&', '"', '\'', ')', '}', ']', '>', '<', '\\', '`':
		return true
	}
	return false
}

// valueAfter returns the value after separator i: quoted, escaped-quoted,
// to the end of the line, or up to a delimiter.
func valueAfter(s string, i int, wholeLine bool) (int, int) {
	j := i + 1
	for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
		j++
	}
	if j >= len(s) {
		return j, j
	}
	switch q := s[j]; {
	case q == '"' || q == '\'':
		k := j + 1
		for k < len(s) && s[k] != q && s[k] != '\n' {
			if s[k] == '\\' && q == '"' && k+1 < len(s) && s[k+1] != '\n' {
				k++
			}
			k++
		}
		return j + 1, min(k, len(s))
	case q == '\\' && j+1 < len(s) && s[j+1] == '"':
		k := strings.Index(s[j+2:], `\"`)
		if k < 0 {
			return j + 2, j + 2
		}
		return j + 2, j + 2 + k
	case q == '{' || q == '[' || q == '|' || q == '>':
		return j, j
	}
	k := j
	if wholeLine {
		for k < len(s) && s[k] != '\n' && s[k] != '\r' && s[k] != '"' && s[k] != '\'' && s[k] != '`' && !strings.HasPrefix(s[k:], " #") {
			k++
		}
		for k > j && (s[k-1] == ' ' || s[k-1] == '\t') {
			k--
		}
		return j, k
	}
	for k < len(s) && !isValueDelim(s[k]) {
		k++
	}
	return j, k
}

// keepValue lists values under secret keys that are not secrets.
func keepValue(v string) bool {
	switch v {
	case "null", "true", "false", "none", "~", "nil", "0", "1":
		return true
	}
	return strings.HasPrefix(v, "[REDACTED:") || strings.HasPrefix(v, "var.") || strings.HasPrefix(v, "local.")
}

func (e *Engine) keyValues(s string, c *call) string {
	var out []byte
	last := 0
	emit := func(a, z int, r string) {
		if out == nil {
			out = make([]byte, 0, len(s)+64)
		}
		out = append(out, s[last:a]...)
		out = append(out, r...)
		last = z
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ':':
			if end := ticketAt(s, i); end > 0 {
				if e.on(TypeTicket) && !e.allowed(s[i-3:end]) {
					emit(i-3, end, e.secret(c, TypeTicket, s[i-3:end]))
				}
				i = end - 1
				continue
			}
			if end := csrfAt(s, i); end > 0 {
				if e.on(TypeToken) && !e.allowed(s[i-8:end]) {
					emit(i-8, end, e.secret(c, TypeToken, s[i-8:end]))
				}
				i = end - 1
				continue
			}
			i = e.keyValue(s, i, c, emit)
		case '=':
			i = e.keyValue(s, i, c, emit)
		case '!':
			if vs, ve := apiTokenAt(s, i); ve > vs {
				if v := s[vs:ve]; e.on(TypeToken) && !keepValue(v) && !e.allowed(v) {
					emit(vs, ve, e.secret(c, TypeToken, v))
				}
				i = ve - 1
			}
		case '-':
			if i+1 < len(s) && s[i+1] == '-' && (i == 0 || !isIdent(s[i-1])) {
				i = e.flagValue(s, i, c, emit)
			}
		}
	}
	if out == nil {
		return s
	}
	out = append(out, s[last:]...)
	return string(out)
}

// keyValue handles the separator at i; it returns the index to go on from.
func (e *Engine) keyValue(s string, i int, c *call, emit func(int, int, string)) int {
	ks, ke := keyBefore(s, i)
	if ke-ks < 3 {
		return i
	}
	key := s[ks:ke]
	kind, typ := classifyKey(key)
	if kind == kindNone {
		return i
	}
	whole := kind == kindSecret && (wholeLineKey(key) || (s[i] == ':' && atLineStart(s, ks) && ke == i))
	vs, ve := valueAfter(s, i, whole)
	if ve <= vs {
		return i
	}
	v := s[vs:ve]
	switch kind {
	case kindSecret:
		if keepValue(v) || e.allowed(v) || !e.on(typ) {
			return ve - 1
		}
		emit(vs, ve, e.secret(c, typ, v))
	case kindHost:
		r, ok := e.hostValue(v)
		if !ok {
			return i // not a name: the rest is scanned as usual
		}
		emit(vs, ve, r)
	case kindUser:
		r, ok := e.userValue(v)
		if !ok {
			return i
		}
		emit(vs, ve, r)
	}
	return ve - 1
}

// flagValue handles "--password VALUE" at i.
func (e *Engine) flagValue(s string, i int, c *call, emit func(int, int, string)) int {
	j := i + 2
	for j < len(s) && isIdent(s[j]) {
		j++
	}
	if j >= len(s) || s[j] != ' ' {
		return i + 1
	}
	kind, typ := classifyKey(s[i+2 : j])
	if kind != kindSecret || !e.on(typ) {
		return i + 1
	}
	vs, ve := valueAfter(s, j, false)
	if ve <= vs || s[vs] == '-' {
		return i + 1
	}
	v := s[vs:ve]
	if keepValue(v) || e.allowed(v) {
		return ve - 1
	}
	emit(vs, ve, e.secret(c, typ, v))
	return ve - 1
}

// hostValue anonymizes the value of a host key ("node=pve1").
func (e *Engine) hostValue(v string) (string, bool) {
	if !e.on(TypeHost) || !isNameLike(strings.ReplaceAll(v, ".", "")) || !hasLetter(v) || len(v) > 253 ||
		isPseudo(v) || genericNames[strings.ToLower(v)] || e.allowed(v) {
		return "", false
	}
	if strings.Contains(v, ".") {
		return e.fqdn(v, true)
	}
	return e.host(v), true
}

// userValue anonymizes the value of a user key ("user=alice").
func (e *Engine) userValue(v string) (string, bool) {
	if !e.on(TypeUser) || !isNameLike(strings.ReplaceAll(v, ".", "")) || !hasLetter(v) || len(v) > 64 ||
		isPseudo(v) || genericNames[strings.ToLower(v)] || e.allowed(v) {
		return "", false
	}
	return e.named(TypeUser, "user", v), true
}

func isTicketChar(c byte) bool {
	return isAlnum(c) || strings.IndexByte("@.:_!+/=%-", c) >= 0
}

// ticketAt matches a PVE ticket "PVE:user@realm:HEX::signature" whose
// first colon is at i; it returns the ticket's end or 0.
func ticketAt(s string, i int) int {
	if i < 3 || s[i-3:i] != "PVE" || (i > 3 && isAlnum(s[i-4])) {
		return 0
	}
	k := i + 1
	for k < len(s) && isTicketChar(s[k]) {
		k++
	}
	t := s[i+1 : k]
	if !strings.Contains(t, "@") || !strings.Contains(t, "::") {
		return 0
	}
	return k
}

// csrfAt matches a CSRF prevention token "64E10CBA:base64…" whose colon is
// at i; it returns the token's end or 0.
func csrfAt(s string, i int) int {
	if i < 8 || (i > 8 && isAlnum(s[i-9])) {
		return 0
	}
	for k := i - 8; k < i; k++ {
		if !isHex(s[k]) {
			return 0
		}
	}
	k := i + 1
	for k < len(s) && isB64(s[k]) {
		k++
	}
	if k-i-1 < 20 {
		return 0
	}
	return k
}

// apiTokenAt matches "user@realm!tokenid=SECRET" with the '!' at i and
// returns SECRET's span.
func apiTokenAt(s string, i int) (int, int) {
	j := i
	at := false
	for j > 0 && (isIdent(s[j-1]) || s[j-1] == '@') {
		if s[j-1] == '@' {
			at = true
		}
		j--
	}
	if !at || j == i {
		return 0, 0
	}
	k := i + 1
	for k < len(s) && isIdent(s[k]) {
		k++
	}
	if k == i+1 || k >= len(s) || s[k] != '=' {
		return 0, 0
	}
	vs := k + 1
	ve := vs
	for ve < len(s) && !isValueDelim(s[ve]) {
		ve++
	}
	return vs, ve
}

// --- masking every occurrence of known values --------------------------

// matcher finds any of a set of values quickly: a table of first byte
// pairs, then the candidates for that pair, longest first.
type matcher struct {
	first map[uint16][]string
	pair  [1 << 16 / 64]uint64
	typ   map[string]Type
}

func newMatcher(vals map[string]Type) *matcher {
	m := &matcher{first: map[uint16][]string{}, typ: vals}
	for v := range vals {
		if len(v) < 2 {
			continue
		}
		k := uint16(v[0])<<8 | uint16(v[1])
		m.pair[k/64] |= 1 << (k % 64)
		m.first[k] = append(m.first[k], v)
	}
	for k, vs := range m.first {
		slices.SortFunc(vs, func(a, b string) int {
			if len(a) != len(b) {
				return len(b) - len(a)
			}
			return strings.Compare(a, b)
		})
		m.first[k] = vs
	}
	return m
}

func blockMatcher(vals []string) *matcher {
	mv := make(map[string]Type, len(vals))
	for _, v := range vals {
		mv[v] = TypeBlocked
	}
	return newMatcher(mv)
}

func secretMatcher(vals map[string]Type) *matcher { return newMatcher(vals) }

func isTokenChar(c byte) bool { return isAlnum(c) || c == '-' || c == '_' }

// overlapsPseudo reports whether s[a:z] touches a pseudonym token.
func overlapsPseudo(s string, a, z int) bool {
	l := a
	for l > 0 && isTokenChar(s[l-1]) {
		l--
	}
	r := z
	for r < len(s) && isTokenChar(s[r]) {
		r++
	}
	for _, tok := range strings.FieldsFunc(s[l:r], func(r rune) bool { return r > 127 || !isTokenChar(byte(r)) }) {
		if isPseudo(tok) {
			return true
		}
	}
	return false
}

// maskAll replaces every occurrence of m's values outside markers and
// pseudonyms with the marker of their type.
func (e *Engine) maskAll(s string, m *matcher, c *call) string {
	var out []byte
	last := 0
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '[' && strings.HasPrefix(s[i:], "[REDACTED:") {
			if k := strings.IndexByte(s[i:], ']'); k > 0 {
				i += k
				continue
			}
		}
		k := uint16(s[i])<<8 | uint16(s[i+1])
		if m.pair[k/64]&(1<<(k%64)) == 0 {
			continue
		}
		for _, v := range m.first[k] {
			if !strings.HasPrefix(s[i:], v) || overlapsPseudo(s, i, i+len(v)) {
				continue
			}
			if out == nil {
				out = make([]byte, 0, len(s))
			}
			out = append(out, s[last:i]...)
			out = append(out, e.secret(c, m.typ[v], v)...)
			last = i + len(v)
			i = last - 1
			break
		}
	}
	if out == nil {
		return s
	}
	out = append(out, s[last:]...)
	return string(out)
}
