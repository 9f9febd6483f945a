package app

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state/sqlite"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

// TestReportIssueLeaksNothing is the observability issue's "done when":
// report-issue on a workspace synced from the simulator produces a bundle
// in which none of the workspace's real names, addresses or secrets
// appear, and anonymize --reverse restores an anonymized text exactly.
func TestReportIssueLeaksNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	bin := buildBinary(t)
	srv, fp := simTLS(t, pvesim.Options{TaskDuration: -1})

	dir, home, outside := t.TempDir(), t.TempDir(), t.TempDir()
	pmc := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		cmd.Env = []string{"HOME=" + home, "NO_COLOR=1", "PROXMOX_VE_API_TOKEN=" + pvesim.DefaultToken, "PATH=" + os.Getenv("PATH")}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("proxmox-mpc %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
		}
		return stdout.String()
	}
	pmc("init", "--endpoint", srv.URL, "--fingerprint", fp, "--yes")
	pmc("sync")

	// every real name: nodes, guests, storages, pools
	var names []string
	for _, kind := range []string{"nodes", "vms", "containers", "storage"} {
		var rows []struct{ Name, Pool string }
		if err := json.Unmarshal([]byte(pmc("get", kind, "-o", "json", "--from-state")), &rows); err != nil {
			t.Fatalf("get %s: %v", kind, err)
		}
		for _, r := range rows {
			for _, n := range []string{r.Name, r.Pool} {
				if n != "" && !slices.Contains(names, n) && !genericName(n) {
					names = append(names, n)
				}
			}
		}
	}
	if len(names) < 20 {
		t.Fatalf("only %d names from the state: %v", len(names), names)
	}
	// every address: agent IPs, cloud-init and container IPs, MACs, the endpoint
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	addrs := append(stateAddresses(t, workspace.StatePath(dir)), u.Host)
	_, secret, _ := strings.Cut(pvesim.DefaultToken, "=")
	secrets := []string{secret, pvesim.DefaultToken}

	out := pmc("report-issue")
	m := regexp.MustCompile(`(?m)^Bundle: +(\S+) \(`).FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "anonymized)") || !strings.Contains(out, "Suggested prompt") {
		t.Fatalf("report-issue printed:\n%s", out)
	}
	members := untar(t, filepath.Join(dir, m[1]))
	for _, want := range []string{"MANIFEST.txt", "state.json", "config.yaml", "errors.json"} {
		if _, ok := members[want]; !ok {
			t.Errorf("the bundle misses %s", want)
		}
	}
	if len(members) < 20 {
		t.Errorf("the bundle holds only %d members", len(members))
	}
	for name, data := range members {
		leaks(t, name, append([]byte(name+"\n"), data...), names, addrs, secrets)
	}

	// anonymize a text with real names, then restore it exactly
	text := "web-01 on pve1 cannot reach db-01 (192.168.1.23) through pihole; k8s-worker-01 on nas is fine.\n" +
		"  second line keeps its spacing\ttabs, and the endpoint " + srv.URL + "\n"
	if err := os.WriteFile(filepath.Join(dir, "note.txt"), []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	mapPath := filepath.Join(outside, "map.json")
	out = pmc("anonymize", "note.txt", "--export-map", mapPath)
	if !strings.Contains(out, "Wrote note.anon.txt") || !strings.Contains(out, "masked: ") {
		t.Errorf("anonymize printed:\n%s", out)
	}
	anon, err := os.ReadFile(filepath.Join(dir, "note.anon.txt"))
	if err != nil {
		t.Fatal(err)
	}
	leaks(t, "note.anon.txt", anon, names, addrs, secrets)
	pmc("anonymize", "--reverse", "note.anon.txt", "--map", mapPath)
	back, err := os.ReadFile(filepath.Join(dir, "note.real.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back, []byte(text)) {
		t.Errorf("anonymize --reverse gave\n%q\nwant\n%q", back, text)
	}
}

// genericName: PVE's default names identify nobody and are kept.
func genericName(n string) bool { return n == "local" || n == "local-lvm" || n == "pve" }

// stateAddresses reads every guest address and MAC from the state store
// (loopback addresses excepted: they identify nobody).
func stateAddresses(t *testing.T, path string) []string {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Close() }()
	inv, err := st.Inventory(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	add := func(s string) {
		if a, err := netip.ParseAddr(s); err == nil && (a.IsLoopback() || a.IsUnspecified()) {
			return
		}
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	ipRe := regexp.MustCompile(`(?:ip6?|gw6?)=([0-9a-fA-F:.]+)`) // the address of ip=CIDR, gw=IP
	macRe := regexp.MustCompile(`(?i)\b[0-9a-f]{2}(?::[0-9a-f]{2}){5}\b`)
	var macs, ips int
	for _, g := range inv.Guests {
		for _, cidr := range g.AgentIPs {
			ip, _, _ := strings.Cut(cidr, "/")
			add(ip)
			ips++
		}
		for k, v := range g.Config {
			if !strings.HasPrefix(k, "net") && !strings.HasPrefix(k, "ipconfig") {
				continue
			}
			for _, m := range ipRe.FindAllStringSubmatch(v, -1) {
				if _, err := netip.ParseAddr(m[1]); err == nil { // not dhcp, auto, manual
					add(m[1])
					ips++
				}
			}
			for _, m := range macRe.FindAllString(v, -1) {
				add(m)
				macs++
			}
		}
	}
	if macs < 10 || ips < 10 {
		t.Fatalf("only %d MACs and %d addresses in the state", macs, ips)
	}
	return out
}

// leaks fails for every real name (as a whole word, or as a terraform
// identifier), address, MAC or secret in data.
func leaks(t *testing.T, what string, data []byte, names, addrs, secrets []string) {
	t.Helper()
	lower := bytes.ToLower(data)
	for _, n := range names {
		for _, v := range []string{n, strings.ReplaceAll(n, "-", "_")} {
			re := regexp.MustCompile(`(?i)(^|[^a-z0-9_-])` + regexp.QuoteMeta(v) + `($|[^a-z0-9_-])`)
			if loc := re.FindIndex(data); loc != nil {
				t.Errorf("%s holds the name %q: …%s…", what, v, context40(data, loc))
			}
		}
	}
	for _, a := range append(slices.Clone(addrs), secrets...) {
		if i := bytes.Index(lower, bytes.ToLower([]byte(a))); i >= 0 {
			t.Errorf("%s holds %q: …%s…", what, a, context40(data, []int{i, i + len(a)}))
		}
	}
}

func context40(data []byte, loc []int) []byte {
	return data[max(0, loc[0]-40):min(len(data), loc[1]+40)]
}

func untar(t *testing.T, path string) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	out := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name] = data
	}
}
