package pvesim

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim/apischema"
)

func TestNewRejectsBadOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"unknown scenario", Options{Scenario: "datacenter"}, "unknown scenario"},
		{"negative nodes", Options{Scenario: "large", Nodes: -1}, "nodes must not be negative"},
		{"negative guests", Options{Scenario: "large", Guests: -5}, "guests must not be negative"},
		{"fail rate above 1", Options{FailRate: 1.5}, "fail rate must be within"},
		{"negative latency", Options{Latency: -1}, "latency and jitter"},
		{"malformed token", Options{Tokens: []string{"root@pam=secret"}}, "is not USER@REALM!TOKENID=SECRET"},
		{"user without realm", Options{Users: map[string]string{"root": "x"}}, "has no realm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New() error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestDeterministicGeneration(t *testing.T) {
	t.Parallel()
	a, _ := newTestSim(t, Options{Seed: 7})
	b, _ := newTestSim(t, Options{Seed: 7})
	c, _ := newTestSim(t, Options{Seed: 8})
	cfg := func(s *Sim) string {
		return string(mustOK(t, do(t, s, "GET", "/nodes/pve1/qemu/101/config", nil), "config").raw)
	}
	if cfg(a) != cfg(b) {
		t.Fatalf("same seed gave different configs:\n%s\n%s", cfg(a), cfg(b))
	}
	if cfg(a) == cfg(c) {
		t.Fatalf("different seeds gave identical configs (MACs, UUIDs and digest should differ)")
	}
}

// substitute fills a route's placeholders with fixture names.
func substitute(f Fixtures, path string) string {
	vmid := f.VMID
	if strings.Contains(path, "/lxc/") {
		vmid = f.CTID
	}
	snap := f.Snapshot
	if strings.Contains(path, "/lxc/") {
		snap = "stable"
	}
	return strings.NewReplacer("{node}", f.Node, "{vmid}", fmt.Sprint(vmid), "{storage}", f.Storage, "{snapname}", snap,
		"{upid}", url.PathEscape(f.UPID), "{poolid}", f.Pool, "{volume}", "local-lvm:vm-101-disk-0").Replace(path)
}

// TestGETRoutesMatchSchema calls every GET route with fixture names and
// checks the reply against the official returns schema.
func TestGETRoutesMatchSchema(t *testing.T) {
	t.Parallel()
	s, _ := newTestSim(t, Options{})
	f := s.Fixtures()
	if f.CTID != 200 {
		t.Fatalf("fixture CTID = %d; the lxc snapshot name below assumes 200", f.CTID)
	}
	sch, err := apischema.Load()
	if err != nil {
		t.Fatal(err)
	}
	// Quirks PVE really has, which the schema does not describe.
	quirks := map[string]bool{"/cluster/nextid": true}
	for _, rt := range s.Routes() {
		if rt.Method != http.MethodGet {
			continue
		}
		t.Run(rt.Path, func(t *testing.T) {
			p := substitute(f, rt.Path)
			r := do(t, s, http.MethodGet, p, nil)
			if r.status != http.StatusOK {
				t.Fatalf("GET %s: %d %s %s", p, r.status, r.reason, r.raw)
			}
			m, _, ok := sch.Lookup(http.MethodGet, p)
			if !ok || quirks[rt.Path] {
				return
			}
			var env struct {
				Data any `json:"data"`
			}
			if err := json.Unmarshal(r.raw, &env); err != nil {
				t.Fatal(err)
			}
			for _, v := range m.ValidateReturn(env.Data) {
				t.Errorf("GET %s: %s", p, v)
			}
		})
	}
}

func TestEveryRouteIsServed(t *testing.T) {
	t.Parallel()
	s, _ := newTestSim(t, Options{})
	f := s.Fixtures()
	for _, rt := range s.Routes() {
		p := substitute(f, rt.Path)
		r := do(t, s, rt.Method, p, nil)
		if r.status == http.StatusNotImplemented {
			t.Errorf("%s %s: 501 %s", rt.Method, p, r.reason)
		}
	}
}

func TestWireFormat(t *testing.T) {
	t.Parallel()
	s, _ := newTestSim(t, Options{})
	tests := []struct {
		name       string
		method     string
		path       string
		params     url.Values
		wantStatus int
		wantReason string
		wantErrs   map[string]string
	}{
		{"version", "GET", "/version", nil, 200, "OK", nil},
		{"trailing slash", "GET", "/nodes/", nil, 200, "OK", nil},
		{"unknown route", "GET", "/x", nil, 501, "Method 'GET /x' not implemented", nil},
		{"missing guest is 500", "GET", "/nodes/pve1/qemu/4242/config", nil, 500, "Configuration file 'nodes/pve1/qemu-server/4242.conf' does not exist", nil},
		{"guest on another node", "GET", "/nodes/pve2/qemu/101/config", nil, 500, "Configuration file 'nodes/pve2/qemu-server/101.conf' does not exist", nil},
		{"missing container", "GET", "/nodes/pve1/lxc/4242/status/current", nil, 500, "Configuration file 'nodes/pve1/lxc/4242.conf' does not exist", nil},
		{"unknown param", "GET", "/cluster/resources", url.Values{"bogus": {"1"}}, 400, "Parameter verification failed.", map[string]string{"bogus": apischema.MsgNotDefined}},
		{"nextid taken", "GET", "/cluster/nextid", url.Values{"vmid": {"101"}}, 400, "Parameter verification failed.", map[string]string{"vmid": "VM 101 already exists"}},
		{"bad boolean", "PUT", "/nodes/pve1/qemu/101/config", url.Values{"onboot": {"true"}}, 400, "Parameter verification failed.", map[string]string{"onboot": "type check ('boolean') failed - got 'true'"}},
		{"duplicate path param", "PUT", "/nodes/pve1/qemu/101/config", url.Values{"vmid": {"102"}, "name": {"x"}}, 400, "Parameter verification failed.", map[string]string{"vmid": "duplicate parameter (already defined in URI) with conflicting values!"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, s, tt.method, tt.path, tt.params)
			if r.status != tt.wantStatus || r.reason != tt.wantReason {
				t.Fatalf("got %d %q, want %d %q; body %s", r.status, r.reason, tt.wantStatus, tt.wantReason, r.raw)
			}
			for k, want := range map[string]string{
				"Server": "pve-api-daemon/3.0", "Cache-Control": "max-age=0", "Pragma": "no-cache",
				"Content-Type": "application/json;charset=UTF-8",
			} {
				if got := r.header.Get(k); got != want {
					t.Errorf("header %s = %q, want %q", k, got, want)
				}
			}
			if r.header.Get("Expires") == "" {
				t.Error("no Expires header")
			}
			if _, ok := r.body["data"]; !ok {
				t.Errorf("body has no data member: %s", r.raw)
			}
			if tt.wantStatus != 200 {
				if r.data() != nil || r.body["message"] != tt.wantReason+"\n" {
					t.Errorf("error body = %s, want data null and message %q", r.raw, tt.wantReason+"\n")
				}
			}
			if tt.wantErrs != nil {
				errs, _ := r.body["errors"].(map[string]any)
				for k, want := range tt.wantErrs {
					if errs[k] != want {
						t.Errorf("errors[%s] = %v, want %q (errors %v)", k, errs[k], want, errs)
					}
				}
			}
		})
	}
}

// TestStatusLineOverSocket checks that the reason phrase carries PVE's
// message over a real HTTP/1.1 connection too.
func TestStatusLineOverSocket(t *testing.T) {
	t.Parallel()
	s, _ := newTestSim(t, Options{})
	srv := newHTTPServer(t, s)
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /api2/json/nodes/pve1/qemu/4242/config HTTP/1.1\r\nHost: x\r\nAuthorization: PVEAPIToken=%s\r\n\r\n", DefaultToken)
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	want := "HTTP/1.1 500 Configuration file 'nodes/pve1/qemu-server/4242.conf' does not exist\r\n"
	if line != want {
		t.Fatalf("status line = %q, want %q", line, want)
	}
	// A success keeps the connection usable with net/http's client.
	res, err := http.Get(srv.URL + "/api2/json/access/ticket")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("GET /access/ticket = %d", res.StatusCode)
	}
}

func TestJSONBody(t *testing.T) {
	t.Parallel()
	s, _ := newTestSim(t, Options{})
	req, _ := http.NewRequest("PUT", "https://x/api2/json/nodes/pve1/qemu/109/config", strings.NewReader(`{"cores":4,"onboot":true,"name":"json-vm"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "PVEAPIToken="+DefaultToken)
	res, err := s.RoundTripper().RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("PUT with JSON body = %s", res.Status)
	}
	cfg := mustOK(t, do(t, s, "GET", "/nodes/pve1/qemu/109/config", nil), "config").dataMap(t)
	if cfg["cores"] != json.Number("4") || cfg["onboot"] != json.Number("1") || cfg["name"] != "json-vm" {
		t.Fatalf("config after JSON PUT: cores=%v onboot=%v name=%v", cfg["cores"], cfg["onboot"], cfg["name"])
	}
}

func TestValueShapes(t *testing.T) {
	t.Parallel()
	s, _ := newTestSim(t, Options{})
	if got := mustOK(t, do(t, s, "GET", "/cluster/nextid", nil), "nextid").data(); got != "110" {
		t.Errorf("nextid = %#v, want the string \"110\"", got)
	}
	cfg := mustOK(t, do(t, s, "GET", "/nodes/pve1/qemu/101/config", nil), "config").dataMap(t)
	for k, want := range map[string]any{
		"onboot": json.Number("1"), "cores": json.Number("2"), "memory": "4096", "numa": json.Number("0"),
		"scsihw": "virtio-scsi-single", "boot": "order=scsi0;ide2;net0", "parent": "pre-upgrade",
	} {
		if cfg[k] != want {
			t.Errorf("config[%s] = %#v, want %#v", k, cfg[k], want)
		}
	}
	if d, _ := cfg["digest"].(string); len(d) != 40 {
		t.Errorf("digest = %q, want 40 hex chars", d)
	}
	if n, _ := cfg["net0"].(string); !strings.HasPrefix(n, "virtio=BC:24:11:") || !strings.Contains(n, "bridge=vmbr0,firewall=1") {
		t.Errorf("net0 = %q", n)
	}
	ct := mustOK(t, do(t, s, "GET", "/nodes/pve1/lxc/200/config", nil), "ct config").dataMap(t)
	for k, want := range map[string]any{"unprivileged": json.Number("1"), "memory": json.Number("512"), "swap": json.Number("512"), "features": "nesting=1", "rootfs": "local-lvm:vm-200-disk-0,size=8G"} {
		if ct[k] != want {
			t.Errorf("ct config[%s] = %#v, want %#v", k, ct[k], want)
		}
	}
}
