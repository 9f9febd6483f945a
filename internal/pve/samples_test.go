package pve_test

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
)

// samplesDir finds ../shared/pve-api/samples beside the repository root
// (the directory holding go.mod). Missing reference data fails the test.
func samplesDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the package directory")
		}
		dir = parent
	}
	s := filepath.Join(dir, "..", "shared", "pve-api", "samples")
	if _, err := os.Stat(s); err != nil {
		t.Fatalf("reference samples missing at %s (shared/ must sit beside the clone): %v", s, err)
	}
	return s
}

const (
	sampleNode    = "node1"
	sampleVMID    = 101
	sampleStorage = "datastore"
	sampleUPID    = "UPID:node1:000FF1FD:10F9374C:630D702C:vzdump:110:root@pam:"
)

// samplePath turns "GET_nodes_{node}_qemu_{vmid}_config" into its method
// and concrete path.
func samplePath(name string) (method, path string) {
	method, rest, _ := strings.Cut(name, "_")
	path = "/" + strings.ReplaceAll(rest, "_", "/")
	path = strings.NewReplacer("{node}", sampleNode, "{vmid}", "101", "{storage}", sampleStorage, "{upid}", sampleUPID).Replace(path)
	return method, path
}

type sampleCase struct {
	file    string // file name in samples/
	variant string // suffix after the path ("400", "running")
	status  int    // reply status, default 200
	auth    string // "ticket" for the login sample
	check   func(t *testing.T, r *http.Request)
	call    func(t *testing.T, ctx context.Context, c *pve.Client)
}

func sampleCases() []sampleCase {
	return []sampleCase{
		{file: "GET_cluster_nextid.json", call: func(t *testing.T, ctx context.Context, c *pve.Client) {
			id, err := c.NextID(ctx)
			if err != nil || id != 100 {
				t.Errorf("NextID = %d, %v; want 100", id, err)
			}
		}},
		{file: "GET_cluster_nextid_400.json", variant: "400", status: 400, call: func(t *testing.T, ctx context.Context, c *pve.Client) {
			err := c.CheckID(ctx, 200)
			var ae *pve.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %T %v, want *APIError", err, err)
			}
			if ae.Status != 400 || ae.Params["vmid"] != "VM 200 already exists" {
				t.Errorf("APIError = %+v", ae)
			}
			if !strings.Contains(err.Error(), "vmid: VM 200 already exists") || !strings.Contains(ae.Hint(), "vmid: VM 200 already exists") {
				t.Errorf("Error() = %q, Hint() = %q", err.Error(), ae.Hint())
			}
		}},
		{file: "GET_cluster_resources.json", call: func(t *testing.T, ctx context.Context, c *pve.Client) {
			res, err := c.ClusterResources(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			byID := map[string]pve.Resource{}
			types := map[string]int{}
			for _, r := range res {
				byID[r.ID] = r
				types[r.Type]++
			}
			if types["qemu"] == 0 || types["node"] != 4 || types["storage"] == 0 {
				t.Errorf("types = %v", types)
			}
			vm := byID["qemu/100"]
			if vm.VMID != 100 || vm.Name != "server1" || vm.Node != "node2" || vm.Status != "running" || vm.MaxMem != 1073741824 || vm.MaxCPU != 1 || vm.Uptime != 874350 || vm.Template {
				t.Errorf("qemu/100 = %+v", vm)
			}
			if !byID["qemu/101"].Template {
				t.Error("qemu/101 should be a template")
			}
			if got := byID["qemu/102"].Tags; got != "go-proxmox+cloud-init" {
				t.Errorf("qemu/102 tags = %q", got)
			}
			st := byID["storage/node3/local-zfs"]
			if st.Storage != "local-zfs" || st.PluginType != "zfspool" || st.Content != "images,rootdir" || st.Shared || st.MaxDisk != 479730032640 {
				t.Errorf("storage = %+v", st)
			}
			if n := byID["node/node1"]; n.CgroupMode != 2 || n.MaxCPU != 8 || n.Status != "online" {
				t.Errorf("node1 = %+v", n)
			}
		}},
		{file: "GET_cluster_status.json", call: func(t *testing.T, ctx context.Context, c *pve.Client) {
			st, err := c.ClusterStatus(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(st) != 5 {
				t.Fatalf("%d rows, want 5", len(st))
			}
			cl := st[0]
			if cl.Type != "cluster" || cl.Name != "clustername" || !cl.Quorate || cl.Nodes != 4 || cl.Version != 4 {
				t.Errorf("cluster row = %+v", cl)
			}
			for _, e := range st[1:] {
				if e.Name == "node1" && (!e.Local || e.IP != "192.168.1.1" || e.NodeID != 1 || !e.Online) {
					t.Errorf("node1 row = %+v", e)
				}
				if e.Name == "node2" && e.Local {
					t.Error("node2 should not be local")
				}
			}
		}},
		{file: "GET_nodes.json", call: func(t *testing.T, ctx context.Context, c *pve.Client) {
			nodes, err := c.Nodes(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(nodes) != 4 {
				t.Fatalf("%d nodes", len(nodes))
			}
			n := nodes[0]
			if n.Node != "node1" || n.Status != "online" || n.MaxCPU != 12 || n.MaxMem != 33568288768 ||
				n.SSLFingerprint != "80:D4:F2:DF:64:95:CD:8D:A0:82:82:AC:48:BA:C0:7A:1B:6B:87:8B:FE:B9:83:1C:95:4E:79:58:77:99:69:F5" {
				t.Errorf("node1 = %+v", n)
			}
			if _, err := pve.NormalizeFingerprint(n.SSLFingerprint); err != nil {
				t.Errorf("ssl_fingerprint does not normalize: %v", err)
			}
		}},
		{file: "GET_nodes_{node}_lxc.json", call: func(t *testing.T, ctx context.Context, c *pve.Client) {
			gs, err := c.Guests(ctx, sampleNode, pve.KindCT)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int
			for _, g := range gs {
				ids = append(ids, int(g.VMID))
			}
			if diff := cmp.Diff([]int{106, 105, 101}, ids); diff != "" {
				t.Errorf("vmids (string on the wire) (-want +got):\n%s", diff)
			}
			if gs[0].Name != "test" || gs[0].Status != "running" || gs[0].MaxSwap != 536870912 || gs[0].Type != "lxc" || !gs[2].Template {
				t.Errorf("rows = %+v", gs)
			}
		}},
		{file: "GET_nodes_{node}_lxc_{vmid}_config.json", call: func(t *testing.T, ctx context.Context, c *pve.Client) {
			cfg, err := c.GuestConfig(ctx, sampleNode, pve.KindCT, sampleVMID)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Digest != "5911baea29f4c0073fb063fd9ab29e75892832bf" {
				t.Errorf("digest = %q", cfg.Digest)
			}
			if _, ok := cfg.Values["digest"]; ok {
				t.Error("digest also in Values")
			}
			want := map[string]string{"cores": "2", "memory": "4096", "onboot": "1", "swap": "512", "hostname": "test-container", "tags": "tag1;tag2"}
			for k, v := range want {
				if cfg.Values[k] != v {
					t.Errorf("%s = %q, want %q", k, cfg.Values[k], v)
				}
			}
			if !strings.HasPrefix(cfg.Values["lxc"], `[["lxc.cgroup2.devices.allow","c 226:0 rwm"]`) {
				t.Errorf("lxc = %q", cfg.Values["lxc"])
			}
			nd, err := pve.ParseNetDevice(cfg.Values["net0"])
			if err != nil || !nd.Container || nd.Name != "eth0" || nd.Bridge != "vmbr0" || nd.MAC != "5D:CF:BD:B2:C5:39" || nd.IP != "dhcp" || !nd.Firewall || nd.Model != "veth" {
				t.Errorf("net0 = %+v, %v", nd, err)
			}
			d, err := pve.ParseDisk(cfg.Values["rootfs"])
			if err != nil || d.Storage != "vmstore" || d.Volume != "subvol-101-disk-0" || d.Size != 30<<30 {
				t.Errorf("rootfs = %+v, %v", d, err)
			}
			mp, err := pve.ParseDisk(cfg.Values["mp0"])
			if err != nil || mp.Storage != "" || mp.Volume != "/mnt/foo/bar" || mp.Options["mp"] != "/storage" {
				t.Errorf("mp0 = %+v, %v", mp, err)
			}
		}},
		{file: "GET_nodes_{node}_network.json", call: func(t *testing.T, ctx context.Context, c *pve.Client) {
			nets, err := c.Network(ctx, sampleNode)
			if err != nil {
				t.Fatal(err)
			}
			by := map[string]pve.NetworkInterface{}
			for _, n := range nets {
				by[n.Iface] = n
			}
			if v := by["eno1.2"]; v.VLANID != 2 || v.Netmask != "32" || v.VLANRawDevice != "eno1" || !v.Active || v.CIDR != "192.168.2.50/32" || v.Comments != "Some Comment\n" {
				t.Errorf("eno1.2 = %+v", v)
			}
			if b := by["vmbr1"]; !b.BridgeVLANAware || b.BridgePorts != "eno1.2 vmbr2.10" || b.BridgeFD != "0" || b.BridgeSTP != "off" || b.Type != "bridge" {
				t.Errorf("vmbr1 = %+v", b)
			}
			if e := by["eno1"]; !e.Exists || e.Type != "eth" || e.Priority != 20 {
				t.Errorf("eno1 = %+v", e)
			}
			if by["vmbr2.2"].Exists {
				t.Error(`"exists": null should decode as false`)
			}
		}},
		{file: "GET_nodes_{node}_qemu.json", call: func(t *testing.T, ctx context.Context, c *pve.Client) {
			gs, err := c.Guests(ctx, sampleNode, pve.KindVM)
			if err != nil {
				t.Fatal(err)
			}
			if len(gs) != 2 || gs[1].VMID != 100 || gs[1].Name != "pxe.home.arpa" || gs[1].CPU != 0.174069059487628 || gs[1].PID != 4076688 || gs[0].Status != "stopped" {
				t.Errorf("rows = %+v", gs)
			}
		}},
		{file: "GET_nodes_{node}_qemu_{vmid}_config.json", call: func(t *testing.T, ctx context.Context, c *pve.Client) {
			cfg, err := c.GuestConfig(ctx, sampleNode, pve.KindVM, sampleVMID)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Digest != "51b7599f869b9a3f564804a0aed290f3de803292" || len(cfg.Values) != 21 {
				t.Errorf("digest %q, %d keys", cfg.Digest, len(cfg.Values))
			}
			for k, v := range map[string]string{"cores": "4", "memory": "8192", "sockets": "1", "onboot": "1", "tablet": "0", "agent": "1,type=virtio", "ide2": "none,media=cdrom"} {
				if cfg.Values[k] != v {
					t.Errorf("%s = %q, want %q", k, cfg.Values[k], v)
				}
			}
			nd, err := pve.ParseNetDevice(cfg.Values["net1"])
			if err != nil || nd.Model != "virtio" || nd.MAC != "ff:ff:ff:ff:ff:ff" || nd.Bridge != "vmbr1" || nd.Container {
				t.Errorf("net1 = %+v, %v", nd, err)
			}
			d, err := pve.ParseDisk(cfg.Values["scsi1"])
			if err != nil || d.Storage != "storage" || d.Volume != "vm-103-disk-3" || d.Size != 30<<30 || d.Media != "disk" {
				t.Errorf("scsi1 = %+v, %v", d, err)
			}
			cd, err := pve.ParseDisk(cfg.Values["ide2"])
			if err != nil || cd.Media != "cdrom" || cd.File != "none" || cd.Storage != "" {
				t.Errorf("ide2 = %+v, %v", cd, err)
			}
			ag, err := pve.ParsePropertyString(cfg.Values["agent"], "enabled")
			if v, _ := ag.Get("enabled"); err != nil || v != "1" {
				t.Errorf("agent = %+v, %v", ag, err)
			}
		}},
		{file: "GET_nodes_{node}_qemu_{vmid}_status_current.json", call: func(t *testing.T, ctx context.Context, c *pve.Client) {
			st, err := c.GuestStatus(ctx, sampleNode, pve.KindVM, sampleVMID)
			if err != nil {
				t.Fatal(err)
			}
			if st.Status != "running" || st.QMPStatus != "running" || st.VMID != 101 || st.Name != "matt" || !st.Agent || st.HA.Managed ||
				st.RunningQEMU != "8.0.2" || st.RunningMachine != "pc-i440fx-8.0+pve0" || st.MaxMem != 2097152000 || st.CPUs != 8 || st.Uptime != 170815 {
				t.Errorf("status = %+v", st)
			}
		}},
		{file: "GET_nodes_{node}_status.json", call: func(t *testing.T, ctx context.Context, c *pve.Client) {
			st, err := c.NodeStatus(ctx, sampleNode)
			if err != nil {
				t.Fatal(err)
			}
			if st.PVEVersion != "pve-manager/7.4-16/0f39f621" || !strings.HasPrefix(st.Kversion, "Linux 5.15.108-1-pve") ||
				st.CPUInfo.MHz != 3400 || !bool(st.CPUInfo.HVM) || st.CPUInfo.CPUs != 8 || st.CPUInfo.Cores != 4 ||
				st.Memory.Total != 65919459328 || st.RootFS.Avail != 937851224064 || st.Uptime != 2501631 {
				t.Errorf("status = %+v", st)
			}
			if diff := cmp.Diff([]pve.Text{"0.00", "0.00", "0.00"}, st.LoadAvg); diff != "" {
				t.Errorf("loadavg (-want +got):\n%s", diff)
			}
		}},
		{file: "GET_nodes_{node}_storage_{storage}_content.json", call: func(t *testing.T, ctx context.Context, c *pve.Client) {
			items, err := c.StorageContent(ctx, sampleNode, sampleStorage, "backup")
			if err != nil {
				t.Fatal(err)
			}
			if len(items) != 2 || items[0].Volid != "datastore:backup/vm/931/2023-12-14T04:34:34Z" || items[0].Size != 273804166061 ||
				items[0].VMID != 931 || items[0].Format != "pbs-vm" || items[0].CTime != 1702528474 || items[0].Subtype != "qemu" {
				t.Errorf("items = %+v", items)
			}
		}},
		{file: "GET_nodes_{node}_tasks.json", call: func(t *testing.T, ctx context.Context, c *pve.Client) {
			ts, err := c.Tasks(ctx, sampleNode, 50)
			if err != nil {
				t.Fatal(err)
			}
			if len(ts) != 3 || ts[1].Status != "command 'ifreload -a' failed: exit code 1" || ts[0].Status != "OK" || ts[1].EndTime != 1627975785 {
				t.Fatalf("tasks = %+v", ts)
			}
			for _, task := range ts {
				u, err := pve.ParseUPID(task.UPID)
				if err != nil {
					t.Fatal(err)
				}
				if u.Node != task.Node || u.PID != int(task.PID) || u.PStart != int(task.PStart) || u.StartTime.Unix() != int64(task.StartTime) || u.Type != task.Type || u.ID != task.ID || u.User != task.User {
					t.Errorf("UPID %s disagrees with the row %+v", task.UPID, task)
				}
				if u.String() != task.UPID {
					t.Errorf("UPID round trip: %q != %q", u.String(), task.UPID)
				}
			}
		}},
		{file: "GET_nodes_{node}_tasks_{upid}_status.json", call: func(t *testing.T, ctx context.Context, c *pve.Client) {
			st, err := c.TaskStatus(ctx, sampleUPID)
			if err != nil {
				t.Fatal(err)
			}
			if st.Running() || !st.Succeeded() || st.ExitStatus != "OK" || st.UPID != sampleUPID || st.PID != 1044989 || st.Type != "vzdump" {
				t.Errorf("status = %+v", st)
			}
			got, err := c.WaitTask(ctx, sampleUPID, pve.WaitOptions{Interval: time.Millisecond})
			if err != nil || got.ExitStatus != "OK" {
				t.Errorf("WaitTask = %+v, %v", got, err)
			}
		}},
		{file: "GET_nodes_{node}_tasks_{upid}_status_running.json", variant: "running", call: func(t *testing.T, ctx context.Context, c *pve.Client) {
			st, err := c.TaskStatus(ctx, sampleUPID)
			if err != nil {
				t.Fatal(err)
			}
			if !st.Running() || st.Succeeded() || st.ExitStatus != "" || st.StartTime != 1661825068 {
				t.Errorf("status = %+v", st)
			}
		}},
		{file: "GET_nodes_{node}_version.json", call: func(t *testing.T, ctx context.Context, c *pve.Client) {
			v, err := c.NodeVersion(ctx, sampleNode)
			if err != nil || v.Version != "7.4-16" || v.Release != "7.4" || v.RepoID != "0f39f621" {
				t.Errorf("version = %+v, %v", v, err)
			}
		}},
		{file: "POST_access_ticket.json", auth: "ticket", check: func(t *testing.T, r *http.Request) {
			if err := r.ParseForm(); err != nil {
				t.Error(err)
			}
			if r.PostForm.Get("username") != "root@pam" || r.PostForm.Get("password") != "pw" || r.PostForm.Get("otp") != "654321" {
				t.Errorf("login form = %v", r.PostForm)
			}
		}, call: func(t *testing.T, ctx context.Context, c *pve.Client) {
			if err := c.Login(ctx); err != nil {
				t.Fatalf("Login: %v", err)
			}
		}},
	}
}

func TestSamplesDecode(t *testing.T) {
	t.Parallel()
	dir := samplesDir(t)
	cases := sampleCases()
	covered := map[string]bool{}
	for _, tc := range cases {
		covered[tc.file] = true
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for _, f := range files {
		if !covered[filepath.Base(f)] {
			missing = append(missing, filepath.Base(f))
		}
	}
	sort.Strings(missing)
	if len(files) == 0 || len(missing) > 0 {
		t.Errorf("%d sample files, not covered by the table: %v", len(files), missing)
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			body, err := os.ReadFile(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatalf("sample: %v", err)
			}
			name := strings.TrimSuffix(tc.file, ".json")
			if tc.variant != "" {
				name = strings.TrimSuffix(name, "_"+tc.variant)
			}
			method, path := samplePath(name)
			status := tc.status
			if status == 0 {
				status = http.StatusOK
			}
			var hits atomic.Int32
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != method || r.URL.Path != "/api2/json"+path {
					t.Errorf("request %s %s, want %s %s", r.Method, r.URL.Path, method, "/api2/json"+path)
					http.Error(w, "no such uri", http.StatusNotImplemented)
					return
				}
				hits.Add(1)
				if tc.check != nil {
					tc.check(t, r)
				}
				w.Header().Set("Content-Type", "application/json;charset=UTF-8")
				w.WriteHeader(status)
				_, _ = w.Write(body)
			}))
			srv.Config.ErrorLog = log.New(io.Discard, "", 0)
			srv.StartTLS()
			defer srv.Close()
			cfg := pve.Config{Endpoint: srv.URL, Fingerprint: pve.FormatFingerprint(srv.Certificate().Raw), MaxRetries: -1}
			if tc.auth == "ticket" {
				cfg.Username, cfg.Password, cfg.OTP = "root@pam", "pw", "654321"
			} else {
				cfg.APIToken = "root@pam!ci=secret"
			}
			c, err := pve.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			tc.call(t, context.Background(), c)
			if hits.Load() == 0 {
				t.Errorf("the sample path %s %s was never requested", method, path)
			}
		})
	}
}

func TestSamplePathEscaping(t *testing.T) {
	t.Parallel()
	_, p := samplePath("GET_nodes_{node}_tasks_{upid}_status")
	if want := "/nodes/node1/tasks/" + sampleUPID + "/status"; p != want {
		t.Errorf("samplePath = %q, want %q", p, want)
	}
	if u, err := url.Parse("https://h" + p); err != nil || u.Path != p {
		t.Errorf("path does not parse back: %v", err)
	}
}
