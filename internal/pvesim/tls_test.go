package pvesim

import (
	"crypto/sha256"
	"crypto/tls"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestSelfSignedCert(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 11, 24, 10, 0, 0, 0, time.UTC)
	cert, fp, err := SelfSignedCert([]string{"pve.home.arpa", "10.0.0.5", "127.0.0.1"}, now)
	if err != nil {
		t.Fatal(err)
	}
	leaf := cert.Leaf
	if got := fmt.Sprintf("%X", sha256.Sum256(leaf.Raw)); strings.ReplaceAll(fp, ":", "") != got || len(fp) != 95 {
		t.Fatalf("fingerprint %q does not match leaf %s", fp, got)
	}
	if !leaf.NotAfter.Equal(now.AddDate(1, 0, 0)) {
		t.Errorf("NotAfter = %v", leaf.NotAfter)
	}
	for _, h := range []string{"localhost", "pve.home.arpa", "127.0.0.1", "::1", "10.0.0.5"} {
		if err := leaf.VerifyHostname(h); err != nil {
			t.Errorf("VerifyHostname(%s): %v", h, err)
		}
	}
	if len(leaf.IPAddresses) != 3 {
		t.Errorf("IP SANs = %v, want 127.0.0.1, ::1, 10.0.0.5 once each", leaf.IPAddresses)
	}
	// Serve with it and pin the fingerprint, as `proxmox-mpc sim` users do.
	s, _ := newTestSim(t, Options{})
	srv := httptest.NewUnstartedServer(s)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	defer srv.Close()
	cl := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
		InsecureSkipVerify: true, //nolint:gosec // pinned below
		VerifyConnection: func(cs tls.ConnectionState) error {
			if got := fmt.Sprintf("%X", sha256.Sum256(cs.PeerCertificates[0].Raw)); got != strings.ReplaceAll(fp, ":", "") {
				return fmt.Errorf("fingerprint mismatch")
			}
			return nil
		},
	}}}
	res, err := cl.Get(srv.URL + "/api2/json/version")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 || res.Status != "401 No ticket" {
		t.Fatalf("unauthenticated GET over TLS = %q", res.Status)
	}
}
