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
	m       *matcher // built on first use, then kept in step with secrets

	recording bool    // a run's first parse is being remembered (memo.go)
	rec       []event // what it did so far
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
		if c.m != nil {
			c.m.add(v)
		}
	}
}

// inMarkers reports whether v occurs inside some redaction marker.
func inMarkers(v string) bool {
	for i := 0; i < len(v); i++ {
		if !markerByte[v[i]] {
			return false // most values: a byte no marker has
		}
	}
	for _, m := range markerList {
		if strings.Contains(m, v) {
			return true
		}
	}
	return false
}

// markerByte marks the bytes of the redaction markers.
var markerByte = func() (t [256]bool) {
	for _, m := range markerList {
		for i := 0; i < len(m); i++ {
			t[m[i]] = true
		}
	}
	return t
}()

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
			c.m = newMatcher(c.secrets)
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
		return e.host(c, v)
	case TypeFQDN:
		return e.named(c, t, "domain", v)
	default:
		return e.named(c, TypeUser, "user", v) // user, email, and address types whose value did not parse
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

// isHostKey reports the (lower-cased) keys whose value is a host name.
func isHostKey(k []byte) bool {
	switch string(k) {
	case "host", "hostname", "node", "nodename", "node_name", "target_node",
		"server", "server_name", "servername", "fqdn", "ansible_host":
		return true
	}
	return false
}

// isUserKey reports the (lower-cased) keys whose value is a user name.
func isUserKey(k []byte) bool {
	switch string(k) {
	case "user", "username", "userid", "ansible_user", "ciuser", "login", "owner":
		return true
	}
	return false
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
	if len(lk) < 4 { // shorter than every word below and every host or user key
		return kindNone, ""
	}
	// rank: 0 nothing, then token < secret < ticket (the old order of
	// checks), and password, which ends the search
	rank := 0
	for i := 0; i < len(lk) && rank < rankPassword; i++ {
		if !secretStart[lk[i]] {
			continue
		}
		rest := lk[i:]
		switch lk[i] {
		case 'p':
			if hasPrefixB(rest, "password") || hasPrefixB(rest, "passwd") || hasPrefixB(rest, "passphrase") {
				rank = rankPassword
			} else if hasPrefixB(rest, "private_key") || hasPrefixB(rest, "privatekey") {
				rank = max(rank, rankSecret)
			}
		case 't':
			if hasPrefixB(rest, "ticket") {
				rank = max(rank, rankTicket)
			} else if hasPrefixB(rest, "token") && !isTokenID(rest) {
				rank = max(rank, rankToken)
			}
		case 'c':
			if hasPrefixB(rest, "cookie") {
				rank = max(rank, rankTicket)
			} else if hasPrefixB(rest, "credential") {
				rank = max(rank, rankSecret)
			} else if hasPrefixB(rest, "csrf") {
				rank = max(rank, rankToken)
			}
		case 's':
			if hasPrefixB(rest, "secret") {
				rank = max(rank, rankSecret)
			}
		case 'a':
			if hasPrefixB(rest, "apikey") || hasPrefixB(rest, "api_key") || hasPrefixB(rest, "api-key") ||
				(hasPrefixB(rest, "authorization") && len(rest) == len("authorization") && (i == 0 || lk[i-1] == '-')) {
				rank = max(rank, rankToken)
			}
		}
	}
	if rank > 0 {
		return kindSecret, rankTypes[rank]
	}
	if isHostKey(lk) {
		return kindHost, TypeHost
	}
	if isUserKey(lk) {
		return kindUser, TypeUser
	}
	return kindNone, ""
}

// The secret types a key can name, weakest first: a key naming two keeps
// the stronger (ticket > secret > token), as the old order of checks did;
// password wins at once.
const (
	rankToken = 1 + iota
	rankSecret
	rankTicket
	rankPassword
)

var rankTypes = [...]Type{rankToken: TypeToken, rankSecret: TypeSecret, rankTicket: TypeTicket, rankPassword: TypePassword}

// secretStart marks the first letters of the words classifyKey looks for.
var secretStart = [256]bool{'p': true, 't': true, 'c': true, 's': true, 'a': true}

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

func isIdent(c byte) bool { return identByte[c] }

var identByte = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = isAlnum(byte(c)) || c == '_' || c == '-' || c == '.'
	}
	return t
}()

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

// kvByte marks the bytes keyValues stops at.
var kvByte = [256]bool{':': true, '=': true, '!': true, '-': true}

func (e *Engine) keyValues(s string, c *call) string {
	var out strings.Builder
	changed := false
	last := 0
	emit := func(a, z int, r string) {
		if z <= last {
			return // inside what an earlier match already replaced
		}
		a = max(a, last) // overlapping an earlier match: replace the rest
		if !changed {
			out.Grow(outCap(len(s)))
			changed = true
		}
		out.WriteString(s[last:a])
		out.WriteString(r)
		last = z
	}
	for i := 0; i < len(s); i++ {
		if !kvByte[s[i]] {
			continue
		}
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
	if !changed {
		return s
	}
	out.WriteString(s[last:])
	return out.String()
}

// outCap is the room reserved for the rewrite of an n-byte text:
// pseudonyms and markers are mostly longer than what they replace.
func outCap(n int) int { return n + n/4 + 64 }

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
		r, ok := e.hostValue(c, v)
		if !ok {
			return i // not a name: the rest is scanned as usual
		}
		emit(vs, ve, r)
	case kindUser:
		r, ok := e.userValue(c, v)
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
func (e *Engine) hostValue(c *call, v string) (string, bool) {
	if !e.on(TypeHost) || !isNameLikeDots(v) || !hasLetter(v) || len(v) > 253 ||
		isPseudo(v) || genericNames[strings.ToLower(v)] || e.allowed(v) {
		return "", false
	}
	if strings.Contains(v, ".") {
		return e.memoized(&e.fqdnMemo, v, c, func() (string, bool) { return e.fqdn(c, v, true) })
	}
	return e.host(c, v), true
}

// userValue anonymizes the value of a user key ("user=alice").
func (e *Engine) userValue(c *call, v string) (string, bool) {
	if !e.on(TypeUser) || !isNameLikeDots(v) || !hasLetter(v) || len(v) > 64 ||
		isPseudo(v) || genericNames[strings.ToLower(v)] || e.allowed(v) {
		return "", false
	}
	return e.named(c, TypeUser, "user", v), true
}

func isTicketChar(c byte) bool {
	return ticketChar[c]
}

var ticketChar = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = isAlnum(byte(c)) || strings.IndexByte("@.:_!+/=%-", byte(c)) >= 0
	}
	return t
}()

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

// matcher finds any of a set of values quickly: a table of first bytes,
// then the candidates for that byte grouped by length, longest first. It
// grows in place (add), so a call that keeps finding secrets never
// rebuilds it.
type matcher struct {
	idx    [256]uint16 // 1 + index in groups of the values starting with the byte; 0: none
	groups [][]mgroup
	firsts []byte // the bytes idx knows, in the order first seen
	typ    map[string]Type
}

// mgroup holds the values of one length (and first byte). Two of them can
// never match at the same position, so their order does not matter.
type mgroup struct {
	n    int
	vals []string
}

// bigGroup is the size from which a group is probed with one map look-up
// rather than a comparison per value.
const bigGroup = 4

func newMatcher(vals map[string]Type) *matcher {
	m := &matcher{typ: vals}
	for v := range vals {
		m.add(v)
	}
	return m
}

// add puts v (already in m.typ) among the candidates.
func (m *matcher) add(v string) {
	if len(v) < 2 {
		return
	}
	k := m.idx[v[0]]
	if k == 0 {
		m.groups = append(m.groups, nil)
		m.firsts = append(m.firsts, v[0])
		k = uint16(len(m.groups))
		m.idx[v[0]] = k
	}
	gs := m.groups[k-1]
	i := 0
	for i < len(gs) && gs[i].n > len(v) {
		i++
	}
	if i < len(gs) && gs[i].n == len(v) {
		gs[i].vals = append(gs[i].vals, v)
		return
	}
	m.groups[k-1] = slices.Insert(gs, i, mgroup{n: len(v), vals: []string{v}})
}

// at returns the longest value at s[i:] that does not touch a pseudonym.
func (m *matcher) at(s string, i int) (string, bool) {
	k := m.idx[s[i]]
	if k == 0 {
		return "", false
	}
	for _, g := range m.groups[k-1] {
		if g.n > len(s)-i {
			continue
		}
		w := s[i : i+g.n]
		if len(g.vals) >= bigGroup {
			if _, ok := m.typ[w]; !ok {
				continue
			}
		} else if !slices.Contains(g.vals, w) {
			continue
		}
		if !overlapsPseudo(s, i, i+g.n) {
			return w, true
		}
	}
	return "", false
}

func blockMatcher(vals []string) *matcher {
	mv := make(map[string]Type, len(vals))
	for _, v := range vals {
		mv[v] = TypeBlocked
	}
	return newMatcher(mv)
}

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
	for i := l; i < r; {
		if !isTokenChar(s[i]) {
			i++
			continue
		}
		j := i + 1
		for j < r && isTokenChar(s[j]) {
			j++
		}
		if i < z && j > a && isPseudo(s[i:j]) { // a pseudonym the match overlaps, not one it only touches
			return true
		}
		i = j
	}
	return false
}

// skipper finds the next of a few bytes ('[' and the first bytes of a
// small matcher) with the vectorised IndexByte, remembering each byte's
// next position so that no stretch of text is searched twice for it.
type skipper struct {
	stops [4]byte
	pos   [4]int
	n     int
}

func (k *skipper) init(firsts []byte) {
	k.n = copy(k.stops[:], firsts)
	k.stops[k.n] = '['
	k.n++
	for j := range k.pos {
		k.pos[j] = -1
	}
}

// next returns the first position from i holding one of the bytes, or len(s).
func (k *skipper) next(s string, i int) int {
	best := len(s)
	for j := 0; j < k.n; j++ {
		if k.pos[j] < i {
			k.pos[j] = len(s)
			if p := strings.IndexByte(s[i:], k.stops[j]); p >= 0 {
				k.pos[j] = i + p
			}
		}
		best = min(best, k.pos[j])
	}
	return best
}

// maskAll replaces every occurrence of m's values outside markers and
// pseudonyms with the marker of their type.
func (e *Engine) maskAll(s string, m *matcher, c *call) string {
	var out strings.Builder
	changed := false
	last := 0
	var sk skipper
	fast := len(m.firsts) < len(sk.stops)
	if fast {
		sk.init(m.firsts)
	}
	for i := 0; i+1 < len(s); i++ {
		ch := s[i]
		if fast {
			if i = sk.next(s, i); i+1 >= len(s) {
				break
			}
			ch = s[i]
		} else if m.idx[ch] == 0 && ch != '[' {
			continue
		}
		if ch == '[' && strings.HasPrefix(s[i:], "[REDACTED:") {
			if k := strings.IndexByte(s[i:], ']'); k > 0 {
				i += k
				continue
			}
		}
		v, ok := m.at(s, i)
		if !ok {
			continue
		}
		if !changed {
			out.Grow(outCap(len(s)))
			changed = true
		}
		out.WriteString(s[last:i])
		out.WriteString(e.secret(c, m.typ[v], v))
		last = i + len(v)
		i = last - 1
	}
	if !changed {
		return s
	}
	out.WriteString(s[last:])
	return out.String()
}
