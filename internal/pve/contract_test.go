package pve_test

// Contract tests: the pve client against the pvesim simulator, over real
// TLS with a pinned certificate (STYLE.md B7, "pve contract tests against
// pvesim"). The two packages were written independently, so every case
// asserts what real PVE does (shared/pve-api/WIRE.md and the upstream Perl
// it cites) and either side may be the one at fault when a case fails.
//
// Every test builds its own simulator; nothing is shared between tests.

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
)

// contractTaskDuration keeps simulated tasks short for lifecycle tests.
const contractTaskDuration = 20 * time.Millisecond

var (
	contractDigestRE = regexp.MustCompile(`^[0-9a-f]{40}$`)
	contractMACRE    = regexp.MustCompile(`^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$`)
	contractRepoIDRE = regexp.MustCompile(`^([0-9a-f]{8}|[0-9a-f]{16})$`)
)

// contractEnv is one fresh simulator behind a real TLS listener.
type contractEnv struct {
	fx  pvesim.Fixtures
	url string // https://127.0.0.1:PORT
	fp  string // SHA-256 fingerprint of the server certificate
}

func newContractEnv(t *testing.T, opts pvesim.Options) *contractEnv {
	t.Helper()
	sim, err := pvesim.New(opts)
	if err != nil {
		t.Fatalf("pvesim.New: %v", err)
	}
	cert, fp, err := pvesim.SelfSignedCert(nil, time.Now())
	if err != nil {
		t.Fatalf("SelfSignedCert: %v", err)
	}
	srv := httptest.NewUnstartedServer(sim)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return &contractEnv{fx: sim.Fixtures(), url: srv.URL, fp: fp}
}

// client builds a client pinned to the server certificate. Without
// credentials in cfg it uses pvesim.DefaultToken.
func (e *contractEnv) client(t *testing.T, cfg pve.Config) *pve.Client {
	t.Helper()
	cfg.Endpoint = e.url
	if cfg.Fingerprint == "" {
		cfg.Fingerprint = e.fp
	}
	if cfg.APIToken == "" && cfg.Username == "" {
		cfg.APIToken = pvesim.DefaultToken
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	c, err := pve.New(cfg)
	if err != nil {
		t.Fatalf("pve.New: %v", err)
	}
	return c
}

// newContract is a fresh default (homelab, DefaultToken) simulator and client.
func newContract(t *testing.T, opts pvesim.Options) (*pve.Client, pvesim.Fixtures) {
	t.Helper()
	e := newContractEnv(t, opts)
	return e.client(t, pve.Config{}), e.fx
}

// contractWait waits for a task that must succeed.
func contractWait(t *testing.T, c *pve.Client, upid string) *pve.TaskStatus {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	st, err := c.WaitTask(ctx, upid, pve.WaitOptions{Interval: 10 * time.Millisecond})
	if err != nil {
		t.Fatalf("WaitTask(%s): %v", upid, err)
	}
	if !st.Succeeded() {
		t.Fatalf("WaitTask(%s) = %+v, want stopped with OK", upid, st)
	}
	return st
}

// contractUPID parses a task id and checks its node, type and id.
func contractUPID(t *testing.T, upid, node, typ, id string) pve.UPID {
	t.Helper()
	u, err := pve.ParseUPID(upid)
	if err != nil {
		t.Fatalf("ParseUPID(%q): %v", upid, err)
	}
	if u.Node != node || u.Type != typ || u.ID != id {
		t.Fatalf("UPID %s: node/type/id = %s/%s/%s, want %s/%s/%s", upid, u.Node, u.Type, u.ID, node, typ, id)
	}
	return u
}

// contractAPIError unwraps an *APIError or fails.
func contractAPIError(t *testing.T, err error) *pve.APIError {
	t.Helper()
	var ae *pve.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want a *pve.APIError, got %T: %v", err, err)
	}
	return ae
}

// contractGuestNode finds the node of a guest from /cluster/resources.
func contractGuestNode(t *testing.T, c *pve.Client, vmid int) string {
	t.Helper()
	rows, err := c.ClusterResources(t.Context(), "vm")
	if err != nil {
		t.Fatalf("ClusterResources: %v", err)
	}
	for _, r := range rows {
		if int(r.VMID) == vmid {
			return r.Node
		}
	}
	t.Fatalf("guest %d not in /cluster/resources", vmid)
	return ""
}

// contractBootDisk returns the first qemu disk key present in a config.
func contractBootDisk(t *testing.T, cfg *pve.GuestConfig) (string, pve.Disk) {
	t.Helper()
	for _, k := range []string{"scsi0", "virtio0", "sata0", "ide0"} {
		if v, ok := cfg.Values[k]; ok {
			d, err := pve.ParseDisk(v)
			if err != nil {
				t.Fatalf("ParseDisk(%s=%q): %v", k, v, err)
			}
			return k, d
		}
	}
	t.Fatalf("config has no disk: %v", cfg.Keys())
	return "", pve.Disk{}
}

// contractNet parses net0 of a config and checks it carries a MAC.
func contractNet(t *testing.T, cfg *pve.GuestConfig) pve.NetDevice {
	t.Helper()
	v, ok := cfg.Values["net0"]
	if !ok {
		t.Fatalf("config has no net0: %v", cfg.Keys())
	}
	nd, err := pve.ParseNetDevice(v)
	if err != nil {
		t.Fatalf("ParseNetDevice(%q): %v", v, err)
	}
	if !contractMACRE.MatchString(nd.MAC) {
		t.Fatalf("net0 %q: MAC %q is not a MAC address", v, nd.MAC)
	}
	return nd
}

// contractGuestRow is what /nodes/{node}/{qemu,lxc} and /cluster/resources
// must agree on for one guest.
type contractGuestRow struct {
	Node, Type, Name, Status string
	MaxMem                   int64
	Template                 bool
}

func TestContractReads(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		check func(t *testing.T, c *pve.Client, fx pvesim.Fixtures)
	}{
		{"Version", func(t *testing.T, c *pve.Client, _ pvesim.Fixtures) {
			v, err := c.Version(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if v.Version == "" || v.Release == "" || !strings.HasPrefix(v.Version, v.Release) {
				t.Errorf("version %q release %q: release must prefix version", v.Version, v.Release)
			}
			if !contractRepoIDRE.MatchString(v.RepoID) {
				t.Errorf("repoid %q: want 8 (PVE 7) or 16 (PVE 8+) hex digits", v.RepoID)
			}
		}},
		{"NodeVersion", func(t *testing.T, c *pve.Client, fx pvesim.Fixtures) {
			want, err := c.Version(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range fx.Nodes {
				got, err := c.NodeVersion(t.Context(), n)
				if err != nil {
					t.Fatal(err)
				}
				if got.Version != want.Version || got.Release != want.Release || got.RepoID != want.RepoID {
					t.Errorf("node %s version %+v, cluster %+v", n, got, want)
				}
			}
		}},
		{"ClusterStatus", func(t *testing.T, c *pve.Client, fx pvesim.Fixtures) {
			rows, err := c.ClusterStatus(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			var clusters, locals int
			var names []string
			for _, r := range rows {
				switch r.Type {
				case "cluster":
					clusters++
					if r.Name != fx.ClusterName || !bool(r.Quorate) || int(r.Nodes) != len(fx.Nodes) {
						t.Errorf("cluster row %+v: want name %s, quorate, %d nodes", r, fx.ClusterName, len(fx.Nodes))
					}
				case "node":
					names = append(names, r.Name)
					if r.ID != "node/"+r.Name || !bool(r.Online) || r.IP == "" || r.NodeID <= 0 {
						t.Errorf("node row %+v: want id node/NAME, online, an IP and a node id", r)
					}
					if r.Local {
						locals++
					}
				default:
					t.Errorf("unexpected row type %q", r.Type)
				}
			}
			sort.Strings(names)
			if clusters != 1 || locals != 1 {
				t.Errorf("%d cluster rows and %d local nodes, want 1 and 1", clusters, locals)
			}
			if d := cmp.Diff(fx.Nodes, names); d != "" {
				t.Errorf("node names (-want +got):\n%s", d)
			}
		}},
		{"Nodes", func(t *testing.T, c *pve.Client, fx pvesim.Fixtures) {
			nodes, err := c.Nodes(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, n := range nodes {
				names = append(names, n.Node)
				if n.Status != "online" {
					t.Errorf("node %s status %q, want online", n.Node, n.Status)
				}
				if _, err := pve.NormalizeFingerprint(n.SSLFingerprint); err != nil {
					t.Errorf("node %s ssl_fingerprint %q: %v", n.Node, n.SSLFingerprint, err)
				}
				if n.MaxCPU <= 0 || n.MaxMem <= 0 || n.Mem <= 0 || n.Mem > n.MaxMem || n.Uptime <= 0 {
					t.Errorf("node %s: implausible counters %+v", n.Node, n)
				}
			}
			sort.Strings(names)
			if d := cmp.Diff([]string{"pve1", "pve2", "pve3"}, names); d != "" {
				t.Errorf("nodes (-want +got):\n%s", d)
			}
		}},
		{"NodeStatus", func(t *testing.T, c *pve.Client, fx pvesim.Fixtures) {
			v, err := c.Version(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range fx.Nodes {
				st, err := c.NodeStatus(t.Context(), n)
				if err != nil {
					t.Fatal(err)
				}
				if st.CPUInfo.CPUs <= 0 || st.CPUInfo.Model == "" || st.CPUInfo.MHz <= 0 || !bool(st.CPUInfo.HVM) {
					t.Errorf("node %s cpuinfo %+v", n, st.CPUInfo)
				}
				if st.Memory.Total <= 0 || st.Memory.Used+st.Memory.Free != st.Memory.Total {
					t.Errorf("node %s memory %+v: used+free must be total", n, st.Memory)
				}
				if len(st.LoadAvg) != 3 || st.Uptime <= 0 {
					t.Errorf("node %s loadavg %v uptime %d", n, st.LoadAvg, st.Uptime)
				}
				if !strings.Contains(st.PVEVersion, v.Version) {
					t.Errorf("node %s pveversion %q does not name %s", n, st.PVEVersion, v.Version)
				}
			}
		}},
		{"Guests", func(t *testing.T, c *pve.Client, fx pvesim.Fixtures) {
			vms, err := c.Guests(t.Context(), fx.Node, pve.KindVM)
			if err != nil {
				t.Fatal(err)
			}
			byID := map[int]pve.GuestSummary{}
			for _, g := range vms {
				if _, dup := byID[int(g.VMID)]; dup {
					t.Errorf("vmid %d listed twice", g.VMID)
				}
				byID[int(g.VMID)] = g
			}
			for _, w := range []struct {
				vmid     int
				status   string
				template bool
			}{{fx.VMID, "running", false}, {fx.StoppedVMID, "stopped", false}, {fx.TemplateVMID, "stopped", true}} {
				g, ok := byID[w.vmid]
				switch {
				case !ok:
					t.Errorf("qemu list of %s lacks %d", fx.Node, w.vmid)
				case g.Status != w.status || bool(g.Template) != w.template || g.Name == "" || g.MaxMem <= 0:
					t.Errorf("vm %d = %+v, want status %s template %v, a name and maxmem", w.vmid, g, w.status, w.template)
				}
			}
			if g := byID[fx.VMID]; g.Uptime <= 0 || g.QMPStatus != "running" {
				t.Errorf("running vm %d: uptime %d qmpstatus %q", fx.VMID, g.Uptime, g.QMPStatus)
			}
			cts, err := c.Guests(t.Context(), fx.Node, pve.KindCT)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, g := range cts {
				if int(g.VMID) == fx.CTID {
					found = true
					if g.Status != "running" || g.Type != "lxc" {
						t.Errorf("ct %d = %+v, want running lxc", fx.CTID, g)
					}
				}
			}
			if !found {
				t.Errorf("lxc list of %s lacks %d", fx.Node, fx.CTID)
			}
		}},
		{"ClusterResources", func(t *testing.T, c *pve.Client, fx pvesim.Fixtures) {
			ctx := t.Context()
			fromNodes := map[int]contractGuestRow{}
			for _, n := range fx.Nodes {
				for _, kind := range []pve.GuestKind{pve.KindVM, pve.KindCT} {
					gs, err := c.Guests(ctx, n, kind)
					if err != nil {
						t.Fatal(err)
					}
					for _, g := range gs {
						fromNodes[int(g.VMID)] = contractGuestRow{Node: n, Type: string(kind), Name: g.Name, Status: g.Status, MaxMem: int64(g.MaxMem), Template: bool(g.Template)}
					}
				}
			}
			vms, err := c.ClusterResources(ctx, "vm")
			if err != nil {
				t.Fatal(err)
			}
			fromCluster := map[int]contractGuestRow{}
			for _, r := range vms {
				if r.Type != "qemu" && r.Type != "lxc" {
					t.Errorf("type=vm row of type %q", r.Type)
				}
				if r.ID != r.Type+"/"+strconv.Itoa(int(r.VMID)) {
					t.Errorf("row id %q for %s %d", r.ID, r.Type, r.VMID)
				}
				fromCluster[int(r.VMID)] = contractGuestRow{Node: r.Node, Type: r.Type, Name: r.Name, Status: r.Status, MaxMem: int64(r.MaxMem), Template: bool(r.Template)}
			}
			if len(vms) != len(fromNodes) || len(vms) != fx.Guests {
				t.Errorf("/cluster/resources?type=vm has %d rows, node lists %d guests, fixtures %d", len(vms), len(fromNodes), fx.Guests)
			}
			if d := cmp.Diff(fromNodes, fromCluster); d != "" {
				t.Errorf("guests by node lists vs /cluster/resources (-nodes +cluster):\n%s", d)
			}
			for _, r := range vms {
				if int(r.VMID) == fx.HAVMID && r.HAState == "" {
					t.Errorf("HA guest %d has no hastate", fx.HAVMID)
				}
			}
			nodes, err := c.ClusterResources(ctx, "node")
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, r := range nodes {
				if r.Type != "node" || r.ID != "node/"+r.Node || r.Status != "online" {
					t.Errorf("node row %+v", r)
				}
				names = append(names, r.Node)
			}
			sort.Strings(names)
			if d := cmp.Diff(fx.Nodes, names); d != "" {
				t.Errorf("node rows (-want +got):\n%s", d)
			}
			storage, err := c.ClusterResources(ctx, "storage")
			if err != nil {
				t.Fatal(err)
			}
			wantID := "storage/" + fx.Node + "/" + fx.Storage
			found := false
			for _, r := range storage {
				if r.Type != "storage" {
					t.Errorf("type=storage row of type %q", r.Type)
				}
				if r.ID == wantID {
					found = true
					if r.Storage != fx.Storage || r.Node != fx.Node || r.MaxDisk <= 0 || r.Disk > r.MaxDisk {
						t.Errorf("storage row %+v", r)
					}
				}
			}
			if !found {
				t.Errorf("no row %s", wantID)
			}
			all, err := c.ClusterResources(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(all) < len(vms)+len(nodes)+len(storage) {
				t.Errorf("unfiltered list has %d rows, fewer than vm+node+storage = %d", len(all), len(vms)+len(nodes)+len(storage))
			}
		}},
		{"NextID", func(t *testing.T, c *pve.Client, fx pvesim.Fixtures) {
			id, err := c.NextID(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if id < 100 {
				t.Fatalf("nextid %d < 100", id)
			}
			rows, err := c.ClusterResources(t.Context(), "vm")
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				if int(r.VMID) == id {
					t.Fatalf("nextid %d is taken by %s", id, r.ID)
				}
			}
			if err := c.CheckID(t.Context(), id); err != nil {
				t.Errorf("CheckID(free %d): %v", id, err)
			}
			// WIRE.md item 10: a taken id is 400 with errors.vmid.
			ae := contractAPIError(t, c.CheckID(t.Context(), fx.VMID))
			if ae.Status != http.StatusBadRequest || !strings.Contains(ae.Params["vmid"], "already exists") {
				t.Errorf("CheckID(taken %d) = %d %q %v, want 400 with errors.vmid", fx.VMID, ae.Status, ae.Message, ae.Params)
			}
		}},
		{"GuestConfig", func(t *testing.T, c *pve.Client, fx pvesim.Fixtures) {
			cfg, err := c.GuestConfig(t.Context(), fx.Node, pve.KindVM, fx.VMID)
			if err != nil {
				t.Fatal(err)
			}
			if !contractDigestRE.MatchString(cfg.Digest) {
				t.Errorf("digest %q: want 40 hex digits", cfg.Digest)
			}
			if _, ok := cfg.Values["digest"]; ok {
				t.Error("digest left in Values")
			}
			nd := contractNet(t, cfg)
			if nd.Container || nd.Model == "" || nd.Bridge == "" {
				t.Errorf("net0 = %+v, want a qemu NIC model on a bridge", nd)
			}
			if _, d := contractBootDisk(t, cfg); d.Storage != fx.Storage || d.Size <= 0 {
				t.Errorf("boot disk %+v, want on %s with a size", d, fx.Storage)
			}
			vms, err := c.Guests(t.Context(), fx.Node, pve.KindVM)
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range vms {
				if int(g.VMID) == fx.VMID && g.Name != cfg.Values["name"] {
					t.Errorf("config name %q, list name %q", cfg.Values["name"], g.Name)
				}
			}
			again, err := c.GuestConfig(t.Context(), fx.Node, pve.KindVM, fx.VMID)
			if err != nil {
				t.Fatal(err)
			}
			if again.Digest != cfg.Digest {
				t.Errorf("digest changed between two reads: %s, %s", cfg.Digest, again.Digest)
			}
			ct, err := c.GuestConfig(t.Context(), fx.Node, pve.KindCT, fx.CTID)
			if err != nil {
				t.Fatal(err)
			}
			if !contractDigestRE.MatchString(ct.Digest) {
				t.Errorf("ct digest %q: want 40 hex digits", ct.Digest)
			}
			if cnd := contractNet(t, ct); !cnd.Container || cnd.Name == "" {
				t.Errorf("ct net0 = %+v, want a container NIC with a name", cnd)
			}
		}},
		{"GuestStatus", func(t *testing.T, c *pve.Client, fx pvesim.Fixtures) {
			ctx := t.Context()
			st, err := c.GuestStatus(ctx, fx.Node, pve.KindVM, fx.VMID)
			if err != nil {
				t.Fatal(err)
			}
			if int(st.VMID) != fx.VMID || st.Status != "running" || st.QMPStatus != "running" || !bool(st.Agent) || st.Uptime <= 0 || bool(st.HA.Managed) {
				t.Errorf("vm %d status %+v, want running with agent, uptime, not HA", fx.VMID, st)
			}
			st, err = c.GuestStatus(ctx, fx.Node, pve.KindVM, fx.StoppedVMID)
			if err != nil {
				t.Fatal(err)
			}
			if st.Status != "stopped" || st.Uptime != 0 {
				t.Errorf("vm %d status %+v, want stopped", fx.StoppedVMID, st)
			}
			ha := contractGuestNode(t, c, fx.HAVMID)
			st, err = c.GuestStatus(ctx, ha, pve.KindVM, fx.HAVMID)
			if err != nil {
				t.Fatal(err)
			}
			if !st.HA.Managed || st.HA.State == "" {
				t.Errorf("vm %d ha %+v, want managed with a state", fx.HAVMID, st.HA)
			}
			ct, err := c.GuestStatus(ctx, fx.Node, pve.KindCT, fx.CTID)
			if err != nil {
				t.Fatal(err)
			}
			if ct.Status != "running" || int(ct.VMID) != fx.CTID {
				t.Errorf("ct %d status %+v", fx.CTID, ct)
			}
		}},
		{"GuestPending", func(t *testing.T, c *pve.Client, fx pvesim.Fixtures) {
			cfg, err := c.GuestConfig(t.Context(), fx.Node, pve.KindVM, fx.VMID)
			if err != nil {
				t.Fatal(err)
			}
			rows, err := c.GuestPending(t.Context(), fx.Node, pve.KindVM, fx.VMID)
			if err != nil {
				t.Fatal(err)
			}
			// qemu-server's pending call is config_with_pending_array over
			// the loaded config: one row per top-level key, digest, parent
			// and lock included, each with its current value.
			byKey := map[string]pve.PendingItem{}
			for _, r := range rows {
				byKey[r.Key] = r
				if r.Pending != nil || r.Delete {
					t.Errorf("homelab vm %d has a pending change %+v", fx.VMID, r)
				}
			}
			if r, ok := byKey["digest"]; !ok || r.Value == nil || *r.Value != cfg.Digest {
				t.Errorf("pending digest row %+v, want value %s", r, cfg.Digest)
			}
			var missing []string
			for _, k := range cfg.Keys() {
				r, ok := byKey[k]
				switch {
				case !ok:
					missing = append(missing, k)
				case r.Value == nil || *r.Value != cfg.Values[k]:
					t.Errorf("pending row %s value %v, config %q", k, r.Value, cfg.Values[k])
				}
			}
			for _, k := range missing {
				if k != "parent" && k != "lock" {
					t.Errorf("pending list lacks config key %s", k)
				}
			}
			if len(missing) > 0 {
				t.Errorf("pending list lacks %v of GET config (parent: %q); PVE's config_with_pending_array returns every top-level config key, parent and lock included",
					missing, cfg.Values["parent"])
			}
		}},
		{"Storage", func(t *testing.T, c *pve.Client, fx pvesim.Fixtures) {
			list, err := c.Storage(t.Context(), fx.Node)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]pve.Storage{}
			for _, s := range list {
				got[s.Storage] = s
				if !s.Active || !s.Enabled || s.Total <= 0 || s.Used+s.Avail != s.Total || s.UsedFraction < 0 || s.UsedFraction > 1 {
					t.Errorf("storage %+v: want active, enabled, used+avail=total", s)
				}
			}
			for name, content := range map[string]string{fx.Storage: "images", fx.ISOStorage: "iso"} {
				s, ok := got[name]
				if !ok {
					t.Errorf("storage %s missing on %s", name, fx.Node)
					continue
				}
				if !slices.Contains(strings.Split(s.Content, ","), content) {
					t.Errorf("storage %s content %q lacks %s", name, s.Content, content)
				}
			}
		}},
		{"StorageContent", func(t *testing.T, c *pve.Client, fx pvesim.Fixtures) {
			ctx := t.Context()
			for _, w := range []struct{ storage, content, volid string }{
				{fx.ISOStorage, "iso", fx.ISOVolid},
				{fx.ISOStorage, "vztmpl", fx.CTTemplate},
			} {
				items, err := c.StorageContent(ctx, fx.Node, w.storage, w.content)
				if err != nil {
					t.Fatal(err)
				}
				found := false
				for _, it := range items {
					if it.Content != w.content {
						t.Errorf("content=%s filter returned %+v", w.content, it)
					}
					if it.Volid == w.volid {
						found = it.Size > 0
					}
				}
				if !found {
					t.Errorf("%s on %s lacks %s with a size", w.storage, fx.Node, w.volid)
				}
			}
			cfg, err := c.GuestConfig(ctx, fx.Node, pve.KindVM, fx.VMID)
			if err != nil {
				t.Fatal(err)
			}
			_, disk := contractBootDisk(t, cfg)
			items, err := c.StorageContent(ctx, fx.Node, fx.Storage, "images")
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, it := range items {
				if it.Volid == disk.File {
					found = true
					if int(it.VMID) != fx.VMID || int64(it.Size) != disk.Size {
						t.Errorf("volume %+v, want vmid %d size %d (from the config)", it, fx.VMID, disk.Size)
					}
				}
			}
			if !found {
				t.Errorf("%s content lacks the disk %s of vm %d", fx.Storage, disk.File, fx.VMID)
			}
		}},
		{"Network", func(t *testing.T, c *pve.Client, fx pvesim.Fixtures) {
			ifs, err := c.Network(t.Context(), fx.Node)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]pve.NetworkInterface{}
			for _, i := range ifs {
				got[i.Iface] = i
			}
			br, ok := got[fx.Bridge]
			if !ok || br.Type != "bridge" || !bool(br.Active) || br.BridgePorts == "" || br.Address == "" {
				t.Errorf("bridge %s = %+v, want an active bridge with ports and an address", fx.Bridge, br)
			}
			if _, err := netip.ParsePrefix(br.CIDR); err != nil {
				t.Errorf("bridge %s cidr %q: %v", fx.Bridge, br.CIDR, err)
			}
			vl, ok := got[fx.VLANBridge]
			if !ok || vl.Type != "bridge" || !bool(vl.BridgeVLANAware) {
				t.Errorf("bridge %s = %+v, want a VLAN-aware bridge", fx.VLANBridge, vl)
			}
		}},
		{"Tasks", func(t *testing.T, c *pve.Client, fx pvesim.Fixtures) {
			tasks, err := c.Tasks(t.Context(), fx.Node, 0)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, tk := range tasks {
				if tk.Node != fx.Node {
					t.Errorf("task of node %s listed on %s", tk.Node, fx.Node)
				}
				if tk.UPID == fx.UPID {
					found = true
					if tk.Status != "OK" || tk.EndTime < tk.StartTime || tk.Type == "" {
						t.Errorf("task %+v, want status OK and an end time", tk)
					}
				}
			}
			if !found {
				t.Errorf("task list of %s lacks %s", fx.Node, fx.UPID)
			}
			two, err := c.Tasks(t.Context(), fx.Node, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(two) > 2 || len(tasks) < 2 {
				t.Errorf("limit=2 gave %d tasks (unlimited %d)", len(two), len(tasks))
			}
		}},
		{"TaskStatus", func(t *testing.T, c *pve.Client, fx pvesim.Fixtures) {
			st, err := c.TaskStatus(t.Context(), fx.UPID)
			if err != nil {
				t.Fatal(err)
			}
			u, err := pve.ParseUPID(fx.UPID)
			if err != nil {
				t.Fatal(err)
			}
			want := pve.TaskStatus{
				UPID: fx.UPID, Node: u.Node, Type: u.Type, ID: u.ID, User: u.User, Status: "stopped", ExitStatus: "OK",
				PID: pve.Int(u.PID), PStart: pve.Int(u.PStart), StartTime: pve.Int(u.StartTime.Unix()),
			}
			if d := cmp.Diff(want, *st); d != "" {
				t.Errorf("task status (-want +got):\n%s", d)
			}
			if st.Running() || !st.Succeeded() {
				t.Errorf("Running %v Succeeded %v", st.Running(), st.Succeeded())
			}
		}},
		{"TaskLog", func(t *testing.T, c *pve.Client, fx pvesim.Fixtures) {
			lines, err := c.TaskLog(t.Context(), fx.UPID, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(lines) == 0 || lines[len(lines)-1].T != "TASK OK" {
				t.Fatalf("log %+v, want it to end with TASK OK", lines)
			}
			for i, l := range lines {
				if int(l.N) != i+1 {
					t.Errorf("line %d numbered %d, want %d (PVE numbers from 1)", i, l.N, i+1)
				}
			}
			one, err := c.TaskLog(t.Context(), fx.UPID, len(lines)-1, 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(one) != 1 || one[0] != lines[len(lines)-1] {
				t.Errorf("start=%d limit=1 gave %+v", len(lines)-1, one)
			}
			tail, err := c.TaskLogTail(t.Context(), fx.UPID, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(tail) == 0 || tail[len(tail)-1] != "TASK OK" {
				t.Errorf("tail %q", tail)
			}
		}},
		{"Permissions", func(t *testing.T, c *pve.Client, _ pvesim.Fixtures) {
			perms, err := c.Permissions(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			root, ok := perms["/"]
			if !ok {
				t.Fatalf("no permissions on /: %v", perms)
			}
			for _, p := range []string{"VM.Audit", "VM.PowerMgmt", "VM.Allocate", "Sys.Audit", "Datastore.Audit"} {
				if root[p] != 1 {
					t.Errorf("root token lacks %s on / (%v)", p, root)
				}
			}
		}},
		{"Pools", func(t *testing.T, c *pve.Client, fx pvesim.Fixtures) {
			pools, err := c.Pools(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, p := range pools {
				ids = append(ids, p.PoolID)
				if p.PoolID == fx.Pool && p.Comment == "" {
					t.Errorf("pool %s has no comment", fx.Pool)
				}
			}
			if !slices.Contains(ids, fx.Pool) {
				t.Errorf("pools %v lack %s", ids, fx.Pool)
			}
		}},
		{"Snapshots", func(t *testing.T, c *pve.Client, fx pvesim.Fixtures) {
			snaps, err := c.Snapshots(t.Context(), fx.Node, pve.KindVM, fx.VMID)
			if err != nil {
				t.Fatal(err)
			}
			byName := map[string]pve.Snapshot{}
			for _, s := range snaps {
				byName[s.Name] = s
			}
			s, ok := byName[fx.Snapshot]
			if !ok || s.SnapTime <= 0 {
				t.Errorf("snapshots %+v lack %s with a snaptime", snaps, fx.Snapshot)
			}
			cur, ok := byName["current"]
			if !ok || !bool(cur.Running) {
				t.Fatalf("snapshots %+v: want a running \"current\" row", snaps)
			}
			if _, ok := byName[cur.Parent]; !ok || cur.Parent == "current" {
				t.Errorf("current's parent %q is not a snapshot", cur.Parent)
			}
		}},
		{"AgentInterfaces", func(t *testing.T, c *pve.Client, fx pvesim.Fixtures) {
			cfg, err := c.GuestConfig(t.Context(), fx.Node, pve.KindVM, fx.VMID)
			if err != nil {
				t.Fatal(err)
			}
			mac := contractNet(t, cfg).MAC
			ifs, err := c.AgentInterfaces(t.Context(), fx.Node, fx.VMID)
			if err != nil {
				t.Fatal(err)
			}
			var v4 []string
			for _, i := range ifs {
				if !strings.EqualFold(i.HardwareAddress, mac) {
					continue
				}
				for _, ip := range i.IPAddresses {
					if a, err := netip.ParseAddr(ip.Address); err == nil && ip.Type == "ipv4" && a.Is4() && !a.IsLoopback() {
						v4 = append(v4, ip.Address)
					}
				}
			}
			if len(v4) == 0 {
				t.Fatalf("no agent interface with net0's MAC %s and an IPv4 address: %+v", mac, ifs)
			}
			// cloud-init applies a static ipconfig0, so the agent reports it.
			if ipc, err := pve.ParsePropertyString(cfg.Values["ipconfig0"], ""); err == nil {
				if cidr, ok := ipc.Get("ip"); ok && cidr != "dhcp" {
					addr, _, _ := strings.Cut(cidr, "/")
					if !slices.Contains(v4, addr) {
						t.Errorf("agent IPv4 %v lacks ipconfig0 address %s", v4, addr)
					}
				}
			}
		}},
		{"AgentInterfacesStopped", func(t *testing.T, c *pve.Client, fx pvesim.Fixtures) {
			// qemu-server Agent.pm assert_agent_available dies, in order:
			// "No QEMU guest agent configured" (no agent key), "VM N is not
			// running", "QEMU guest agent is not running". Each is a 500: a
			// server error, not "not found".
			withAgent := 0
			rows, err := c.ClusterResources(t.Context(), "vm")
			if err != nil {
				t.Fatal(err)
			}
			var agentNode string
			for _, r := range rows {
				if r.Type != "qemu" || r.Status != "stopped" || r.Template || withAgent != 0 {
					continue
				}
				cfg, err := c.GuestConfig(t.Context(), r.Node, pve.KindVM, int(r.VMID))
				if err != nil {
					t.Fatal(err)
				}
				if v, ok := cfg.Values["agent"]; ok && strings.HasPrefix(v, "1") {
					withAgent, agentNode = int(r.VMID), r.Node
				}
			}
			if withAgent == 0 {
				t.Fatal("homelab has no stopped VM with the agent enabled")
			}
			stopped, err := c.GuestConfig(t.Context(), fx.Node, pve.KindVM, fx.StoppedVMID)
			if err != nil {
				t.Fatal(err)
			}
			wantStopped := fmt.Sprintf("VM %d is not running", fx.StoppedVMID)
			if _, ok := stopped.Values["agent"]; !ok {
				wantStopped = "No QEMU guest agent configured"
			}
			var bugs []string
			for _, q := range []struct {
				node string
				vmid int
				want string
			}{
				{agentNode, withAgent, fmt.Sprintf("VM %d is not running", withAgent)},
				{fx.Node, fx.StoppedVMID, wantStopped},
			} {
				_, err := c.AgentInterfaces(t.Context(), q.node, q.vmid)
				if err == nil {
					t.Errorf("agent of stopped vm %d answered", q.vmid)
					continue
				}
				ae := contractAPIError(t, err)
				if ae.Status != http.StatusInternalServerError || !errors.Is(err, pve.ErrServer) || errors.Is(err, pve.ErrNotFound) {
					t.Errorf("vm %d: got %d %q (ErrServer %v, ErrNotFound %v), want a 500 server error", q.vmid, ae.Status, ae.Message,
						errors.Is(err, pve.ErrServer), errors.Is(err, pve.ErrNotFound))
				}
				if ae.Message != q.want {
					bugs = append(bugs, fmt.Sprintf("vm %d: got %q, want %q", q.vmid, ae.Message, q.want))
				}
			}
			if len(bugs) > 0 {
				t.Errorf("PVE's assert_agent_available checks the agent key first: %s", strings.Join(bugs, "; "))
			}
		}},
		{"ContainerInterfaces", func(t *testing.T, c *pve.Client, fx pvesim.Fixtures) {
			cfg, err := c.GuestConfig(t.Context(), fx.Node, pve.KindCT, fx.CTID)
			if err != nil {
				t.Fatal(err)
			}
			mac := contractNet(t, cfg).MAC
			ifs, err := c.ContainerInterfaces(t.Context(), fx.Node, fx.CTID)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, i := range ifs {
				if strings.EqualFold(i.HardwareAddress, mac) && len(i.IPAddresses) > 0 {
					found = true
				}
			}
			if !found {
				t.Errorf("no interface with net0's MAC %s: %+v", mac, ifs)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, fx := newContract(t, pvesim.Options{})
			tt.check(t, c, fx)
		})
	}
}

// contractStep is one step of a lifecycle; steps run in order and the
// first failure ends the test.
type contractStep struct {
	name string
	run  func(t *testing.T)
}

func runContractSteps(t *testing.T, steps []contractStep) {
	t.Helper()
	for _, s := range steps {
		if !t.Run(s.name, s.run) {
			return
		}
	}
}

func TestContractLifecycle(t *testing.T) {
	t.Parallel()
	c, fx := newContract(t, pvesim.Options{TaskDuration: contractTaskDuration})
	node := fx.Node
	var (
		vmid   int
		sid    string
		volid  string
		digest string
		stale  string
	)
	findRow := func(t *testing.T) (pve.Resource, bool) {
		t.Helper()
		rows, err := c.ClusterResources(t.Context(), "vm")
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if int(r.VMID) == vmid {
				return r, true
			}
		}
		return pve.Resource{}, false
	}
	action := func(t *testing.T, act, typ string) {
		t.Helper()
		upid, err := c.GuestAction(t.Context(), node, pve.KindVM, vmid, act)
		if err != nil {
			t.Fatal(err)
		}
		contractUPID(t, upid, node, typ, sid)
		contractWait(t, c, upid)
	}
	runContractSteps(t, []contractStep{
		{"NextID", func(t *testing.T) {
			id, err := c.NextID(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			vmid, sid = id, strconv.Itoa(id)
		}},
		{"CreateGuest", func(t *testing.T) {
			form := url.Values{
				"vmid": {sid}, "name": {"contract-vm"}, "memory": {"2048"}, "cores": {"2"},
				"net0": {"virtio,bridge=" + fx.Bridge}, "scsi0": {fx.Storage + ":4"}, "scsihw": {"virtio-scsi-single"},
			}
			upid, err := c.CreateGuest(t.Context(), node, pve.KindVM, form)
			if err != nil {
				t.Fatal(err)
			}
			u := contractUPID(t, upid, node, "qmcreate", sid)
			st := contractWait(t, c, upid)
			// WIRE.md item 14: a token caller's UPID names the token; the
			// status endpoint splits it into user and tokenid.
			tokenID, _, _ := strings.Cut(pvesim.DefaultToken, "=")
			user, tok, _ := strings.Cut(tokenID, "!")
			if u.User != tokenID || st.User != user || st.TokenID != tok {
				t.Errorf("UPID user %q, status user %q tokenid %q; want %s, %s, %s", u.User, st.User, st.TokenID, tokenID, user, tok)
			}
			ae := contractAPIError(t, c.CheckID(t.Context(), vmid))
			if ae.Status != http.StatusBadRequest || ae.Params["vmid"] == "" {
				t.Errorf("CheckID(new %d) = %v, want 400 with errors.vmid", vmid, ae)
			}
		}},
		{"ConfigAfterCreate", func(t *testing.T) {
			cfg, err := c.GuestConfig(t.Context(), node, pve.KindVM, vmid)
			if err != nil {
				t.Fatal(err)
			}
			if !contractDigestRE.MatchString(cfg.Digest) {
				t.Errorf("digest %q", cfg.Digest)
			}
			for k, want := range map[string]string{"name": "contract-vm", "memory": "2048", "cores": "2"} {
				if cfg.Values[k] != want {
					t.Errorf("config %s = %q, want %q", k, cfg.Values[k], want)
				}
			}
			// A MAC is generated when net0 has none (WIRE.md item 16).
			if nd := contractNet(t, cfg); nd.Model != "virtio" || nd.Bridge != fx.Bridge {
				t.Errorf("net0 %+v, want virtio on %s", nd, fx.Bridge)
			}
			// scsi0=STORAGE:SIZE allocates a volume of SIZE GiB.
			disk, err := pve.ParseDisk(cfg.Values["scsi0"])
			if err != nil {
				t.Fatal(err)
			}
			if disk.Storage != fx.Storage || disk.Size != 4<<30 || !strings.Contains(disk.Volume, "vm-"+sid+"-disk-") {
				t.Errorf("scsi0 %+v, want a 4 GiB vm-%d-disk-N on %s", disk, vmid, fx.Storage)
			}
			volid = disk.File
			st, err := c.GuestStatus(t.Context(), node, pve.KindVM, vmid)
			if err != nil {
				t.Fatal(err)
			}
			if st.Status != "stopped" || st.Lock != "" {
				t.Errorf("new vm status %q lock %q, want stopped and unlocked", st.Status, st.Lock)
			}
			items, err := c.StorageContent(t.Context(), node, fx.Storage, "images")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(items, func(it pve.StorageItem) bool {
				return it.Volid == volid && int(it.VMID) == vmid && int64(it.Size) == disk.Size
			}) {
				t.Errorf("storage %s does not list %s of vm %d", fx.Storage, volid, vmid)
			}
		}},
		{"Start", func(t *testing.T) {
			action(t, "start", "qmstart")
			st, err := c.GuestStatus(t.Context(), node, pve.KindVM, vmid)
			if err != nil {
				t.Fatal(err)
			}
			if st.Status != "running" || st.QMPStatus != "running" {
				t.Errorf("status %q qmpstatus %q, want running", st.Status, st.QMPStatus)
			}
			if r, ok := findRow(t); !ok || r.Status != "running" || r.Node != node || r.Type != "qemu" {
				t.Errorf("/cluster/resources row %+v (found %v), want running qemu on %s", r, ok, node)
			}
		}},
		{"UpdateConfigWithDigest", func(t *testing.T) {
			cfg, err := c.GuestConfig(t.Context(), node, pve.KindVM, vmid)
			if err != nil {
				t.Fatal(err)
			}
			upid, err := c.UpdateConfig(t.Context(), node, pve.KindVM, vmid,
				url.Values{"digest": {cfg.Digest}, "description": {"contract test"}, "onboot": {"1"}}, false)
			if err != nil {
				t.Fatal(err)
			}
			if upid != "" { // PUT is synchronous and returns null
				t.Errorf("PUT config returned %q, want null", upid)
			}
			after, err := c.GuestConfig(t.Context(), node, pve.KindVM, vmid)
			if err != nil {
				t.Fatal(err)
			}
			if after.Values["description"] != "contract test" || after.Values["onboot"] != "1" {
				t.Errorf("config after PUT: description %q onboot %q", after.Values["description"], after.Values["onboot"])
			}
			if after.Digest == cfg.Digest {
				t.Error("digest unchanged by a config change")
			}
			stale, digest = cfg.Digest, after.Digest
		}},
		{"StaleDigest", func(t *testing.T) {
			// WIRE.md item 17: 500 "checksum mismatch (file change by other user?)".
			_, err := c.UpdateConfig(t.Context(), node, pve.KindVM, vmid, url.Values{"digest": {stale}, "onboot": {"0"}}, false)
			if err == nil {
				t.Fatal("update with a stale digest succeeded")
			}
			ae := contractAPIError(t, err)
			if ae.Status != http.StatusInternalServerError || !strings.Contains(ae.Message, "checksum mismatch") ||
				!errors.Is(err, pve.ErrServer) || errors.Is(err, pve.ErrNotFound) {
				t.Errorf("got %d %q, want 500 checksum mismatch (a server error)", ae.Status, ae.Message)
			}
			cfg, err := c.GuestConfig(t.Context(), node, pve.KindVM, vmid)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Digest != digest || cfg.Values["onboot"] != "1" {
				t.Errorf("refused update changed the config: digest %s onboot %q", cfg.Digest, cfg.Values["onboot"])
			}
		}},
		{"AsyncUpdatePending", func(t *testing.T) {
			// cores cannot be hot-plugged (default hotplug lacks cpu), so
			// POST config on a running VM leaves it pending; GET config
			// shows pending values applied (WIRE.md items 16-17).
			upid, err := c.UpdateConfig(t.Context(), node, pve.KindVM, vmid, url.Values{"digest": {digest}, "cores": {"4"}}, true)
			if err != nil {
				t.Fatal(err)
			}
			if upid != "" {
				contractUPID(t, upid, node, "qmconfig", sid)
				contractWait(t, c, upid)
			}
			rows, err := c.GuestPending(t.Context(), node, pve.KindVM, vmid)
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(rows, func(r pve.PendingItem) bool { return r.Key == "cores" })
			if i < 0 || rows[i].Value == nil || *rows[i].Value != "2" || rows[i].Pending == nil || *rows[i].Pending != "4" {
				t.Errorf("pending rows %+v, want cores value 2 pending 4", rows)
			}
			cfg, err := c.GuestConfig(t.Context(), node, pve.KindVM, vmid)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Values["cores"] != "4" {
				t.Errorf("config cores %q, want the pending 4", cfg.Values["cores"])
			}
		}},
		{"Snapshot", func(t *testing.T) {
			upid, err := c.CreateSnapshot(t.Context(), node, pve.KindVM, vmid, "contract1")
			if err != nil {
				t.Fatal(err)
			}
			contractUPID(t, upid, node, "qmsnapshot", sid)
			contractWait(t, c, upid)
			snaps, err := c.Snapshots(t.Context(), node, pve.KindVM, vmid)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, s := range snaps {
				names = append(names, s.Name)
				if s.Name == "current" && s.Parent != "contract1" {
					t.Errorf("current's parent %q, want contract1", s.Parent)
				}
				if s.Name == "contract1" && s.SnapTime <= 0 {
					t.Error("contract1 has no snaptime")
				}
			}
			if d := cmp.Diff([]string{"contract1", "current"}, names); d != "" {
				t.Errorf("snapshots (-want +got):\n%s", d)
			}
		}},
		{"DeleteRunningRefused", func(t *testing.T) {
			// qemu-server destroy_vm: "VM N is running - destroy failed" before forking.
			_, err := c.DeleteGuest(t.Context(), node, pve.KindVM, vmid, nil)
			if err == nil {
				t.Fatal("destroying a running VM was accepted")
			}
			if ae := contractAPIError(t, err); ae.Status != http.StatusInternalServerError || !strings.Contains(ae.Message, "running") {
				t.Errorf("got %d %q, want 500 ... is running", ae.Status, ae.Message)
			}
		}},
		{"Stop", func(t *testing.T) {
			action(t, "stop", "qmstop")
			st, err := c.GuestStatus(t.Context(), node, pve.KindVM, vmid)
			if err != nil {
				t.Fatal(err)
			}
			if st.Status != "stopped" {
				t.Errorf("status %q, want stopped", st.Status)
			}
			if r, ok := findRow(t); !ok || r.Status != "stopped" {
				t.Errorf("/cluster/resources row %+v (found %v), want stopped", r, ok)
			}
		}},
		{"DeleteGuest", func(t *testing.T) {
			upid, err := c.DeleteGuest(t.Context(), node, pve.KindVM, vmid, url.Values{"purge": {"1"}, "destroy-unreferenced-disks": {"1"}})
			if err != nil {
				t.Fatal(err)
			}
			contractUPID(t, upid, node, "qmdestroy", sid)
			contractWait(t, c, upid)
			_, err = c.GuestConfig(t.Context(), node, pve.KindVM, vmid)
			if !errors.Is(err, pve.ErrNotFound) {
				t.Errorf("GuestConfig after delete: %v, want ErrNotFound", err)
			}
			if r, ok := findRow(t); ok {
				t.Errorf("deleted vm still in /cluster/resources: %+v", r)
			}
			items, err := c.StorageContent(t.Context(), node, fx.Storage, "images")
			if err != nil {
				t.Fatal(err)
			}
			if slices.ContainsFunc(items, func(it pve.StorageItem) bool { return it.Volid == volid }) {
				t.Errorf("disk %s survived the delete", volid)
			}
		}},
	})
}

func TestContractCloneResizeMigrate(t *testing.T) {
	t.Parallel()
	c, fx := newContract(t, pvesim.Options{TaskDuration: contractTaskDuration})
	src := fx.StoppedVMID
	var (
		newid  int
		sid    string
		before pve.Disk
	)
	runContractSteps(t, []contractStep{
		{"Clone", func(t *testing.T) {
			id, err := c.NextID(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			newid, sid = id, strconv.Itoa(id)
			upid, err := c.Clone(t.Context(), fx.Node, src, url.Values{"newid": {sid}, "name": {"contract-clone"}, "full": {"1"}})
			if err != nil {
				t.Fatal(err)
			}
			contractUPID(t, upid, fx.Node, "qmclone", strconv.Itoa(src)) // id is the source vmid (WIRE.md item 14)
			contractWait(t, c, upid)
			orig, err := c.GuestConfig(t.Context(), fx.Node, pve.KindVM, src)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := c.GuestConfig(t.Context(), fx.Node, pve.KindVM, newid)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Values["name"] != "contract-clone" {
				t.Errorf("clone name %q", cfg.Values["name"])
			}
			if a, b := contractNet(t, orig).MAC, contractNet(t, cfg).MAC; strings.EqualFold(a, b) {
				t.Errorf("clone kept the source MAC %s", a)
			}
			_, before = contractBootDisk(t, cfg)
			if !strings.Contains(before.Volume, "vm-"+sid+"-disk-") || before.Size <= 0 {
				t.Errorf("clone disk %+v, want its own vm-%d-disk-N with a size", before, newid)
			}
		}},
		{"Resize", func(t *testing.T) {
			upid, err := c.Resize(t.Context(), fx.Node, pve.KindVM, newid, "scsi0", "+2G")
			if err != nil {
				t.Fatal(err)
			}
			if upid != "" {
				contractUPID(t, upid, fx.Node, "resize", sid)
			}
			contractWait(t, c, upid)
			cfg, err := c.GuestConfig(t.Context(), fx.Node, pve.KindVM, newid)
			if err != nil {
				t.Fatal(err)
			}
			after, err := pve.ParseDisk(cfg.Values["scsi0"])
			if err != nil {
				t.Fatal(err)
			}
			if after.Size != before.Size+2<<30 {
				t.Errorf("size after +2G = %d, want %d", after.Size, before.Size+2<<30)
			}
		}},
		{"Migrate", func(t *testing.T) {
			upid, err := c.Migrate(t.Context(), fx.Node, pve.KindVM, newid, url.Values{"target": {fx.OtherNode}})
			if err != nil {
				t.Fatal(err)
			}
			contractUPID(t, upid, fx.Node, "qmigrate", sid)
			contractWait(t, c, upid)
			if _, err := c.GuestConfig(t.Context(), fx.OtherNode, pve.KindVM, newid); err != nil {
				t.Errorf("config on target %s: %v", fx.OtherNode, err)
			}
			if _, err := c.GuestConfig(t.Context(), fx.Node, pve.KindVM, newid); !errors.Is(err, pve.ErrNotFound) {
				t.Errorf("config on source %s: %v, want ErrNotFound", fx.Node, err)
			}
			if got := contractGuestNode(t, c, newid); got != fx.OtherNode {
				t.Errorf("/cluster/resources puts it on %s, want %s", got, fx.OtherNode)
			}
		}},
		{"RollbackSnapshot", func(t *testing.T) {
			upid, err := c.RollbackSnapshot(t.Context(), fx.Node, pve.KindVM, fx.VMID, fx.Snapshot)
			if err != nil {
				t.Fatal(err)
			}
			contractUPID(t, upid, fx.Node, "qmrollback", strconv.Itoa(fx.VMID))
			contractWait(t, c, upid)
			cfg, err := c.GuestConfig(t.Context(), fx.Node, pve.KindVM, fx.VMID)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Values["parent"] != fx.Snapshot {
				t.Errorf("parent after rollback %q, want %s", cfg.Values["parent"], fx.Snapshot)
			}
			// The fixture snapshot has no RAM state: rollback leaves the VM stopped.
			st, err := c.GuestStatus(t.Context(), fx.Node, pve.KindVM, fx.VMID)
			if err != nil {
				t.Fatal(err)
			}
			if st.Status != "stopped" {
				t.Errorf("status after rollback %q, want stopped", st.Status)
			}
		}},
		{"DeleteSnapshot", func(t *testing.T) {
			upid, err := c.DeleteSnapshot(t.Context(), fx.Node, pve.KindVM, fx.VMID, fx.Snapshot)
			if err != nil {
				t.Fatal(err)
			}
			contractUPID(t, upid, fx.Node, "qmdelsnapshot", strconv.Itoa(fx.VMID))
			contractWait(t, c, upid)
			snaps, err := c.Snapshots(t.Context(), fx.Node, pve.KindVM, fx.VMID)
			if err != nil {
				t.Fatal(err)
			}
			if slices.ContainsFunc(snaps, func(s pve.Snapshot) bool { return s.Name == fx.Snapshot }) {
				t.Errorf("snapshot %s survived: %+v", fx.Snapshot, snaps)
			}
		}},
	})
}

// contractCallKey tags a request context with a call number so the log
// handler can group HTTP attempts by call.
type contractCallKey struct{}

// contractAttempts records the HTTP status of every attempt per call, from
// the client's debug log ("pve api call", status).
type contractAttempts struct {
	mu     sync.Mutex
	byCall map[int][]int
}

var _ slog.Handler = (*contractAttempts)(nil)

func (h *contractAttempts) Enabled(context.Context, slog.Level) bool { return true }

func (h *contractAttempts) Handle(ctx context.Context, r slog.Record) error {
	id, ok := ctx.Value(contractCallKey{}).(int)
	if !ok {
		return nil
	}
	status := -1
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "status" {
			status = int(a.Value.Int64())
		}
		return true
	})
	h.mu.Lock()
	h.byCall[id] = append(h.byCall[id], status)
	h.mu.Unlock()
	return nil
}

func (h *contractAttempts) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *contractAttempts) WithGroup(string) slog.Handler      { return h }

// contractStoppedCT finds a stopped container (not a template) on the
// fixtures' first node.
func contractStoppedCT(t *testing.T, e *contractEnv) int {
	t.Helper()
	c := e.client(t, pve.Config{})
	cts, err := c.Guests(t.Context(), e.fx.Node, pve.KindCT)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range cts {
		if g.Status == "stopped" && !g.Template {
			return int(g.VMID)
		}
	}
	t.Fatalf("no stopped container on %s", e.fx.Node)
	return 0
}

// contractCTRefused checks a container power action that pve-container
// refuses before forking a worker (API2/LXC/Status.pm: vm_start dies "CT N
// already running", vm_stop and vm_shutdown die "CT N not running" after
// PVE::LXC::check_running): a 500 and no task.
func contractCTRefused(t *testing.T, e *contractEnv, vmid int, action, wantFmt string) {
	t.Helper()
	c := e.client(t, pve.Config{})
	want := fmt.Sprintf(wantFmt, vmid)
	upid, err := c.GuestAction(t.Context(), e.fx.Node, pve.KindCT, vmid, action)
	if err == nil {
		outcome := "OK"
		if _, werr := c.WaitTask(t.Context(), upid, pve.WaitOptions{Interval: 10 * time.Millisecond}); werr != nil {
			outcome = werr.Error()
		}
		t.Fatalf("%s of CT %d answered with a task (%s, ending %s); "+
			"pve-container answers 500 %q without starting a task", action, vmid, upid, outcome, want)
	}
	ae := contractAPIError(t, err)
	if ae.Status != http.StatusInternalServerError || ae.Message != want || !errors.Is(err, pve.ErrServer) {
		t.Errorf("got %d %q, want 500 %q", ae.Status, ae.Message, want)
	}
}

func TestContractFailures(t *testing.T) {
	t.Parallel()
	const auditorToken = "auditor@pve!ro=0b7e6a3c-1d2f-4e5a-8b9c-0d1e2f3a4b5c"
	tests := []struct {
		name string
		opts pvesim.Options
		run  func(t *testing.T, e *contractEnv)
	}{
		{"task failure", pvesim.Options{TaskFailRate: 1, TaskDuration: contractTaskDuration}, func(t *testing.T, e *contractEnv) {
			c := e.client(t, pve.Config{})
			upid, err := c.GuestAction(t.Context(), e.fx.Node, pve.KindVM, e.fx.StoppedVMID, "start")
			if err != nil {
				t.Fatal(err)
			}
			st, err := c.WaitTask(t.Context(), upid, pve.WaitOptions{Interval: 10 * time.Millisecond})
			var te *pve.TaskError
			if !errors.As(err, &te) {
				t.Fatalf("WaitTask: %v, want a *pve.TaskError", err)
			}
			if te.UPID != upid || te.ExitStatus == "" || pve.TaskExitOK(te.ExitStatus) {
				t.Errorf("TaskError %+v, want this UPID and a failed exit status", te)
			}
			if len(te.LogTail) == 0 || te.LogTail[len(te.LogTail)-1] != "TASK ERROR: "+te.ExitStatus {
				t.Errorf("log tail %q, want it to end with TASK ERROR: %s", te.LogTail, te.ExitStatus)
			}
			if st == nil || st.Status != "stopped" || st.ExitStatus != te.ExitStatus {
				t.Errorf("status %+v, want stopped with exit %q", st, te.ExitStatus)
			}
			// The failed start left the VM stopped, and the task list
			// reports the error text as the task status.
			gs, err := c.GuestStatus(t.Context(), e.fx.Node, pve.KindVM, e.fx.StoppedVMID)
			if err != nil {
				t.Fatal(err)
			}
			if gs.Status != "stopped" {
				t.Errorf("vm status %q after a failed start", gs.Status)
			}
			tasks, err := c.Tasks(t.Context(), e.fx.Node, 0)
			if err != nil {
				t.Fatal(err)
			}
			if i := slices.IndexFunc(tasks, func(tk pve.Task) bool { return tk.UPID == upid }); i < 0 || tasks[i].Status != te.ExitStatus {
				t.Errorf("task list entry for %s: want status %q", upid, te.ExitStatus)
			}
		}},
		{"start running vm", pvesim.Options{TaskDuration: contractTaskDuration}, func(t *testing.T, e *contractEnv) {
			// qemu-server's vm_start API forks the qmstart worker at once;
			// PVE::QemuServer::vm_start dies "VM N already running" inside
			// it. So the POST answers a UPID and the task fails (WIRE.md
			// lists the text among 500s, which is what a synchronous die
			// of it gives; for qemu it is the worker that dies).
			c := e.client(t, pve.Config{})
			upid, err := c.GuestAction(t.Context(), e.fx.Node, pve.KindVM, e.fx.VMID, "start")
			if err != nil {
				t.Fatalf("start of a running VM: %v, want a task", err)
			}
			contractUPID(t, upid, e.fx.Node, "qmstart", strconv.Itoa(e.fx.VMID))
			_, err = c.WaitTask(t.Context(), upid, pve.WaitOptions{Interval: 10 * time.Millisecond})
			var te *pve.TaskError
			if !errors.As(err, &te) {
				t.Fatalf("WaitTask: %v, want a *pve.TaskError", err)
			}
			want := fmt.Sprintf("VM %d already running", e.fx.VMID)
			if te.ExitStatus != want {
				t.Errorf("exit status %q, want %q", te.ExitStatus, want)
			}
			st, err := c.GuestStatus(t.Context(), e.fx.Node, pve.KindVM, e.fx.VMID)
			if err != nil {
				t.Fatal(err)
			}
			if st.Status != "running" {
				t.Errorf("vm status %q, want still running", st.Status)
			}
		}},
		{"start running ct", pvesim.Options{TaskDuration: contractTaskDuration}, func(t *testing.T, e *contractEnv) {
			contractCTRefused(t, e, e.fx.CTID, "start", "CT %d already running")
		}},
		{"stop stopped ct", pvesim.Options{TaskDuration: contractTaskDuration}, func(t *testing.T, e *contractEnv) {
			contractCTRefused(t, e, contractStoppedCT(t, e), "stop", "CT %d not running")
		}},
		{"shutdown stopped ct", pvesim.Options{TaskDuration: contractTaskDuration}, func(t *testing.T, e *contractEnv) {
			contractCTRefused(t, e, contractStoppedCT(t, e), "shutdown", "CT %d not running")
		}},
		{"bad parameter", pvesim.Options{}, func(t *testing.T, e *contractEnv) {
			c := e.client(t, pve.Config{})
			id, err := c.NextID(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.CreateGuest(t.Context(), e.fx.Node, pve.KindVM, url.Values{"vmid": {strconv.Itoa(id)}, "cores": {"abc"}, "memory": {"512"}})
			if err == nil {
				t.Fatal("create with cores=abc succeeded")
			}
			ae := contractAPIError(t, err)
			if ae.Status != http.StatusBadRequest || ae.Message != "Parameter verification failed." {
				t.Errorf("got %d %q, want 400 Parameter verification failed.", ae.Status, ae.Message)
			}
			if p := ae.Params["cores"]; !strings.Contains(p, "abc") || len(ae.Params) != 1 {
				t.Errorf("errors %v, want only cores (naming 'abc')", ae.Params)
			}
			if errors.Is(err, pve.ErrServer) || errors.Is(err, pve.ErrNotFound) {
				t.Errorf("a 400 matched ErrServer/ErrNotFound: %v", err)
			}
			if _, err := c.GuestConfig(t.Context(), e.fx.Node, pve.KindVM, id); !errors.Is(err, pve.ErrNotFound) {
				t.Errorf("a refused create left vm %d behind: %v", id, err)
			}
		}},
		{"unknown guest", pvesim.Options{}, func(t *testing.T, e *contractEnv) {
			// WIRE.md item 10: missing objects are 500 "... does not exist".
			c := e.client(t, pve.Config{})
			for _, q := range []struct {
				node string
				kind pve.GuestKind
				vmid int
			}{
				{e.fx.Node, pve.KindVM, 4242},
				{e.fx.Node, pve.KindCT, e.fx.VMID},      // right id, wrong kind
				{e.fx.OtherNode, pve.KindVM, e.fx.VMID}, // right id, wrong node
				{"nosuchnode", pve.KindVM, e.fx.VMID},   // unknown node
			} {
				_, err := c.GuestConfig(t.Context(), q.node, q.kind, q.vmid)
				if !errors.Is(err, pve.ErrNotFound) {
					t.Errorf("%s/%s/%d: %v, want ErrNotFound", q.node, q.kind, q.vmid, err)
					continue
				}
				if ae := contractAPIError(t, err); ae.Status != http.StatusInternalServerError {
					t.Errorf("%s/%s/%d: status %d, want 500", q.node, q.kind, q.vmid, ae.Status)
				}
			}
			if _, err := c.GuestStatus(t.Context(), e.fx.Node, pve.KindVM, 4242); !errors.Is(err, pve.ErrNotFound) {
				t.Errorf("GuestStatus(4242): %v, want ErrNotFound", err)
			}
		}},
		{"bad token", pvesim.Options{}, func(t *testing.T, e *contractEnv) {
			id, _, _ := strings.Cut(pvesim.DefaultToken, "=")
			for _, tok := range []string{id + "=00000000-0000-0000-0000-000000000000", "nobody@pve!x=" + strings.Repeat("1", 8)} {
				c := e.client(t, pve.Config{APIToken: tok})
				_, err := c.Version(t.Context())
				if !errors.Is(err, pve.ErrUnauthorized) {
					t.Errorf("token %s…: %v, want ErrUnauthorized", tok[:8], err)
					continue
				}
				if ae := contractAPIError(t, err); ae.Status != http.StatusUnauthorized || ae.Message == "" {
					t.Errorf("got %d %q, want 401 with a message", ae.Status, ae.Message)
				}
				if strings.Contains(err.Error(), "00000000-0000") {
					t.Errorf("error echoes the secret: %v", err)
				}
			}
		}},
		{"ticket auth", pvesim.Options{Users: map[string]string{"root@pam": "pw"}, TaskDuration: contractTaskDuration}, func(t *testing.T, e *contractEnv) {
			c := e.client(t, pve.Config{Username: "root@pam", Password: "pw"})
			if c.AuthMethod() != pve.AuthTicket {
				t.Fatalf("auth method %q", c.AuthMethod())
			}
			if err := c.Login(t.Context()); err != nil {
				t.Fatalf("Login: %v", err)
			}
			// A POST with a ticket needs the CSRFPreventionToken header.
			upid, err := c.GuestAction(t.Context(), e.fx.Node, pve.KindVM, e.fx.StoppedVMID, "start")
			if err != nil {
				t.Fatalf("POST with a ticket: %v", err)
			}
			if u := contractUPID(t, upid, e.fx.Node, "qmstart", strconv.Itoa(e.fx.StoppedVMID)); u.User != "root@pam" {
				t.Errorf("task user %q, want root@pam", u.User)
			}
			contractWait(t, c, upid)
			// And a PUT.
			if _, err := c.UpdateConfig(t.Context(), e.fx.Node, pve.KindVM, e.fx.StoppedVMID, url.Values{"description": {"via ticket"}}, false); err != nil {
				t.Fatalf("PUT with a ticket: %v", err)
			}
			if c.TLSMode() != pve.TLSFingerprint || c.PeerFingerprint() != e.fp {
				t.Errorf("TLS mode %q peer %q, want pinned %s", c.TLSMode(), c.PeerFingerprint(), e.fp)
			}
		}},
		{"ticket wrong password", pvesim.Options{Users: map[string]string{"root@pam": "pw"}}, func(t *testing.T, e *contractEnv) {
			c := e.client(t, pve.Config{Username: "root@pam", Password: "wrong"})
			err := c.Login(t.Context())
			if !errors.Is(err, pve.ErrUnauthorized) {
				t.Fatalf("Login: %v, want ErrUnauthorized", err)
			}
			if _, err := c.Version(t.Context()); !errors.Is(err, pve.ErrUnauthorized) {
				t.Errorf("call after failed login: %v, want ErrUnauthorized", err)
			}
		}},
		{"read-only user", pvesim.Options{Tokens: []string{pvesim.DefaultToken, auditorToken}, Auditors: []string{"auditor@pve!ro"}}, func(t *testing.T, e *contractEnv) {
			c := e.client(t, pve.Config{APIToken: auditorToken})
			if _, err := c.GuestConfig(t.Context(), e.fx.Node, pve.KindVM, e.fx.VMID); err != nil {
				t.Fatalf("auditor read: %v", err)
			}
			_, err := c.GuestAction(t.Context(), e.fx.Node, pve.KindVM, e.fx.StoppedVMID, "start")
			if !errors.Is(err, pve.ErrForbidden) {
				t.Fatalf("auditor start: %v, want ErrForbidden", err)
			}
			ae := contractAPIError(t, err)
			// WIRE.md item 4: "403 Permission check failed (/vms/100, VM.Audit)".
			path, priv := ae.Privilege()
			if ae.Status != http.StatusForbidden || path != "/vms/"+strconv.Itoa(e.fx.StoppedVMID) || priv != "VM.PowerMgmt" {
				t.Errorf("got %d %q (path %q priv %q), want 403 naming /vms/%d and VM.PowerMgmt", ae.Status, ae.Message, path, priv, e.fx.StoppedVMID)
			}
			if !strings.Contains(ae.Hint(), "VM.PowerMgmt") {
				t.Errorf("hint %q does not name the privilege", ae.Hint())
			}
			perms, err := c.Permissions(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if perms["/"]["VM.PowerMgmt"] != 0 || perms["/"]["VM.Audit"] != 1 {
				t.Errorf("auditor permissions on / = %v", perms["/"])
			}
			st, err := c.GuestStatus(t.Context(), e.fx.Node, pve.KindVM, e.fx.StoppedVMID)
			if err != nil {
				t.Fatal(err)
			}
			if st.Status != "stopped" {
				t.Errorf("a refused start changed the vm: %q", st.Status)
			}
		}},
		{"lxc stale digest", pvesim.Options{}, func(t *testing.T, e *contractEnv) {
			// Containers use pve-common's "detected modified configuration" text (WIRE.md item 17).
			c := e.client(t, pve.Config{})
			_, err := c.UpdateConfig(t.Context(), e.fx.Node, pve.KindCT, e.fx.CTID,
				url.Values{"digest": {strings.Repeat("0", 40)}, "description": {"x"}}, true)
			if err == nil {
				t.Fatal("stale digest accepted")
			}
			if ae := contractAPIError(t, err); ae.Status != http.StatusInternalServerError || !strings.Contains(ae.Message, "file changed by other user") {
				t.Errorf("got %d %q", ae.Status, ae.Message)
			}
		}},
		{"pinned fingerprint mismatch", pvesim.Options{}, func(t *testing.T, e *contractEnv) {
			_, other, err := pvesim.SelfSignedCert(nil, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			c := e.client(t, pve.Config{Fingerprint: other})
			_, err = c.Version(t.Context())
			var te *pve.TLSError
			if !errors.As(err, &te) {
				t.Fatalf("Version: %v, want a *pve.TLSError", err)
			}
			if te.Got != e.fp || te.Want != other {
				t.Errorf("TLSError got %s want %s; server %s, pinned %s", te.Got, te.Want, e.fp, other)
			}
		}},
		{"retries under faults", pvesim.Options{FailRate: 0.3, Seed: 7}, func(t *testing.T, e *contractEnv) {
			// The simulator answers FailRate of requests with 500 "got
			// timeout", 502 or 503, one third each. The client retries
			// GETs on 502/503/504 and network errors only: a 500 is PVE's
			// answer to any die (including "does not exist"), so it is
			// final. So not all 50 GETs can succeed; what the contract
			// pins down per call is:
			//   - every attempt but the last was a 502 or 503 (retried);
			//   - a call that succeeded ended with a 200;
			//   - a call that failed ended with a 500 (never retried), or
			//     with a 502/503 after all 1+DefaultMaxRetries attempts.
			rec := &contractAttempts{byCall: map[int][]int{}}
			c := e.client(t, pve.Config{Logger: slog.New(rec)})
			fx := e.fx
			reads := []func(context.Context) error{
				func(ctx context.Context) error { _, err := c.Version(ctx); return err },
				func(ctx context.Context) error { _, err := c.Nodes(ctx); return err },
				func(ctx context.Context) error { _, err := c.ClusterResources(ctx, "vm"); return err },
				func(ctx context.Context) error {
					_, err := c.GuestConfig(ctx, fx.Node, pve.KindVM, fx.VMID)
					return err
				},
				func(ctx context.Context) error { _, err := c.Storage(ctx, fx.Node); return err },
			}
			const calls = 50
			errs := make([]error, calls)
			sem := make(chan struct{}, 10)
			var wg sync.WaitGroup
			for i := range calls {
				wg.Go(func() {
					sem <- struct{}{}
					defer func() { <-sem }()
					ctx := context.WithValue(t.Context(), contractCallKey{}, i)
					errs[i] = reads[i%len(reads)](ctx)
				})
			}
			wg.Wait()
			rec.mu.Lock()
			defer rec.mu.Unlock()
			var ok, retried, final500 int
			for i, err := range errs {
				st := rec.byCall[i]
				if len(st) == 0 {
					t.Errorf("call %d: no HTTP attempt logged (err %v)", i, err)
					continue
				}
				for _, s := range st[:len(st)-1] {
					if s != http.StatusBadGateway && s != http.StatusServiceUnavailable {
						t.Errorf("call %d attempts %v: retried after %d", i, st, s)
					}
				}
				last := st[len(st)-1]
				if len(st) > 1 {
					retried++
				}
				if err == nil {
					ok++
					if last != http.StatusOK {
						t.Errorf("call %d attempts %v: success without a final 200", i, st)
					}
					continue
				}
				var ae *pve.APIError
				switch {
				case !errors.As(err, &ae):
					t.Errorf("call %d: %v, want an *APIError", i, err)
				case ae.Status == http.StatusInternalServerError:
					final500++
					if last != 500 || !errors.Is(err, pve.ErrServer) || ae.Message != "got timeout" {
						t.Errorf("call %d attempts %v: %v", i, st, err)
					}
				case ae.Status == http.StatusBadGateway || ae.Status == http.StatusServiceUnavailable:
					if len(st) != 1+pve.DefaultMaxRetries {
						t.Errorf("call %d attempts %v: gave up on %d early", i, st, ae.Status)
					}
				default:
					t.Errorf("call %d attempts %v: unexpected %v", i, st, err)
				}
			}
			t.Logf("%d/%d GETs succeeded, %d were retried, %d ended on an unretried 500", ok, calls, retried, final500)
			if retried == 0 {
				t.Error("no call was retried: the fault injection did not reach the client")
			}
			if ok+final500 < calls-2 {
				t.Errorf("only %d of %d GETs succeeded", ok, calls)
			}
		}},
		{"cancel during WaitTask", pvesim.Options{TaskDuration: time.Hour}, func(t *testing.T, e *contractEnv) {
			c := e.client(t, pve.Config{})
			upid, err := c.GuestAction(t.Context(), e.fx.Node, pve.KindVM, e.fx.StoppedVMID, "start")
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			const after = 100 * time.Millisecond
			timer := time.AfterFunc(after, cancel)
			defer timer.Stop()
			start := time.Now()
			st, err := c.WaitTask(ctx, upid, pve.WaitOptions{Interval: 20 * time.Millisecond})
			elapsed := time.Since(start)
			if !errors.Is(err, context.Canceled) || st != nil {
				t.Fatalf("WaitTask = %+v, %v; want nil, context.Canceled", st, err)
			}
			if elapsed > after+time.Second {
				t.Errorf("WaitTask returned %v after the cancel, want promptly", elapsed-after)
			}
			ts, err := c.TaskStatus(t.Context(), upid)
			if err != nil {
				t.Fatal(err)
			}
			if !ts.Running() {
				t.Errorf("task %+v no longer running; cancelling the wait must not stop it", ts)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, newContractEnv(t, tt.opts))
		})
	}
}
