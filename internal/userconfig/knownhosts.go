package userconfig

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
)

// KnownHostsFile is the name of the pinned-fingerprint file in the config dir.
const KnownHostsFile = "known_fingerprints"

// KnownHosts maps an endpoint's host:port to the SHA-256 fingerprint of the
// certificate the user confirmed with `test-connection --fingerprint`
// (trust on first use, like ssh's known_hosts). Later commands to that
// endpoint pin it without --fingerprint.
type KnownHosts map[string]string

// KnownHostsPath returns the file's path in the user's config dir.
func KnownHostsPath(getenv Getenv) (string, error) {
	dir, err := DirFromEnv(getenv)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, KnownHostsFile), nil
}

// HostKey is the key of endpoint in KnownHosts: lower-case host:port, with
// PVE's port 8006 when the URL names none. It is "" for a non-URL.
func HostKey(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return ""
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "8006"
	}
	return strings.ToLower(net.JoinHostPort(host, port))
}

// LoadKnownHosts reads the file; a missing file is an empty map. Lines are
// "HOST:PORT FINGERPRINT"; blank lines and # comments are skipped.
func LoadKnownHosts(path string) (KnownHosts, error) {
	data, err := readLimited(path, maxFileSize)
	if errors.Is(err, fs.ErrNotExist) {
		return KnownHosts{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read known fingerprints: %w", err)
	}
	return ParseKnownHosts(path, data)
}

// ParseKnownHosts parses the file's contents; path names it in errors.
func ParseKnownHosts(path string, data []byte) (KnownHosts, error) {
	k := KnownHosts{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxFileSize)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 || !strings.Contains(f[0], ":") || !fingerprintRE.MatchString(f[1]) {
			return nil, &ParseError{File: path, Line: n, Msg: "want HOST:PORT and a SHA-256 fingerprint AA:BB:... on each line"}
		}
		k[strings.ToLower(f[0])] = strings.ToUpper(f[1])
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return k, nil
}

// Marshal encodes the map in a stable order.
func (k KnownHosts) Marshal() []byte {
	keys := make([]string, 0, len(k))
	for h := range k {
		keys = append(keys, h)
	}
	slices.Sort(keys)
	var b bytes.Buffer
	b.WriteString("# Certificates confirmed with `proxmox-mpc test-connection --fingerprint`.\n")
	for _, h := range keys {
		fmt.Fprintf(&b, "%s %s\n", h, k[h])
	}
	return b.Bytes()
}

// SaveKnownHosts writes the file (0600, atomically).
func SaveKnownHosts(path string, k KnownHosts) error {
	if err := writeFileAtomic(path, k.Marshal()); err != nil {
		return fmt.Errorf("write known fingerprints: %w", err)
	}
	return nil
}
