package mcp

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// ErrNoToken means the HTTP transport was asked for without a bearer token.
var ErrNoToken = errors.New("the HTTP transport needs a bearer token")

// HTTPHandler serves the server over streamable HTTP, answering 401 to
// any request without "Authorization: Bearer <token>" (compared in
// constant time).
func (s *Server) HTTPHandler(token string) (http.Handler, error) {
	if strings.TrimSpace(token) == "" {
		return nil, ErrNoToken
	}
	h := sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return s.sdk }, nil)
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="proxmox-mpc"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}), nil
}

// CheckListenAddr refuses an address that is not on the loopback
// interface unless public is set.
func CheckListenAddr(addr string, public bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: want HOST:PORT: %w", addr, err)
	}
	if public {
		return nil
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return &PublicAddrError{Addr: addr}
	}
	return nil
}

// PublicAddrError is a non-loopback listen address without --http-public.
type PublicAddrError struct{ Addr string }

func (e *PublicAddrError) Error() string {
	return fmt.Sprintf("%s is not a loopback address", e.Addr)
}

// Hint says how to listen there anyway.
func (e *PublicAddrError) Hint() string {
	return "listen on 127.0.0.1:PORT, or pass --http-public to expose the server beyond this machine"
}
