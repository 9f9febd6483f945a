package observe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
)

// Redacted replaces every secret Redact removes.
const Redacted = "[REDACTED]"

// secretKeys are attribute keys (lower case) whose values are always secret.
var secretKeys = map[string]bool{
	"password": true, "passwd": true, "pass": true, "cipassword": true,
	"secret": true, "token": true, "api_token": true, "apitoken": true,
	"ticket": true, "cookie": true, "set-cookie": true, "authorization": true,
	"private_key": true, "privatekey": true, "client_secret": true, "otp": true,
}

// IsSecretKey reports whether an attribute (or JSON/YAML) key names a
// secret: password, passwd, secret, token, api_token, ticket, csrf*,
// cookie, authorization, cipassword and their *_password, *_secret,
// *_token forms, case-insensitively.
func IsSecretKey(key string) bool {
	k := strings.ToLower(key)
	if secretKeys[k] || strings.Contains(k, "csrf") {
		return true
	}
	for _, suf := range []string{"password", "passwd", "secret", "_token", "-token", "ticket", "cookie"} {
		if strings.HasSuffix(k, suf) {
			return true
		}
	}
	return false
}

// Value patterns. Each keeps its first group and replaces the secret that
// follows it with Redacted.
var (
	// Authorization and Cookie headers, as "Name: value" or "Name=value"
	// or JSON "Name":"value": the whole value up to the end of the line
	// or quote.
	headerRE = regexp.MustCompile(`(?i)(\b(?:proxy-)?authorization["']?\s*[:=]\s*["']?|\b(?:set-)?cookie["']?\s*[:=]\s*["']?)[^"'\r\n]+`)
	// PVEAuthCookie=TICKET anywhere (a Cookie header's value, a URL).
	cookieRE = regexp.MustCompile(`(PVEAuthCookie(?:=|%3[Dd]))[^\s;,"'&]+`)
	// PVE tickets: PVE:user@realm:HEXTIME::SIGNATURE (PMG and PBS alike),
	// plain or URL-encoded.
	ticketRE = regexp.MustCompile(`((?:PVE|PMG|PBS)(?::|%3[Aa])[^\s:;,"'&]+?(?::|%3[Aa]))[0-9A-Fa-f]{8}(?:::|%3[Aa]%3[Aa])[A-Za-z0-9+/=%._-]+`)
	// API tokens: USER@REALM!TOKENID=SECRET (PVEAPIToken=... included),
	// plain or URL-encoded.
	tokenRE = regexp.MustCompile(`([^\s@!=;,"'&:/]+(?:@|%40)[^\s@!=;,"'&:/%]+(?:!|%21)[^\s@!=;,"'&:/%]+(?:=|%3[Dd]))[^\s;,"'&]+`)
	// URL credentials: scheme://user:password@host.
	urlCredRE = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^\s/:@]*:)[^\s/@]*@`)
	// Bearer tokens.
	bearerRE = regexp.MustCompile(`(?i)(\bbearer\s+)[A-Za-z0-9._~+/=-]+`)
	// key=value, key: value and "key":"value" pairs in free text whose key
	// names a secret; quoted values are replaced whole.
	pairRE = regexp.MustCompile(`(?i)((?:[a-z0-9_-]*(?:password|passwd|secret)|api_token|ticket|csrfpreventiontoken)["']?\s*[=:]\s*)("(?:[^"\\]|\\.)*"?|'[^']*'?|[^\s&;,"']+)`)
)

// RedactString replaces the secrets in s: API token secrets
// (PVEAPIToken=USER@REALM!ID=SECRET and USER@REALM!ID=SECRET), PVE
// tickets (PVE:user@realm:...::...), PVEAuthCookie values, Authorization
// and Cookie header values, Bearer tokens, URL passwords
// (https://user:PASSWORD@host) and the values of password=, secret=,
// ticket= and CSRFPreventionToken= pairs. Text without them is returned
// unchanged. It is idempotent.
func RedactString(s string) string {
	if !maybeSecret(s) {
		return s
	}
	s = headerRE.ReplaceAllString(s, "${1}"+Redacted)
	s = cookieRE.ReplaceAllString(s, "${1}"+Redacted)
	s = ticketRE.ReplaceAllString(s, "${1}"+Redacted)
	s = tokenRE.ReplaceAllString(s, "${1}"+Redacted)
	s = urlCredRE.ReplaceAllString(s, "${1}"+Redacted+"@")
	s = bearerRE.ReplaceAllString(s, "${1}"+Redacted)
	return replacePairs(s)
}

// maybeSecret is a cheap pre-check: every pattern needs one of these
// bytes (@ or % for tokens, tickets and URLs; = or : for pairs and headers).
func maybeSecret(s string) bool {
	return strings.ContainsAny(s, "@%=:") || strings.Contains(strings.ToLower(s), "bearer")
}

func replacePairs(s string) string {
	idx := pairRE.FindAllStringSubmatchIndex(s, -1)
	if idx == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range idx {
		b.WriteString(s[last:m[3]])
		v := s[m[4]:m[5]]
		switch {
		case strings.HasPrefix(v, `"`):
			b.WriteString(`"` + Redacted + `"`)
		case strings.HasPrefix(v, `'`):
			b.WriteString(`'` + Redacted + `'`)
		default:
			b.WriteString(Redacted)
		}
		last = m[5]
	}
	b.WriteString(s[last:])
	return b.String()
}

// Redact wraps h so that no secret reaches it: attributes whose key names
// a secret (IsSecretKey, also inside groups and inside structured values)
// become "[REDACTED]", and every string — the message, attribute values,
// error messages, Stringers and the strings inside structured values —
// goes through RedactString. An error value under key "err" becomes
// err (its redacted message), err_type (its most specific non-wrapper
// type) and hint (when an error in its chain has a Hint() string method);
// under another key K it becomes K, K_type and K_hint.
func Redact(h slog.Handler) slog.Handler { return &redactHandler{h: h} }

type redactHandler struct{ h slog.Handler }

var _ slog.Handler = (*redactHandler)(nil)

func (r *redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return r.h.Enabled(ctx, l)
}

func (r *redactHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, RedactString(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a)...)
		return true
	})
	return r.h.Handle(ctx, out)
}

func (r *redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &redactHandler{h: r.h.WithAttrs(redactAttrs(as))}
}

func (r *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{h: r.h.WithGroup(name)}
}

func redactAttrs(as []slog.Attr) []slog.Attr {
	out := make([]slog.Attr, 0, len(as))
	for _, a := range as {
		out = append(out, redactAttr(a)...)
	}
	return out
}

func redactAttr(a slog.Attr) []slog.Attr {
	v := a.Value.Resolve()
	if IsSecretKey(a.Key) {
		return []slog.Attr{slog.String(a.Key, Redacted)}
	}
	switch v.Kind() {
	case slog.KindString:
		return []slog.Attr{slog.String(a.Key, RedactString(v.String()))}
	case slog.KindGroup:
		return []slog.Attr{{Key: a.Key, Value: slog.GroupValue(redactAttrs(v.Group())...)}}
	case slog.KindAny:
		return redactAny(a.Key, v.Any())
	}
	return []slog.Attr{{Key: a.Key, Value: v}}
}

func redactAny(key string, x any) []slog.Attr {
	switch t := x.(type) {
	case nil:
		return []slog.Attr{slog.Any(key, nil)}
	case error:
		return errAttrs(key, t)
	case fmt.Stringer:
		return []slog.Attr{slog.String(key, RedactString(t.String()))}
	case []byte:
		return []slog.Attr{slog.String(key, RedactString(string(t)))}
	}
	raw, err := json.Marshal(x)
	if err != nil {
		return []slog.Attr{slog.String(key, RedactString(fmt.Sprintf("%+v", x)))}
	}
	var tree any
	if err := json.Unmarshal(raw, &tree); err != nil {
		return []slog.Attr{slog.String(key, RedactString(string(raw)))}
	}
	clean, changed := redactTree(tree)
	if !changed {
		return []slog.Attr{slog.Any(key, x)}
	}
	return []slog.Attr{slog.Any(key, clean)}
}

// redactTree redacts decoded JSON: secret keys and strings.
func redactTree(x any) (any, bool) {
	switch t := x.(type) {
	case string:
		r := RedactString(t)
		return r, r != t
	case []any:
		changed := false
		for i, e := range t {
			var c bool
			t[i], c = redactTree(e)
			changed = changed || c
		}
		return t, changed
	case map[string]any:
		changed := false
		for k, e := range t {
			if IsSecretKey(k) {
				if s, ok := e.(string); !ok || s != Redacted {
					t[k] = Redacted
					changed = true
				}
				continue
			}
			var c bool
			t[k], c = redactTree(e)
			changed = changed || c
		}
		return t, changed
	}
	return x, false
}

// errAttrs renders an error as its redacted message, type and hint.
func errAttrs(key string, err error) []slog.Attr {
	typeKey, hintKey := key+"_type", key+"_hint"
	if key == KeyErr {
		typeKey, hintKey = KeyErrType, KeyHint
	}
	as := []slog.Attr{slog.String(key, RedactString(err.Error())), slog.String(typeKey, ErrType(err))}
	if h := ErrHint(err); h != "" {
		as = append(as, slog.String(hintKey, RedactString(h)))
	}
	return as
}

// ErrType names the most specific type in err's chain that is not a
// plain wrapper (fmt.Errorf, errors.New, errors.Join): "*pve.APIError",
// "*fs.PathError"; for an error made only of wrappers, the type of the
// innermost one.
func ErrType(err error) string {
	last := ""
	for e := err; e != nil; e = errors.Unwrap(e) {
		name := fmt.Sprintf("%T", e)
		last = name
		switch name {
		case "*fmt.wrapError", "*fmt.wrapErrors", "*errors.errorString", "*errors.joinError":
			continue
		}
		return name
	}
	return last
}

// ErrHint returns the first non-empty Hint() of an error in err's chain.
func ErrHint(err error) string {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if h, ok := e.(interface{ Hint() string }); ok {
			if s := h.Hint(); s != "" {
				return s
			}
		}
	}
	return ""
}
