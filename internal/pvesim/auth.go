package pvesim

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

const ticketLifetime = 2 * time.Hour

// authConfig holds accepted credentials. It is immutable after New.
type authConfig struct {
	tokens   map[string]string // tokenid (user@realm!name) → secret
	users    map[string]string // user@realm → password
	auditors map[string]bool   // user ids or token ids with read-only rights
	key      []byte            // ticket and CSRF signing key
}

// caller is an authenticated requester.
type caller struct {
	user    string // user@realm
	tokenID string // user@realm!name for token callers, else ""
	ticket  bool
}

// id is what PVE records as a task's user: the token id for tokens.
func (c caller) id() string {
	if c.tokenID != "" {
		return c.tokenID
	}
	return c.user
}

func newAuthConfig(o Options) (authConfig, error) {
	a := authConfig{tokens: map[string]string{}, users: map[string]string{}, auditors: map[string]bool{}, key: seedBytes(o.Seed, "pvesim-ticket-key")}
	toks := o.Tokens
	if len(toks) == 0 && len(o.Users) == 0 {
		toks = []string{DefaultToken}
	}
	for _, t := range toks {
		id, secret, ok := splitToken(t)
		if !ok {
			return a, fmt.Errorf("pvesim: token %q is not USER@REALM!TOKENID=SECRET", redactToken(t))
		}
		a.tokens[id] = secret
	}
	for u, p := range o.Users {
		if !strings.Contains(u, "@") {
			return a, fmt.Errorf("pvesim: user %q has no realm (want user@realm)", u)
		}
		a.users[u] = p
	}
	for _, u := range o.Auditors {
		a.auditors[u] = true
	}
	return a, nil
}

func redactToken(t string) string {
	if i := strings.LastIndexByte(t, '='); i >= 0 {
		return t[:i+1] + "…"
	}
	return t
}

// splitToken splits USER@REALM!TOKENID=SECRET on the last '='.
func splitToken(t string) (id, secret string, ok bool) {
	i := strings.LastIndexByte(t, '=')
	if i <= 0 || i == len(t)-1 {
		return "", "", false
	}
	id, secret = t[:i], t[i+1:]
	user, name, found := strings.Cut(id, "!")
	if !found || name == "" || !strings.Contains(user, "@") {
		return "", "", false
	}
	return id, secret, true
}

var tokenHeaderRE = regexp.MustCompile(`(?:^|\s)PVEAPIToken(?:=| )([^;]*)`)
var cookieHeaderRE = regexp.MustCompile(`(?:^|\s)PVEAuthCookie=([^;]*)`)

// authenticate checks the request's credentials, as pve-http-server does:
// a PVEAuthCookie (cookie or Authorization header) wins over a token.
func (s *Sim) authenticate(r *http.Request, now time.Time) (caller, *apiError) {
	ticket := ""
	if ck, err := r.Cookie("PVEAuthCookie"); err == nil && ck.Value != "" {
		ticket = ck.Value
	} else if m := cookieHeaderRE.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		ticket = m[1]
	}
	if ticket != "" {
		if t, err := url.PathUnescape(ticket); err == nil {
			ticket = t
		}
		user, ok := s.verifyTicket(ticket, now)
		if !ok {
			return caller{}, &apiError{status: http.StatusUnauthorized, msg: "authentication failure"}
		}
		if r.Method != http.MethodGet && !s.verifyCSRF(r.Header.Get("CSRFPreventionToken"), user, now) {
			return caller{}, &apiError{status: http.StatusUnauthorized, msg: "Permission denied - invalid csrf token"}
		}
		return caller{user: user, ticket: true}, nil
	}
	if m := tokenHeaderRE.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		raw := strings.TrimSpace(m[1])
		if t, err := url.PathUnescape(raw); err == nil {
			raw = t
		}
		id, secret, ok := splitToken(raw)
		want, known := s.auth.tokens[id]
		if !ok || !known || subtle.ConstantTimeCompare([]byte(secret), []byte(want)) != 1 {
			return caller{}, &apiError{status: http.StatusUnauthorized, msg: "Authentication failed!"}
		}
		user, _, _ := strings.Cut(id, "!")
		return caller{user: user, tokenID: id}, nil
	}
	return caller{}, &apiError{status: http.StatusUnauthorized, msg: "No ticket"}
}

func (s *Sim) sign(data string) string {
	m := hmac.New(sha256.New, s.auth.key)
	m.Write([]byte(data))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// newTicket makes PVE:<user>:<8HEX>::<base64 signature>.
func (s *Sim) newTicket(user string, now time.Time) string {
	plain := fmt.Sprintf("PVE:%s:%08X", user, now.Unix())
	return plain + "::" + s.sign(plain)
}

func (s *Sim) verifyTicket(t string, now time.Time) (string, bool) {
	plain, sig, ok := strings.Cut(t, "::")
	if !ok || !hmac.Equal([]byte(sig), []byte(s.sign(plain))) {
		return "", false
	}
	parts := strings.Split(plain, ":")
	if len(parts) != 3 || parts[0] != "PVE" {
		return "", false
	}
	ts, err := strconv.ParseInt(parts[2], 16, 64)
	if err != nil {
		return "", false
	}
	age := now.Sub(time.Unix(ts, 0))
	if age < -5*time.Minute || age > ticketLifetime {
		return "", false
	}
	return parts[1], true
}

func (s *Sim) newCSRF(user string, now time.Time) string {
	ts := fmt.Sprintf("%08X", now.Unix())
	return ts + ":" + strings.TrimRight(s.sign("csrf:"+ts+":"+user), "=")
}

func (s *Sim) verifyCSRF(tok, user string, now time.Time) bool {
	ts, sig, ok := strings.Cut(tok, ":")
	if !ok || !hmac.Equal([]byte(sig), []byte(strings.TrimRight(s.sign("csrf:"+ts+":"+user), "="))) {
		return false
	}
	n, err := strconv.ParseInt(ts, 16, 64)
	if err != nil {
		return false
	}
	age := now.Sub(time.Unix(n, 0))
	return age >= -5*time.Minute && age <= ticketLifetime
}

// Privileges.
var (
	auditPrivs = []string{"Datastore.Audit", "Mapping.Audit", "Pool.Audit", "SDN.Audit", "Sys.Audit", "VM.Audit"}
	allPrivs   = []string{
		"Datastore.Allocate", "Datastore.AllocateSpace", "Datastore.AllocateTemplate", "Datastore.Audit",
		"Group.Allocate", "Mapping.Audit", "Mapping.Modify", "Mapping.Use", "Permissions.Modify",
		"Pool.Allocate", "Pool.Audit", "Realm.Allocate", "Realm.AllocateUser",
		"SDN.Allocate", "SDN.Audit", "SDN.Use", "Sys.AccessNetwork", "Sys.Audit", "Sys.Console",
		"Sys.Incoming", "Sys.Modify", "Sys.PowerMgmt", "Sys.Syslog", "User.Modify",
		"VM.Allocate", "VM.Audit", "VM.Backup", "VM.Clone", "VM.Config.CDROM", "VM.Config.CPU",
		"VM.Config.Cloudinit", "VM.Config.Disk", "VM.Config.HWType", "VM.Config.Memory",
		"VM.Config.Network", "VM.Config.Options", "VM.Console", "VM.GuestAgent.Audit",
		"VM.GuestAgent.FileRead", "VM.GuestAgent.FileSystemMgmt", "VM.GuestAgent.FileWrite",
		"VM.GuestAgent.Unrestricted", "VM.Migrate", "VM.PowerMgmt", "VM.Replicate",
		"VM.Snapshot", "VM.Snapshot.Rollback",
	}
)

func (s *Sim) isAuditor(who caller) bool {
	return s.auth.auditors[who.user] || (who.tokenID != "" && s.auth.auditors[who.tokenID])
}

func (s *Sim) privsFor(who caller) []string {
	if s.isAuditor(who) {
		return auditPrivs
	}
	return allPrivs
}

// checkPriv answers 403 when the caller lacks the route's privilege.
func (s *Sim) checkPriv(who caller, rt *route, vars map[string]string) *apiError {
	for _, p := range s.privsFor(who) {
		if p == rt.priv {
			return nil
		}
	}
	path := rt.aclPath
	for k, v := range vars {
		path = strings.ReplaceAll(path, "{"+k+"}", v)
	}
	return &apiError{status: http.StatusForbidden, msg: fmt.Sprintf("Permission check failed (%s, %s)", path, rt.priv)}
}

// --- /access handlers ---

func (s *Sim) hAccessTicketGet(*call) (any, error) { return nil, nil }

func (s *Sim) hAccessTicketPost(c *call) (any, error) {
	user, ok := c.param("username")
	if !ok || user == "" {
		return nil, missingParam("username")
	}
	pass, ok := c.param("password")
	if !ok {
		return nil, missingParam("password")
	}
	if realm, ok := c.param("realm"); ok && realm != "" && !strings.Contains(user, "@") {
		user += "@" + realm
	}
	fail := &apiError{status: http.StatusUnauthorized, msg: "authentication failure"}
	if !strings.Contains(user, "@") {
		return nil, fail
	}
	valid := false
	if tu, ok := s.verifyTicket(pass, c.now); ok && tu == user {
		valid = true // ticket renewal
	} else if want, ok := s.auth.users[user]; ok && subtle.ConstantTimeCompare([]byte(want), []byte(pass)) == 1 {
		valid = true
	}
	if !valid {
		return nil, fail
	}
	s.mu.RLock()
	name := s.c.name
	s.mu.RUnlock()
	who := caller{user: user}
	return map[string]any{
		"username":            user,
		"ticket":              s.newTicket(user, c.now),
		"CSRFPreventionToken": s.newCSRF(user, c.now),
		"clustername":         name,
		"cap":                 capabilities(s.privsFor(who)),
	}, nil
}

// capabilities groups privileges the way the ticket reply's "cap" does.
func capabilities(privs []string) map[string]map[string]int {
	groups := map[string]string{
		"VM.": "vms", "Datastore.": "storage", "Sys.": "nodes", "SDN.": "sdn",
		"User.": "access", "Group.": "access", "Realm.": "access", "Mapping.": "mapping", "Pool.": "dc",
	}
	out := map[string]map[string]int{"vms": {}, "storage": {}, "nodes": {}, "sdn": {}, "access": {}, "dc": {}, "mapping": {}}
	for _, p := range privs {
		for prefix, g := range groups {
			if strings.HasPrefix(p, prefix) {
				out[g][p] = 1
			}
		}
		if p == "Sys.Audit" || strings.HasPrefix(p, "SDN.") {
			out["dc"][p] = 1
		}
		if p == "Permissions.Modify" {
			for _, g := range []string{"vms", "storage", "nodes", "sdn", "access"} {
				out[g][p] = 1
			}
		}
	}
	return out
}

func (s *Sim) hAccessPermissions(c *call) (any, error) {
	privs := s.privsFor(c.caller)
	set := map[string]int{}
	for _, p := range privs {
		set[p] = 1
	}
	paths := []string{"/", "/access", "/access/groups", "/nodes", "/pool", "/sdn", "/storage", "/vms", "/mapping"}
	if p, ok := c.param("path"); ok && p != "" {
		paths = []string{p}
	}
	out := map[string]map[string]int{}
	for _, p := range paths {
		out[p] = set
	}
	return out, nil
}

func (s *Sim) hAccessDomains(*call) (any, error) {
	return []map[string]any{
		{"realm": "pam", "type": "pam", "comment": "Linux PAM standard authentication"},
		{"realm": "pve", "type": "pve", "comment": "Proxmox VE authentication server"},
	}, nil
}

func (s *Sim) hAccessUsers(*call) (any, error) {
	users := map[string]bool{"root@pam": true}
	for u := range s.auth.users {
		users[u] = true
	}
	for id := range s.auth.tokens {
		u, _, _ := strings.Cut(id, "!")
		users[u] = true
	}
	names := make([]string, 0, len(users))
	for u := range users {
		names = append(names, u)
	}
	sort.Strings(names)
	out := make([]map[string]any, 0, len(names))
	for _, u := range names {
		out = append(out, map[string]any{"userid": u, "enable": 1, "expire": 0})
	}
	return out, nil
}
