package pve

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// verifyError is what VerifyConnection returns; classify turns it into a
// *TLSError.
type verifyError struct {
	want, got string
	err       error
}

func (e *verifyError) Error() string {
	if e.want != "" {
		return fmt.Sprintf("certificate fingerprint %s does not match the pinned %s", e.got, e.want)
	}
	return errText(e.err)
}

func (e *verifyError) Unwrap() error { return e.err }

// errFingerprintMismatch is the cause inside a pinning *TLSError.
var errFingerprintMismatch = errors.New("certificate fingerprint mismatch")

// buildTransport makes the HTTP transport for the TLS settings in cfg.
// Chain verification is done in VerifyConnection for every mode, so the
// peer fingerprint is recorded even when verification fails.
func (c *Client) buildTransport(cfg Config, host string) (*http.Transport, error) {
	var (
		roots *x509.CertPool
		pin   string
	)
	switch {
	case strings.TrimSpace(cfg.Fingerprint) != "":
		fp, err := NormalizeFingerprint(cfg.Fingerprint)
		if err != nil {
			return nil, &ConfigError{Field: "fingerprint", Problem: err.Error(),
				hint: "pass the SHA-256 fingerprint as shown by `pvenode cert info` or the GUI, e.g. --fingerprint AA:BB:...:FF (64 hex digits)"}
		}
		pin = fp
		c.tlsMode = TLSFingerprint
	case cfg.Insecure:
		c.tlsMode = TLSInsecure
	case strings.TrimSpace(cfg.CAFile) != "":
		pool, err := readCAFile(strings.TrimSpace(cfg.CAFile))
		if err != nil {
			return nil, err
		}
		roots = pool
		c.tlsMode = TLSCAFile
	default:
		c.tlsMode = TLSVerified
	}
	mode := c.tlsMode
	tc := &tls.Config{
		MinVersion: tls.VersionTLS12,
		// Verification happens in VerifyConnection below, for every mode.
		InsecureSkipVerify: true, //nolint:gosec // verified in VerifyConnection
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return &verifyError{err: errors.New("server sent no certificate")}
			}
			got := FormatFingerprint(cs.PeerCertificates[0].Raw)
			c.peerFP.Store(got)
			switch mode {
			case TLSInsecure:
				return nil
			case TLSFingerprint:
				if got != pin {
					return &verifyError{want: pin, got: got, err: errFingerprintMismatch}
				}
				return nil
			}
			inter := x509.NewCertPool()
			for _, ic := range cs.PeerCertificates[1:] {
				inter.AddCert(ic)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{
				DNSName:       host,
				Roots:         roots,
				Intermediates: inter,
			})
			if err != nil {
				return &verifyError{got: got, err: err}
			}
			return nil
		},
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = tc
	// Keep a connection per concurrent caller: discovery reads guests 16 at
	// a time, and the default of 2 idle connections per host would make
	// most requests pay a new TLS handshake.
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 256
	return t, nil
}

// FormatFingerprint is the SHA-256 of a DER certificate as "AA:BB:...".
func FormatFingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return colonHex(sum[:])
}

func colonHex(b []byte) string {
	h := strings.ToUpper(hex.EncodeToString(b))
	var sb strings.Builder
	sb.Grow(len(h) + len(h)/2)
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			sb.WriteByte(':')
		}
		sb.WriteString(h[i : i+2])
	}
	return sb.String()
}

// NormalizeFingerprint accepts a SHA-256 fingerprint as "AA:BB:..",
// lowercase, with or without colons (an openssl-style "sha256
// Fingerprint=" prefix is dropped) and returns the "AA:BB:..." form.
func NormalizeFingerprint(s string) (string, error) {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "="); i >= 0 {
		s = s[i+1:]
	}
	clean := strings.NewReplacer(":", "", " ", "", "-", "").Replace(s)
	if len(clean) != 64 {
		return "", fmt.Errorf("a SHA-256 fingerprint has 64 hex digits, got %d", len(clean))
	}
	b, err := hex.DecodeString(clean)
	if err != nil {
		return "", errors.New("fingerprint is not hexadecimal")
	}
	return colonHex(b), nil
}

// FetchFingerprint dials endpoint over TLS without verifying it and returns
// the leaf certificate's SHA-256 fingerprint, for trust on first use. The
// caller must show it to the user to check before pinning it.
func FetchFingerprint(ctx context.Context, endpoint string, timeout time.Duration) (string, error) {
	u, err := parseEndpoint(endpoint, false)
	if err != nil {
		return "", err
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "443")
	}
	d := &tls.Dialer{Config: &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, //nolint:gosec // trust on first use: the caller verifies the fingerprint
		ServerName:         u.Hostname(),
	}}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", &NetworkError{Endpoint: u.Scheme + "://" + u.Host, Err: err}
	}
	defer func() { _ = conn.Close() }()
	tc, ok := conn.(*tls.Conn)
	if !ok {
		return "", &NetworkError{Endpoint: u.Scheme + "://" + u.Host, Err: errors.New("not a TLS connection")}
	}
	certs := tc.ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return "", &TLSError{Endpoint: u.Scheme + "://" + u.Host, Err: errors.New("server sent no certificate")}
	}
	return FormatFingerprint(certs[0].Raw), nil
}
