// Package pve is the typed Proxmox VE REST client: token and ticket auth,
// TLS (CA file, SHA-256 fingerprint pinning, trust-on-first-use, insecure),
// the {"data":...} envelope, typed errors, retries with backoff for
// idempotent calls, and UPID task waiting.
//
// Session, auth headers and transport plumbing come from
// github.com/luthermonson/go-proxmox. This package wraps its known defects:
// it captures the failed response itself (go-proxmox drops the status code,
// PVE's "errors" map and "message"), sends form-encoded bodies (go-proxmox
// sends JSON), retries only idempotent GETs (go-proxmox's WithRetry also
// replays POST/PUT/DELETE and TLS failures), and waits for tasks with its own
// ctx-aware waiter (go-proxmox's ignores ctx and reports failed tasks as nil).
package pve

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	proxmox "github.com/luthermonson/go-proxmox"

	"github.com/proxmox-mpc/proxmox-mpc/internal/observe"
)

// Defaults.
const (
	DefaultTimeout    = 30 * time.Second
	DefaultMaxRetries = 3
	DefaultUserAgent  = "proxmox-mpc"

	// ticketRenewAfter is how old a ticket may get before the next call
	// renews it. PVE tickets live 2 h; go-proxmox considers its session
	// stale after 1 h, so renewing earlier keeps its lazy re-login path
	// (which is not safe for concurrent use) from ever running.
	ticketRenewAfter = 45 * time.Minute
	// ticketLifetime is PVE's ticket lifetime (AccessControl.pm).
	ticketLifetime = 2 * time.Hour

	backoffBase = 200 * time.Millisecond
	backoffCap  = 5 * time.Second

	apiPrefix = "/api2/json"

	// maxReplyBytes bounds one successful reply (the resource list of a
	// very large cluster is tens of MB).
	maxReplyBytes = 512 << 20
)

// Auth methods and TLS modes as reported by AuthMethod and TLSMode.
const (
	AuthToken  = "api-token"
	AuthTicket = "ticket"

	TLSVerified    = "verified"
	TLSCAFile      = "ca-file"
	TLSFingerprint = "fingerprint"
	TLSInsecure    = "insecure"
	TLSInProcess   = "in-process"
)

// Config describes how to reach and authenticate to a PVE endpoint.
type Config struct {
	Endpoint    string            // "https://host:8006" (a trailing /api2/json or path is dropped)
	APIToken    string            // "USER@REALM!TOKENID=SECRET"; split on the last '='
	Username    string            // "root@pam" (ticket auth)
	Password    string            // ticket auth
	OTP         string            // optional TOTP code for ticket auth
	CAFile      string            // PEM bundle to trust in addition to the system roots
	Fingerprint string            // SHA-256 of the server leaf certificate; pins instead of the CA chain
	Insecure    bool              // skip verification (the caller prints the warning)
	Timeout     time.Duration     // per request; default 30s
	MaxRetries  int               // retries for idempotent GETs; 0 = default (3), negative = none
	Transport   http.RoundTripper // used as-is when set (in-process simulator); TLS fields ignored
	Logger      *slog.Logger      // debug record per HTTP call; nil = discard
	UserAgent   string
}

// Client is a PVE API client. It is safe for concurrent use.
type Client struct {
	endpoint   string // scheme://host[:port]
	basePath   string // "/api2/json" as seen in request URLs
	authMethod string
	identity   string // token id or user, never a secret
	tlsMode    string
	username   string
	password   string
	timeout    time.Duration
	maxRetries int
	log        *slog.Logger
	httpClient *http.Client

	// tests may shorten these
	backoffBase time.Duration
	backoffCap  time.Duration
	now         func() time.Time

	peerFP atomic.Value // string

	// sessMu guards gp's ticket session: calls hold it for reading, login
	// and renewal for writing.
	sessMu   sync.RWMutex
	gp       *proxmox.Client
	loggedIn bool
	loginAt  time.Time
	gpOpts   []proxmox.Option
}

// New validates cfg and builds a client. It makes no network call. Errors
// are *ConfigError.
func New(cfg Config) (*Client, error) {
	c := &Client{
		timeout:     cfg.Timeout,
		maxRetries:  cfg.MaxRetries,
		log:         cfg.Logger,
		backoffBase: backoffBase,
		backoffCap:  backoffCap,
		now:         time.Now,
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	switch {
	case c.maxRetries == 0:
		c.maxRetries = DefaultMaxRetries
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.peerFP.Store("")

	u, err := parseEndpoint(cfg.Endpoint, cfg.Transport != nil)
	if err != nil {
		return nil, err
	}
	c.endpoint = u.Scheme + "://" + u.Host
	c.basePath = apiPrefix

	ua := cfg.UserAgent
	if ua == "" {
		ua = DefaultUserAgent
	}
	opts := []proxmox.Option{
		proxmox.WithUserAgent(ua),
		proxmox.WithLogger(quietLogger{}),
		proxmox.WithRequestInterceptor(formInterceptor),
	}

	token := strings.TrimSpace(cfg.APIToken)
	token = strings.TrimPrefix(token, "PVEAPIToken=")
	user := strings.TrimSpace(cfg.Username)
	switch {
	case token != "" && (user != "" || cfg.Password != ""):
		return nil, &ConfigError{Field: "auth", Problem: "both an API token and a username/password are set",
			hint: "use exactly one: an API token (PROXMOX_VE_API_TOKEN) or a username and password"}
	case token != "":
		id, secret, err := splitToken(token)
		if err != nil {
			return nil, err
		}
		if cfg.OTP != "" {
			return nil, &ConfigError{Field: "otp", Problem: "a one-time code only applies to username/password login",
				hint: "drop --otp; API tokens do not use two-factor codes"}
		}
		c.authMethod = AuthToken
		c.identity = id
		opts = append(opts, proxmox.WithAPIToken(id, secret))
	case user != "":
		if !strings.Contains(user, "@") || strings.HasPrefix(user, "@") || strings.HasSuffix(user, "@") {
			return nil, &ConfigError{Field: "username", Problem: fmt.Sprintf("%q has no realm", user),
				hint: "write the user as USER@REALM, e.g. root@pam or admin@pve"}
		}
		if cfg.Password == "" {
			return nil, &ConfigError{Field: "password", Problem: "empty for user " + user,
				hint: "set PROXMOX_VE_PASSWORD, or use an API token instead"}
		}
		c.authMethod = AuthTicket
		c.username, c.password = user, cfg.Password
		c.identity = user
		opts = append(opts, proxmox.WithCredentials(&proxmox.Credentials{Username: user, Password: cfg.Password}))
		if cfg.OTP != "" {
			opts = append(opts, proxmox.WithOTP(strings.TrimSpace(cfg.OTP)))
		}
	default:
		return nil, &ConfigError{Field: "auth", Problem: "no credentials",
			hint: "export PROXMOX_VE_API_TOKEN='USER@REALM!TOKENID=SECRET' (or PROXMOX_VE_USERNAME and PROXMOX_VE_PASSWORD)"}
	}

	base := cfg.Transport
	if base != nil {
		c.tlsMode = TLSInProcess
	} else {
		t, err := c.buildTransport(cfg, u.Hostname())
		if err != nil {
			return nil, err
		}
		base = t
	}
	c.httpClient = &http.Client{Transport: &recorder{base: base, log: c.log, basePath: c.basePath}}
	opts = append(opts, proxmox.WithHTTPClient(c.httpClient))
	c.gpOpts = opts
	c.gp = proxmox.NewClient(c.endpoint+c.basePath, opts...)
	return c, nil
}

// parseEndpoint checks an endpoint URL and drops any path.
func parseEndpoint(s string, allowHTTP bool) (*url.URL, error) {
	s = strings.TrimSpace(s)
	hint := "write the endpoint as https://HOST:8006"
	if s == "" {
		return nil, &ConfigError{Field: "endpoint", Problem: "empty", hint: "set PROXMOX_VE_ENDPOINT or pass --endpoint https://HOST:8006"}
	}
	if !strings.Contains(s, "://") {
		return nil, &ConfigError{Field: "endpoint", Problem: fmt.Sprintf("%q has no scheme", s), hint: "write it as https://" + s}
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, &ConfigError{Field: "endpoint", Problem: fmt.Sprintf("%q is not a URL", s), hint: hint}
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && allowHTTP:
	default:
		return nil, &ConfigError{Field: "endpoint", Problem: fmt.Sprintf("scheme %q is not https", u.Scheme), hint: hint}
	}
	if u.User != nil {
		return nil, &ConfigError{Field: "endpoint", Problem: "contains user info",
			hint: "remove the user and password from the URL; use PROXMOX_VE_API_TOKEN or PROXMOX_VE_USERNAME/PASSWORD"}
	}
	if u.Hostname() == "" {
		return nil, &ConfigError{Field: "endpoint", Problem: fmt.Sprintf("%q has no host", s), hint: hint}
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, &ConfigError{Field: "endpoint", Problem: fmt.Sprintf("port %q is invalid", p), hint: hint}
		}
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}

// splitToken splits "USER@REALM!TOKENID=SECRET" on the last '='. The
// secret never appears in an error.
func splitToken(tok string) (id, secret string, err error) {
	hint := "the token must look like USER@REALM!TOKENID=SECRET, e.g. root@pam!ci=xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
	i := strings.LastIndex(tok, "=")
	if i < 0 {
		return "", "", &ConfigError{Field: "api token", Problem: "no '=' between token id and secret", hint: hint}
	}
	id, secret = tok[:i], tok[i+1:]
	user, name, ok := strings.Cut(id, "!")
	switch {
	case secret == "":
		return "", "", &ConfigError{Field: "api token", Problem: "empty secret", hint: hint}
	case !ok || name == "":
		return "", "", &ConfigError{Field: "api token", Problem: "token id has no '!TOKENID' part", hint: hint}
	case !strings.Contains(user, "@") || strings.HasPrefix(user, "@") || strings.HasSuffix(user, "@"):
		return "", "", &ConfigError{Field: "api token", Problem: "token id has no USER@REALM part", hint: hint}
	case strings.ContainsAny(tok, " \t\r\n"):
		return "", "", &ConfigError{Field: "api token", Problem: "contains white space", hint: hint}
	}
	return id, secret, nil
}

// Endpoint is "https://host:port".
func (c *Client) Endpoint() string { return c.endpoint }

// AuthMethod is "api-token" or "ticket".
func (c *Client) AuthMethod() string { return c.authMethod }

// TLSMode is "verified", "ca-file", "fingerprint", "insecure" or "in-process".
func (c *Client) TLSMode() string { return c.tlsMode }

// PeerFingerprint is the SHA-256 fingerprint ("AA:BB:...") of the server
// certificate seen on the last TLS handshake, or "".
func (c *Client) PeerFingerprint() string {
	s, _ := c.peerFP.Load().(string)
	return s
}

// Get calls GET path (relative to /api2/json, e.g. "/nodes") and decodes
// the "data" member into out (nil = ignore).
func (c *Client) Get(ctx context.Context, path string, query url.Values, out any) error {
	return c.call(ctx, http.MethodGet, path, query, out, nil)
}

// Post calls POST path with a form-encoded body. Booleans must already be
// 1/0.
func (c *Client) Post(ctx context.Context, path string, form url.Values, out any) error {
	return c.call(ctx, http.MethodPost, path, form, out, nil)
}

// Put calls PUT path with a form-encoded body.
func (c *Client) Put(ctx context.Context, path string, form url.Values, out any) error {
	return c.call(ctx, http.MethodPut, path, form, out, nil)
}

// Delete calls DELETE path with query parameters.
func (c *Client) Delete(ctx context.Context, path string, query url.Values, out any) error {
	return c.call(ctx, http.MethodDelete, path, query, out, nil)
}

// call runs one API call with session handling and, for GET, retries.
// When total is not nil it receives the envelope's "total" member.
func (c *Client) call(ctx context.Context, method, path string, params url.Values, out any, total *int) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if err := c.ensureSession(ctx); err != nil {
		return err
	}
	attempts := 1
	if method == http.MethodGet {
		attempts += c.maxRetries
	}
	for attempt := 0; ; attempt++ {
		err := c.once(ctx, method, path, params, out, total)
		if err == nil || attempt+1 >= attempts || !retryable(err) {
			return err
		}
		if cerr := ctx.Err(); cerr != nil {
			return fmt.Errorf("%s %s: %w", method, path, cerr)
		}
		if serr := sleepCtx(ctx, c.backoff(attempt)); serr != nil {
			return fmt.Errorf("%s %s: %w", method, path, serr)
		}
	}
}

// backoff is exponential with jitter: a random duration in [d/2, d) where
// d = base·2^attempt, capped.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.backoffBase
	for i := 0; i < attempt && d < c.backoffCap; i++ {
		d *= 2
	}
	if d > c.backoffCap {
		d = c.backoffCap
	}
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// retryable reports transient failures: network errors (not TLS) and
// 502/503/504.
func retryable(err error) bool {
	var ne *NetworkError
	if errors.As(err, &ne) {
		return true
	}
	var ae *APIError
	if errors.As(err, &ae) {
		switch ae.Status {
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
	}
	return false
}

type (
	exchangeKey struct{}
	formKey     struct{}
)

// exchange records the last HTTP reply of one call (request-scoped).
type exchange struct {
	mu       sync.Mutex
	keepBody bool
	// takeBody: the recorder keeps a successful reply's body for once() to
	// decode in one pass, and hands go-proxmox an empty object instead
	// (go-proxmox would parse it twice and copy it into a debug string).
	takeBody bool
	status   int
	reason   string
	body     []byte
}

func (x *exchange) set(status int, reason string, body []byte) {
	x.mu.Lock()
	x.status, x.reason, x.body = status, reason, body
	x.mu.Unlock()
}

func (x *exchange) get() (int, string, []byte) {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.status, x.reason, x.body
}

// formBody is the form to send for one request, matched by method and path
// so that a login go-proxmox makes on the way does not pick it up.
type formBody struct {
	method, path, encoded string
}

// once makes one HTTP exchange through go-proxmox.
func (c *Client) once(ctx context.Context, method, path string, params url.Values, out any, total *int) error {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	x := &exchange{keepBody: total != nil, takeBody: true}
	actx = context.WithValue(actx, exchangeKey{}, x)
	target := path
	if len(params) > 0 {
		switch method {
		case http.MethodGet, http.MethodDelete:
			sep := "?"
			if strings.Contains(target, "?") {
				sep = "&"
			}
			target += sep + params.Encode()
		default:
			p, _, _ := strings.Cut(path, "?")
			fullPath := c.basePath + p
			if u, err := url.Parse(fullPath); err == nil {
				fullPath = u.Path
			}
			actx = context.WithValue(actx, formKey{}, formBody{method: method, path: fullPath, encoded: params.Encode()})
		}
	}
	c.sessMu.RLock()
	gp := c.gp
	err := gp.Req(actx, method, target, nil, nil)
	c.sessMu.RUnlock()
	status, reason, body := x.get()
	if status >= 400 {
		return c.apiError(method, path, status, reason, body)
	}
	if err != nil {
		return c.classify(ctx, actx, method, path, err)
	}
	return decodeEnvelope(method, path, body, out, total)
}

// decodeEnvelope decodes {"data": ..., "total": n} in one pass: data into
// out (nil = ignore), total into *total when asked.
func decodeEnvelope(method, path string, body []byte, out any, total *int) error {
	if len(bytes.TrimSpace(body)) == 0 || (out == nil && total == nil) {
		return nil
	}
	var data json.RawMessage
	env := struct {
		Data  any `json:"data"`
		Total Int `json:"total"`
	}{Data: &data}
	if out != nil {
		env.Data = out
	}
	if err := json.Unmarshal(body, &env); err != nil {
		if out == nil {
			return nil // only the total was asked for
		}
		return fmt.Errorf("decode reply of %s %s: %w", method, path, err)
	}
	if total != nil {
		*total = int(env.Total)
	}
	return nil
}

// apiError builds an *APIError from a recorded failed reply.
func (c *Client) apiError(method, path string, status int, reason string, body []byte) *APIError {
	p, _, _ := strings.Cut(path, "?")
	e := &APIError{Method: method, Path: p, Status: status, authMethod: c.authMethod}
	var env struct {
		Message string          `json:"message"`
		Errors  json.RawMessage `json:"errors"`
	}
	if json.Unmarshal(body, &env) == nil {
		e.Message = strings.TrimRight(env.Message, "\r\n")
		if len(env.Errors) > 0 {
			var m map[string]Text
			if json.Unmarshal(env.Errors, &m) == nil && len(m) > 0 {
				e.Params = make(map[string]string, len(m))
				for k, v := range m {
					e.Params[k] = strings.TrimRight(string(v), "\r\n")
				}
			}
		}
	}
	if e.Message == "" {
		e.Message = reasonPhrase(reason, status)
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	return e
}

// classify turns a transport error into a ctx, TLS or network error.
func (c *Client) classify(ctx, actx context.Context, method, path string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%s %s: %w", method, path, cerr)
	}
	var ve *verifyError
	if errors.As(err, &ve) {
		return &TLSError{Endpoint: c.endpoint, Want: ve.want, Got: ve.got, Err: ve.err}
	}
	if errors.Is(actx.Err(), context.DeadlineExceeded) {
		return &NetworkError{Endpoint: c.endpoint, Err: fmt.Errorf("%s %s: no reply within %s", method, path, c.timeout)}
	}
	var ue *url.Error
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &ue) || errors.As(err, &ne) || errors.As(err, &oe) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &NetworkError{Endpoint: c.endpoint, Err: stripURL(err)}
	}
	return fmt.Errorf("%s %s: %w", method, path, err)
}

// stripURL drops the *url.Error wrapper (its text repeats the full URL,
// which may carry query parameters).
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return fmt.Errorf("%s %s: %w", ue.Op, redactURL(ue.URL), ue.Err)
	}
	return err
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "request"
	}
	return u.Path
}

// recorder sits under go-proxmox's HTTP client: it logs each exchange and
// keeps failed reply bodies for the per-call exchange record.
type recorder struct {
	base     http.RoundTripper
	log      *slog.Logger
	basePath string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	ctx := req.Context()
	x, _ := ctx.Value(exchangeKey{}).(*exchange)
	path := strings.TrimPrefix(req.URL.Path, r.basePath)
	res, err := r.base.RoundTrip(req)
	ms := float64(time.Since(start).Microseconds()) / 1000
	// Each attempt has its own request id; the command's correlation id
	// comes from ctx through the logger's handler.
	rid := observe.KeyRequestID
	if err != nil {
		r.log.LogAttrs(ctx, slog.LevelDebug, "pve api call", slog.String(rid, observe.NewRequestID()),
			slog.String("method", req.Method), slog.String("path", path),
			slog.Int("status", 0), slog.Float64("duration_ms", ms), slog.String("err", stripURL(err).Error()))
		if x != nil {
			x.set(0, "", nil)
		}
		return nil, err
	}
	r.log.LogAttrs(ctx, slog.LevelDebug, "pve api call", slog.String(rid, observe.NewRequestID()),
		slog.String("method", req.Method), slog.String("path", path),
		slog.Int("status", res.StatusCode), slog.Float64("duration_ms", ms))
	if x == nil {
		return res, nil
	}
	if res.StatusCode >= 400 || x.keepBody || x.takeBody || path == "/access/ticket" {
		limit := int64(8 << 20)
		if res.StatusCode < 400 {
			limit = maxReplyBytes
		}
		body, rerr := io.ReadAll(io.LimitReader(res.Body, limit))
		_ = res.Body.Close()
		if rerr != nil {
			return nil, rerr
		}
		x.set(res.StatusCode, res.Status, body)
		if x.takeBody && res.StatusCode < 400 && path != "/access/ticket" {
			res.Body = io.NopCloser(strings.NewReader("{}"))
			res.ContentLength = 2
			return res, nil
		}
		res.Body = io.NopCloser(bytes.NewReader(body))
		return res, nil
	}
	x.set(res.StatusCode, res.Status, nil)
	return res, nil
}

// formInterceptor replaces go-proxmox's JSON request bodies with the
// form encoding PVE clients use: the call's own form when one is pending
// for this request, else a flat JSON object re-encoded (the login).
func formInterceptor(req *http.Request) error {
	if f, ok := req.Context().Value(formKey{}).(formBody); ok && f.method == req.Method && f.path == req.URL.Path {
		setForm(req, f.encoded)
		return nil
	}
	if req.Body == nil || req.Body == http.NoBody || !strings.HasPrefix(req.Header.Get("Content-Type"), "application/json") {
		return nil
	}
	data, err := io.ReadAll(req.Body)
	_ = req.Body.Close()
	if err != nil {
		return fmt.Errorf("read request body: %w", err)
	}
	if form, ok := jsonToForm(data); ok {
		setForm(req, form)
		return nil
	}
	req.Body = io.NopCloser(bytes.NewReader(data))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	req.ContentLength = int64(len(data))
	return nil
}

func setForm(req *http.Request, encoded string) {
	b := []byte(encoded)
	req.Body = io.NopCloser(bytes.NewReader(b))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	req.ContentLength = int64(len(b))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
}

// jsonToForm form-encodes a flat JSON object of scalars.
func jsonToForm(data []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return "", false
	}
	v := url.Values{}
	for k, x := range m {
		switch t := x.(type) {
		case string:
			v.Set(k, t)
		case json.Number:
			v.Set(k, t.String())
		case bool:
			if t {
				v.Set(k, "1")
			} else {
				v.Set(k, "0")
			}
		case nil:
		default:
			return "", false
		}
	}
	return v.Encode(), true
}

// quietLogger silences go-proxmox's own logger (it would print to
// stdout/stderr, and at debug level it prints bodies).
type quietLogger struct{}

func (quietLogger) Debugf(string, ...any) {}
func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Warnf(string, ...any)  {}

var _ proxmox.LeveledLoggerInterface = quietLogger{}

// readCAFile loads a PEM bundle on top of the system roots.
func readCAFile(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &ConfigError{Field: "ca file", Problem: err.Error(), hint: "pass --ca-file with the path of a readable PEM file (the PVE CA is /etc/pve/pve-root-ca.pem on a node)"}
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(data) {
		return nil, &ConfigError{Field: "ca file", Problem: path + " holds no PEM certificate", hint: "pass a PEM file with -----BEGIN CERTIFICATE----- blocks (the PVE CA is /etc/pve/pve-root-ca.pem on a node)"}
	}
	return pool, nil
}

// Identity is who the server sees: the token id (USER@REALM!TOKENID) or
// the user name. It never contains a secret.
func (c *Client) Identity() string { return c.identity }
