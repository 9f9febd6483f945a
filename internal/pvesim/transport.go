package pvesim

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// ErrConnectionReset is returned by the in-process transport when fault
// injection drops a request's connection.
var ErrConnectionReset = errors.New("pvesim: connection reset by peer (simulated)")

// RoundTripper returns an in-process transport that calls ServeHTTP without
// a socket. It is safe for concurrent use.
func (s *Sim) RoundTripper() http.RoundTripper { return transport{s: s} }

type transport struct{ s *Sim }

var _ http.RoundTripper = transport{}

func (t transport) RoundTrip(req *http.Request) (resp *http.Response, err error) {
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	// The server side must not share the caller's body or header maps.
	in := req.Clone(req.Context())
	if req.Body != nil && req.Body != http.NoBody {
		b, rerr := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if rerr != nil {
			return nil, fmt.Errorf("pvesim: read request body: %w", rerr)
		}
		in.Body = io.NopCloser(bytes.NewReader(b))
		in.ContentLength = int64(len(b))
	} else {
		in.Body = http.NoBody
	}
	if in.Proto == "" {
		in.Proto, in.ProtoMajor, in.ProtoMinor = "HTTP/1.1", 1, 1
	}
	in.RequestURI = req.URL.RequestURI()
	in.RemoteAddr = "127.0.0.1:0"
	rec := &recorder{header: http.Header{}}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler { //nolint:errorlint // sentinel panic value
				resp, err = nil, ErrConnectionReset
				return
			}
			panic(p)
		}
	}()
	t.s.ServeHTTP(rec, in)
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	if rec.code == 0 {
		rec.code = http.StatusOK
	}
	status := rec.reason
	if status == "" {
		status = http.StatusText(rec.code)
	}
	return &http.Response{
		Status:        strconv.Itoa(rec.code) + " " + status,
		StatusCode:    rec.code,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        rec.header,
		Body:          io.NopCloser(bytes.NewReader(rec.body.Bytes())),
		ContentLength: int64(rec.body.Len()),
		Request:       req,
	}, nil
}

// recorder is the in-process ResponseWriter. It can carry a custom reason
// phrase, which net/http's server cannot.
type recorder struct {
	header http.Header
	code   int
	reason string
	body   bytes.Buffer
}

var (
	_ http.ResponseWriter = (*recorder)(nil)
	_ reasonWriter        = (*recorder)(nil)
)

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}

func (r *recorder) writeHeaderReason(code int, reason string) {
	if r.code == 0 {
		r.code, r.reason = code, reason
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.body.Write(b)
}
