package pvesim

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

const (
	apiPrefix    = "/api2/json"
	maxBodyBytes = 512 << 10
)

// apiError is an error answer: status, message (first line goes into the
// status line) and, for 400, per-parameter errors.
type apiError struct {
	status int
	msg    string
	errs   map[string]string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s", e.status, e.msg) }

// errf is a 500 answer, the code PVE uses for any die.
func errf(format string, args ...any) *apiError {
	return &apiError{status: http.StatusInternalServerError, msg: fmt.Sprintf(format, args...)}
}

// paramErr is a 400 "Parameter verification failed." answer.
func paramErr(errs map[string]string) *apiError {
	return &apiError{status: http.StatusBadRequest, msg: "Parameter verification failed.", errs: errs}
}

func paramErr1(name, msg string) *apiError { return paramErr(map[string]string{name: msg}) }

func missingParam(name string) *apiError {
	return paramErr1(name, "property is missing and it is not optional")
}

// envelope is a success body with an optional total.
type envelope struct {
	data     any
	total    int
	hasTotal bool
}

// call is one request being handled.
type call struct {
	r      *http.Request
	method string
	path   string // relative to /api2/json, no trailing slash
	vars   map[string]string
	params map[string]string
	caller caller
	now    time.Time
}

func (c *call) param(name string) (string, bool) {
	v, ok := c.params[name]
	return v, ok
}

// flag reports whether a boolean parameter is set to a true value.
func (c *call) flag(name string) bool {
	v := c.params[name]
	return v == "1" || v == "true"
}

// intParam parses an optional integer parameter.
func (c *call) intParam(name string, def int) (int, *apiError) {
	v, ok := c.params[name]
	if !ok || v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, paramErr1(name, fmt.Sprintf("type check ('integer') failed - got '%s'", v))
	}
	return n, nil
}

// ServeHTTP serves /api2/json/... .
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.injectFaults(w, r) {
		return
	}
	rel, ok := strings.CutPrefix(r.URL.EscapedPath(), apiPrefix)
	if !ok || (rel != "" && rel[0] != '/') {
		if strings.HasPrefix(r.URL.Path, "/api2/") {
			s.writeError(w, r, &apiError{status: http.StatusNotImplemented, msg: "no formatter for uri " + r.URL.Path})
			return
		}
		s.writeError(w, r, &apiError{status: http.StatusNotImplemented, msg: "no such uri"})
		return
	}
	rel = "/" + strings.Trim(rel, "/")
	if rel == "/" {
		rel = ""
	}
	c := &call{r: r, method: r.Method, path: rel, now: s.now()}
	data, err := s.serve(c)
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			ae = errf("%s", err.Error())
		}
		if ae.status == http.StatusUnauthorized && s.opts.AuthFailDelay > 0 && ae.msg != "No ticket" {
			sleepCtx(r.Context(), s.opts.AuthFailDelay)
		}
		s.log.Debug("request failed", "method", r.Method, "path", rel, "status", ae.status, "err", ae.msg)
		s.writeError(w, r, ae)
		return
	}
	s.writeData(w, data)
}

// serve routes, authenticates, parses and validates, then runs the handler.
func (s *Sim) serve(c *call) (any, error) {
	rt, vars, methodKnown := s.match(c.method, c.path)
	if rt == nil {
		_ = methodKnown
		return nil, &apiError{status: http.StatusNotImplemented, msg: fmt.Sprintf("Method '%s %s' not implemented", c.method, c.path)}
	}
	c.vars = vars
	params, perr := parseParams(c.r)
	if perr != nil {
		return nil, perr
	}
	if !rt.noAuth {
		who, aerr := s.authenticate(c.r, c.now)
		if aerr != nil {
			return nil, aerr
		}
		c.caller = who
		if rt.priv != "" {
			if perr := s.checkPriv(who, rt, vars); perr != nil {
				return nil, perr
			}
		}
	}
	// Path parameters take part in validation like body parameters, and a
	// conflicting duplicate in the body is refused.
	for k, v := range vars {
		if old, ok := params[k]; ok && old != v {
			return nil, paramErr1(k, "duplicate parameter (already defined in URI) with conflicting values!")
		}
		params[k] = v
	}
	c.params = params
	if s.validate != nil {
		if errs, ok := s.validate(c.method, c.path, params); ok && len(errs) > 0 {
			return nil, paramErr(errs)
		}
	}
	data, err := rt.h(c)
	if s.taskDur == 0 {
		s.mu.Lock()
		s.advanceLocked(c.now)
		s.mu.Unlock()
	}
	return data, err
}

// parseParams merges query and body parameters. Query parameters override
// body keys, as pve-http-server does.
func parseParams(r *http.Request) (map[string]string, *apiError) {
	params := map[string]string{}
	var body []byte
	if r.Body != nil {
		b, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
		if err != nil {
			return nil, &apiError{status: http.StatusBadRequest, msg: "unable to read request body"}
		}
		if len(b) > maxBodyBytes {
			return nil, &apiError{status: http.StatusRequestEntityTooLarge, msg: "request too large"}
		}
		body = b
	}
	if len(bytes.TrimSpace(body)) > 0 {
		if r.Method == http.MethodGet || r.Method == http.MethodDelete {
			return nil, &apiError{status: http.StatusNotImplemented, msg: fmt.Sprintf("Unexpected content for method '%s'", r.Method)}
		}
		ct := r.Header.Get("Content-Type")
		mt, _, _ := mime.ParseMediaType(ct)
		switch mt {
		case "application/json":
			var m map[string]json.RawMessage
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.UseNumber()
			if err := dec.Decode(&m); err != nil {
				return nil, &apiError{status: http.StatusBadRequest, msg: "malformed JSON body: " + firstLine(err.Error())}
			}
			for k, raw := range m {
				params[k] = jsonParamString(raw)
			}
		case "application/x-www-form-urlencoded", "":
			vals, err := url.ParseQuery(string(body))
			if err != nil {
				return nil, &apiError{status: http.StatusBadRequest, msg: "malformed form body: " + firstLine(err.Error())}
			}
			for k, v := range vals {
				params[k] = strings.Join(v, "\x00")
			}
		default:
			return nil, &apiError{status: 506, msg: fmt.Sprintf("unsupported content type '%s'", ct)}
		}
	}
	for k, v := range r.URL.Query() {
		params[k] = strings.Join(v, "\x00")
	}
	return params, nil
}

// jsonParamString turns a JSON body value into the string PVE's parameter
// parser sees: strings as they are, numbers as written, booleans as 1/0.
func jsonParamString(raw json.RawMessage) string {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return string(raw)
	}
	switch t := v.(type) {
	case string:
		return t
	case json.Number:
		return t.String()
	case bool:
		if t {
			return "1"
		}
		return "0"
	case nil:
		return ""
	default:
		return string(raw)
	}
}

func firstLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return s[:i]
	}
	return s
}

// setHeaders sets the headers every pve-api-daemon answer carries.
func setHeaders(h http.Header, now time.Time) {
	d := now.UTC().Format(http.TimeFormat)
	h.Set("Server", "pve-api-daemon/3.0")
	h.Set("Cache-Control", "max-age=0")
	h.Set("Pragma", "no-cache")
	h.Set("Expires", d)
	h.Set("Date", d)
}

func (s *Sim) writeData(w http.ResponseWriter, data any) {
	var body []byte
	var err error
	if e, ok := data.(envelope); ok {
		if e.hasTotal {
			body, err = json.Marshal(struct {
				Data  any `json:"data"`
				Total int `json:"total"`
			}{e.data, e.total})
		} else {
			body, err = json.Marshal(struct {
				Data any `json:"data"`
			}{e.data})
		}
	} else {
		body, err = json.Marshal(struct {
			Data any `json:"data"`
		}{data})
	}
	if err != nil {
		s.writeError(w, nil, errf("unable to encode response: %v", err))
		return
	}
	h := w.Header()
	setHeaders(h, s.now())
	h.Set("Content-Type", "application/json;charset=UTF-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// reasonWriter is implemented by the in-process transport's response
// recorder, which can carry a custom reason phrase.
type reasonWriter interface {
	writeHeaderReason(code int, reason string)
}

// writeError writes an error answer. The status line carries the first
// line of the message: through the in-process transport directly, over a
// real HTTP/1.x connection by hijacking it and writing the response by hand
// (then closing the connection); otherwise the standard reason is used and
// the message is still in the body.
func (s *Sim) writeError(w http.ResponseWriter, r *http.Request, e *apiError) {
	var body []byte
	if e.status != http.StatusUnauthorized {
		payload := map[string]any{"data": nil, "message": e.msg + "\n"}
		if len(e.errs) > 0 {
			payload["errors"] = e.errs
		}
		body, _ = json.Marshal(payload)
	}
	reason := firstLine(e.msg)
	h := w.Header()
	setHeaders(h, s.now())
	if body != nil {
		h.Set("Content-Type", "application/json;charset=UTF-8")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if rw, ok := w.(reasonWriter); ok {
		rw.writeHeaderReason(e.status, reason)
		_, _ = w.Write(body)
		return
	}
	if r != nil && r.ProtoMajor == 1 {
		if hj, ok := w.(http.Hijacker); ok {
			conn, bufrw, err := hj.Hijack()
			if err == nil {
				defer func() { _ = conn.Close() }() // the reply is flushed below; the connection closes as PVE does
				h.Set("Connection", "close")
				writeRawResponse(bufrw.Writer, r.Proto, e.status, reason, h, body)
				_ = bufrw.Flush()
				return
			}
		}
	}
	w.WriteHeader(e.status)
	_, _ = w.Write(body)
}

func writeRawResponse(w *bufio.Writer, proto string, status int, reason string, h http.Header, body []byte) {
	if proto == "" {
		proto = "HTTP/1.1"
	}
	fmt.Fprintf(w, "%s %03d %s\r\n", proto, status, reason)
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			fmt.Fprintf(w, "%s: %s\r\n", k, v)
		}
	}
	_, _ = w.WriteString("\r\n")
	_, _ = w.Write(body)
}

// injectFaults applies latency, resets and 5xx answers. It reports whether
// the request should be served.
func (s *Sim) injectFaults(w http.ResponseWriter, r *http.Request) bool {
	o := &s.opts
	if o.Latency == 0 && o.Jitter == 0 && o.FailRate == 0 && o.ResetRate == 0 {
		return true
	}
	s.faultMu.Lock()
	u := s.faultRNG.Float64()
	pick := s.faultRNG.IntN(3)
	var jitter time.Duration
	if o.Jitter > 0 {
		jitter = time.Duration(s.faultRNG.Int64N(int64(o.Jitter) + 1))
	}
	s.faultMu.Unlock()
	if !sleepCtx(r.Context(), o.Latency+jitter) {
		panic(http.ErrAbortHandler)
	}
	switch {
	case u < o.ResetRate:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return false
			}
		}
		panic(http.ErrAbortHandler)
	case u < o.ResetRate+o.FailRate:
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxBodyBytes))
		codes := []*apiError{
			{status: http.StatusInternalServerError, msg: "got timeout"},
			{status: http.StatusBadGateway, msg: "Bad Gateway"},
			{status: http.StatusServiceUnavailable, msg: "Service Unavailable"},
		}
		s.writeError(w, r, codes[pick])
		return false
	}
	return true
}
