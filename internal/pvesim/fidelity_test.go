package pvesim_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim/apischema"
)

// The fidelity tests measure the simulator against the official PVE 9.1 API
// schema (../shared/pve-api/apidoc.json beside the repository): every route
// it serves must exist there and answer data that validates (a), and
// parameters are verified with PVE's rules and messages (b).

const (
	fidelityUser     = "root@pam"
	fidelityPassword = "fidelity-secret"
)

// officialSchema loads the full official schema. A missing file fails the
// test: the fidelity check must not silently disappear.
func officialSchema(t *testing.T) *apischema.Schema {
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
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
	path := filepath.Join(dir, "..", "shared", "pve-api", "apidoc.json")
	s, err := apischema.LoadFile(path)
	if err != nil {
		t.Fatalf("official PVE API schema is required beside the repository: %v", err)
	}
	return s
}

// fidelityClient talks to a fresh simulator through its in-process
// transport, which keeps PVE's custom status-line reasons.
type fidelityClient struct {
	t   *testing.T
	sim *pvesim.Sim
	hc  *http.Client
	f   pvesim.Fixtures
}

func newFidelityClient(t *testing.T) *fidelityClient {
	t.Helper()
	sim, err := pvesim.New(pvesim.Options{
		Scenario:     pvesim.ScenarioHomelab,
		TaskDuration: -1, // tasks finish at once: no waiting, no wall clock
		Tokens:       []string{pvesim.DefaultToken},
		Users:        map[string]string{fidelityUser: fidelityPassword},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &fidelityClient{t: t, sim: sim, hc: &http.Client{Transport: sim.RoundTripper()}, f: sim.Fixtures()}
}

type reply struct {
	status     int
	statusLine string
	header     http.Header
	body       []byte
}

// do sends a request with the API token: parameters in the query for GET and
// DELETE, form-encoded otherwise. path is concrete and already escaped.
func (c *fidelityClient) do(method, path string, params url.Values) reply {
	c.t.Helper()
	u := "http://pve.invalid:8006/api2/json" + path
	var body io.Reader
	if method == http.MethodGet || method == http.MethodDelete {
		if len(params) > 0 {
			u += "?" + params.Encode()
		}
	} else if len(params) > 0 {
		body = strings.NewReader(params.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return c.send(req)
}

func (c *fidelityClient) send(req *http.Request) reply {
	c.t.Helper()
	req.Header.Set("Authorization", "PVEAPIToken="+pvesim.DefaultToken)
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return reply{status: resp.StatusCode, statusLine: resp.Status, header: resp.Header, body: b}
}

// mustOK sends a setup request and fails unless it answers 200.
func (c *fidelityClient) mustOK(method, path string, params url.Values) {
	c.t.Helper()
	if r := c.do(method, path, params); r.status != http.StatusOK {
		c.t.Fatalf("setup %s %s: %s %s", method, path, r.statusLine, r.body)
	}
}

// fill replaces the placeholders of a route path with escaped values: the
// overrides first, then the fixtures.
func fill(route string, f pvesim.Fixtures, over map[string]string) string {
	segs := strings.Split(route, "/")
	for i, s := range segs {
		if len(s) < 3 || s[0] != '{' || s[len(s)-1] != '}' {
			continue
		}
		name := s[1 : len(s)-1]
		v, ok := over[name]
		if !ok {
			switch name {
			case "node":
				v = f.Node
			case "vmid":
				v = strconv.Itoa(f.VMID)
				if strings.Contains(route, "/lxc/") {
					v = strconv.Itoa(f.CTID)
				}
			case "storage":
				v = f.Storage
			case "volume":
				v = f.ISOVolid
			case "upid":
				v = f.UPID
			case "snapname":
				v = f.Snapshot
			case "poolid":
				v = f.Pool
			}
		}
		segs[i] = url.PathEscape(v)
	}
	return strings.Join(segs, "/")
}

// routeCase is one request of the fidelity run. Every route the simulator
// serves needs at least one.
type routeCase struct {
	method, route string
	variant       string // label of a query variant, "" for the plain call
	vars          func(f pvesim.Fixtures) map[string]string
	params        func(f pvesim.Fixtures) url.Values
	setup         func(c *fidelityClient)
}

func (rc routeCase) key() string {
	k := rc.method + " " + rc.route
	if rc.variant != "" {
		k += " " + rc.variant
	}
	return k
}

func vals(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

func id(n int) string { return strconv.Itoa(n) }

// guest paths for setup steps.
func qemuPath(f pvesim.Fixtures, vmid int, rest string) string {
	return "/nodes/" + f.Node + "/qemu/" + id(vmid) + rest
}

func lxcPath(f pvesim.Fixtures, rest string) string {
	return "/nodes/" + f.Node + "/lxc/" + id(f.CTID) + rest
}

func routeCases() []routeCase {
	const (
		get, post, put, del = "GET", "POST", "PUT", "DELETE"
		q                   = "/nodes/{node}/qemu"
		l                   = "/nodes/{node}/lxc"
	)
	stopped := func(f pvesim.Fixtures) map[string]string { return map[string]string{"vmid": id(f.StoppedVMID)} }
	stopCT := func(c *fidelityClient) { c.mustOK(post, lxcPath(c.f, "/status/stop"), nil) }
	ctSnap := func(c *fidelityClient) { c.mustOK(post, lxcPath(c.f, "/snapshot"), vals("snapname", "fidelity")) }
	ctSnapVars := func(pvesim.Fixtures) map[string]string { return map[string]string{"snapname": "fidelity"} }
	none := func(pvesim.Fixtures) url.Values { return nil }
	p := func(kv ...string) func(pvesim.Fixtures) url.Values {
		return func(pvesim.Fixtures) url.Values { return vals(kv...) }
	}
	cases := []routeCase{
		{method: get, route: "/access/ticket"},
		{method: post, route: "/access/ticket", params: p("username", fidelityUser, "password", fidelityPassword)},
		{method: get, route: "/access/domains"},
		{method: get, route: "/access/permissions"},
		{method: get, route: "/access/users"},
		{method: get, route: "/version"},
		{method: get, route: "/cluster/status"},
		{method: get, route: "/cluster/resources"},
		{method: get, route: "/cluster/resources", variant: "type=vm", params: p("type", "vm")},
		{method: get, route: "/cluster/resources", variant: "type=node", params: p("type", "node")},
		{method: get, route: "/cluster/resources", variant: "type=storage", params: p("type", "storage")},
		{method: get, route: "/cluster/nextid"},
		{method: get, route: "/cluster/nextid", variant: "vmid=free", params: p("vmid", "4242")},
		{method: get, route: "/cluster/tasks"},
		{method: get, route: "/pools"},
		{method: post, route: "/pools", params: p("poolid", "fidelity", "comment", "made by the fidelity test")},
		{method: put, route: "/pools", params: func(f pvesim.Fixtures) url.Values { return vals("poolid", f.Pool, "comment", "updated") }},
		{method: get, route: "/pools/{poolid}"},
		{method: put, route: "/pools/{poolid}", params: p("comment", "updated")},
		{method: del, route: "/pools/{poolid}",
			setup: func(c *fidelityClient) { c.mustOK(post, "/pools", vals("poolid", "empty")) },
			vars:  func(pvesim.Fixtures) map[string]string { return map[string]string{"poolid": "empty"} }},
		{method: get, route: "/storage"},
		{method: get, route: "/nodes"},
		{method: get, route: "/nodes/{node}"},
		{method: get, route: "/nodes/{node}/status"},
		{method: get, route: "/nodes/{node}/version"},
		{method: get, route: "/nodes/{node}/network"},
		{method: get, route: "/nodes/{node}/storage"},
		{method: get, route: "/nodes/{node}/storage/{storage}"},
		{method: get, route: "/nodes/{node}/storage/{storage}/status"},
		{method: get, route: "/nodes/{node}/storage/{storage}/content"},
		{method: get, route: "/nodes/{node}/storage/{storage}/content", variant: "iso storage",
			vars: func(f pvesim.Fixtures) map[string]string { return map[string]string{"storage": f.ISOStorage} }},
		{method: get, route: "/nodes/{node}/storage/{storage}/content/{volume}",
			vars: func(f pvesim.Fixtures) map[string]string { return map[string]string{"storage": f.ISOStorage} }},
		{method: get, route: "/nodes/{node}/tasks"},
		{method: get, route: "/nodes/{node}/tasks/{upid}"},
		{method: get, route: "/nodes/{node}/tasks/{upid}/status"},
		{method: get, route: "/nodes/{node}/tasks/{upid}/log"},
		{method: get, route: "/nodes/{node}/tasks/{upid}/log", variant: "start=0&limit=50", params: p("start", "0", "limit", "50")},
		{method: del, route: "/nodes/{node}/tasks/{upid}"},

		// qemu
		{method: get, route: q},
		{method: post, route: q, params: func(f pvesim.Fixtures) url.Values {
			return vals("vmid", "990", "name", "fidelity", "memory", "1024", "cores", "2",
				"net0", "virtio,bridge="+f.Bridge, "scsi0", f.Storage+":8", "scsihw", "virtio-scsi-pci", "ostype", "l26")
		}},
		{method: get, route: q + "/{vmid}"},
		{method: del, route: q + "/{vmid}", vars: stopped},
		{method: get, route: q + "/{vmid}/config"},
		{method: get, route: q + "/{vmid}/config", variant: "template", vars: func(f pvesim.Fixtures) map[string]string { return map[string]string{"vmid": id(f.TemplateVMID)} }},
		{method: put, route: q + "/{vmid}/config", params: p("cores", "2", "description", "fidelity")},
		{method: post, route: q + "/{vmid}/config", params: p("cores", "2", "onboot", "1")},
		{method: get, route: q + "/{vmid}/pending"},
		{method: get, route: q + "/{vmid}/status"},
		{method: get, route: q + "/{vmid}/status/current"},
		{method: get, route: q + "/{vmid}/status/current", variant: "stopped", vars: stopped},
		{method: post, route: q + "/{vmid}/status/start", vars: stopped},
		{method: post, route: q + "/{vmid}/status/stop"},
		{method: post, route: q + "/{vmid}/status/shutdown"},
		{method: post, route: q + "/{vmid}/status/reboot"},
		{method: post, route: q + "/{vmid}/status/suspend"},
		{method: post, route: q + "/{vmid}/status/resume",
			setup: func(c *fidelityClient) { c.mustOK(post, qemuPath(c.f, c.f.VMID, "/status/suspend"), nil) }},
		{method: post, route: q + "/{vmid}/status/reset"},
		{method: post, route: q + "/{vmid}/clone", params: p("newid", "991", "name", "fidelity-clone", "full", "1"),
			vars: func(f pvesim.Fixtures) map[string]string { return map[string]string{"vmid": id(f.TemplateVMID)} }},
		{method: post, route: q + "/{vmid}/migrate", params: func(f pvesim.Fixtures) url.Values { return vals("target", f.OtherNode) }, vars: stopped},
		{method: put, route: q + "/{vmid}/resize", params: p("disk", "scsi0", "size", "+1G")},
		{method: post, route: q + "/{vmid}/template", vars: stopped},
		{method: get, route: q + "/{vmid}/snapshot"},
		{method: post, route: q + "/{vmid}/snapshot", params: p("snapname", "fidelity", "description", "fidelity test")},
		{method: get, route: q + "/{vmid}/snapshot/{snapname}"},
		{method: del, route: q + "/{vmid}/snapshot/{snapname}"},
		{method: get, route: q + "/{vmid}/snapshot/{snapname}/config"},
		{method: post, route: q + "/{vmid}/snapshot/{snapname}/rollback"},
		{method: get, route: q + "/{vmid}/agent"},
		{method: get, route: q + "/{vmid}/agent/network-get-interfaces"},
		{method: post, route: q + "/{vmid}/agent/ping"},

		// lxc
		{method: get, route: l},
		{method: post, route: l, params: func(f pvesim.Fixtures) url.Values {
			return vals("vmid", "992", "ostemplate", f.CTTemplate, "hostname", "fidelity", "storage", f.Storage,
				"memory", "512", "net0", "name=eth0,bridge="+f.Bridge+",ip=dhcp")
		}},
		{method: get, route: l + "/{vmid}"},
		{method: del, route: l + "/{vmid}", setup: stopCT},
		{method: get, route: l + "/{vmid}/config"},
		{method: put, route: l + "/{vmid}/config", params: p("cores", "2", "description", "fidelity")},
		{method: get, route: l + "/{vmid}/pending"},
		{method: get, route: l + "/{vmid}/status"},
		{method: get, route: l + "/{vmid}/status/current"},
		{method: post, route: l + "/{vmid}/status/start", setup: stopCT},
		{method: post, route: l + "/{vmid}/status/stop"},
		{method: post, route: l + "/{vmid}/status/shutdown"},
		{method: post, route: l + "/{vmid}/status/reboot"},
		{method: post, route: l + "/{vmid}/status/suspend"},
		{method: post, route: l + "/{vmid}/status/resume",
			setup: func(c *fidelityClient) { c.mustOK(post, lxcPath(c.f, "/status/suspend"), nil) }},
		{method: post, route: l + "/{vmid}/clone", params: p("newid", "993", "hostname", "fidelity-clone"), setup: stopCT},
		{method: post, route: l + "/{vmid}/migrate", params: func(f pvesim.Fixtures) url.Values { return vals("target", f.OtherNode) }, setup: stopCT},
		{method: put, route: l + "/{vmid}/resize", params: p("disk", "rootfs", "size", "+1G")},
		{method: post, route: l + "/{vmid}/template", setup: stopCT},
		{method: get, route: l + "/{vmid}/snapshot"},
		{method: post, route: l + "/{vmid}/snapshot", params: p("snapname", "fidelity")},
		{method: get, route: l + "/{vmid}/snapshot/{snapname}", setup: ctSnap, vars: ctSnapVars},
		{method: del, route: l + "/{vmid}/snapshot/{snapname}", setup: ctSnap, vars: ctSnapVars},
		{method: get, route: l + "/{vmid}/snapshot/{snapname}/config", setup: ctSnap, vars: ctSnapVars},
		{method: post, route: l + "/{vmid}/snapshot/{snapname}/rollback", setup: ctSnap, vars: ctSnapVars},
		{method: get, route: l + "/{vmid}/interfaces"},
	}
	for i := range cases {
		if cases[i].params == nil {
			cases[i].params = none
		}
	}
	return cases
}

// knownGap is a deliberate difference between the simulator's answer and the
// official schema. violations are normalised (see normalizeViolations); the
// test fails if they stop occurring, so the table cannot go stale.
type knownGap struct {
	violations []string
	// status, when set, is the non-200 status the simulator answers instead.
	status int
	reason string
}

// knownGaps is keyed by routeCase.key().
var knownGaps = map[string]knownGap{
	"GET /cluster/nextid": {
		violations: []string{"data: expected integer, got string"},
		reason:     "real PVE sends the next id as a JSON string (samples/GET_cluster_nextid.json, WIRE.md item 12); the schema says integer",
	},
	"GET /cluster/nextid vmid=free": {
		violations: []string{"data: expected integer, got string"},
		reason:     "as above: nextid is a string on the wire",
	},
}

var (
	indexRE    = regexp.MustCompile(`\[\d+\]`)
	gotValueRE = regexp.MustCompile(`(got (?:string|number|boolean)) .*$`)
)

// normalizeViolations drops array indexes and offending values, then
// deduplicates and sorts, so one gap entry covers every row of a list.
func normalizeViolations(vs []string) []string {
	set := map[string]bool{}
	for _, v := range vs {
		v = indexRE.ReplaceAllString(v, "[]")
		v = gotValueRE.ReplaceAllString(v, "$1")
		set[v] = true
	}
	out := make([]string, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// TestFidelityRoutes is test (a): every route the simulator serves exists in
// the official schema, answers 200 with PVE's headers and envelope, and its
// data validates against the official returns schema.
func TestFidelityRoutes(t *testing.T) {
	official := officialSchema(t)
	probe := newFidelityClient(t)
	routes := probe.sim.Routes()
	cases := routeCases()

	served := map[string]bool{}
	for _, r := range routes {
		key := r.Method + " " + r.Path
		if served[key] {
			t.Errorf("route %s listed twice by Routes()", key)
		}
		served[key] = true
		if m, _, ok := official.Lookup(r.Method, r.Path); !ok || m.Path != r.Path {
			t.Errorf("simulator serves %s, which is not in the official PVE API schema", key)
		}
	}
	covered := map[string]bool{}
	for _, rc := range cases {
		k := rc.method + " " + rc.route
		if !served[k] {
			t.Errorf("table entry %s: the simulator does not serve this route (stale entry)", rc.key())
		}
		covered[k] = true
	}
	for _, r := range routes {
		if k := r.Method + " " + r.Path; !covered[k] {
			t.Errorf("route %s has no entry in routeCases: add one (with params), or it goes unchecked", k)
		}
	}
	caseKeys := map[string]bool{}
	for _, rc := range cases {
		if caseKeys[rc.key()] {
			t.Errorf("duplicate table entry %s", rc.key())
		}
		caseKeys[rc.key()] = true
	}
	for k := range knownGaps {
		if !caseKeys[k] {
			t.Errorf("knownGaps entry %q matches no table entry", k)
		}
	}

	var tally fidelityTally
	t.Run("routes", func(t *testing.T) {
		for _, rc := range cases {
			t.Run(rc.key(), func(t *testing.T) {
				t.Parallel()
				checkRoute(t, official, rc, &tally)
			})
		}
	})
	t.Logf("fidelity: %d routes served, %d requests in the table, %d answers validated against the official schema, %d known gaps, %d undocumented properties seen",
		len(routes), len(cases), tally.validated, len(knownGaps), tally.undocumented)
}

// fidelityTally counts results across parallel subtests.
type fidelityTally struct {
	mu           sync.Mutex
	validated    int
	undocumented int
}

func (ft *fidelityTally) add(ok bool, undocumented int) {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	if ok {
		ft.validated++
	}
	ft.undocumented += undocumented
}

func checkRoute(t *testing.T, official *apischema.Schema, rc routeCase, tally *fidelityTally) {
	c := newFidelityClient(t)
	if rc.setup != nil {
		rc.setup(c)
	}
	var over map[string]string
	if rc.vars != nil {
		over = rc.vars(c.f)
	}
	path := fill(rc.route, c.f, over)
	r := c.do(rc.method, path, rc.params(c.f))
	if gap := knownGaps[rc.key()]; gap.status != 0 {
		if r.status != gap.status {
			t.Fatalf("known gap (%s) no longer occurs: got %s, want %d; remove it from knownGaps", gap.reason, r.statusLine, gap.status)
		}
		return
	}
	if r.status != http.StatusOK {
		t.Fatalf("%s %s: %s\n%s", rc.method, path, r.statusLine, r.body)
	}
	checkHeaders(t, r.header)
	data := decodeEnvelope(t, r.body)
	m, _, found := official.Lookup(rc.method, rc.route)
	if !found {
		t.Fatalf("%s %s not in the official schema", rc.method, rc.route)
	}
	report := m.CheckReturn(data)
	got := normalizeViolations(report.Violations)
	want := knownGaps[rc.key()].violations
	if want == nil {
		want = []string{}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("response data vs official schema (-known gaps +violations):\n%s\nraw violations: %q\nbody: %s",
			diff, report.Violations, truncate(r.body, 2000))
	}
	if len(report.Undocumented) > 0 {
		t.Logf("undocumented properties (allowed: PVE does not enforce additionalProperties): %v", normalizeViolations(report.Undocumented))
	}
	tally.add(!t.Failed(), len(report.Undocumented))
}

func checkHeaders(t *testing.T, h http.Header) {
	t.Helper()
	if got := h.Get("Server"); got != "pve-api-daemon/3.0" {
		t.Errorf("Server header = %q, want pve-api-daemon/3.0", got)
	}
	if got := h.Get("Content-Type"); got != "application/json;charset=UTF-8" {
		t.Errorf("Content-Type = %q, want application/json;charset=UTF-8", got)
	}
	for _, name := range []string{"Cache-Control", "Pragma", "Expires", "Date"} {
		if h.Get(name) == "" {
			t.Errorf("header %s missing", name)
		}
	}
}

// decodeEnvelope checks the {"data": ...} envelope (with optional total and
// changes) and returns data, decoded with numbers kept as json.Number.
func decodeEnvelope(t *testing.T, body []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var env map[string]any
	if err := dec.Decode(&env); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, truncate(body, 500))
	}
	if dec.More() {
		t.Errorf("trailing data after the envelope")
	}
	data, ok := env["data"]
	if !ok {
		t.Fatalf("envelope has no data member: %s", truncate(body, 500))
	}
	for k := range env {
		switch k {
		case "data", "total", "changes":
		default:
			t.Errorf("unexpected envelope member %q in a success reply", k)
		}
	}
	return data
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

// TestFidelityParams is test (b): parameters are verified as PVE's
// JSONSchema.pm does, with its status line, envelope and messages.
func TestFidelityParams(t *testing.T) {
	const (
		notDefined = "property is not defined in schema and the schema does not allow additional properties"
		missing    = "property is missing and it is not optional"
		qmConfig   = "/nodes/{node}/qemu/{vmid}/config"
	)
	tests := []struct {
		name, method, route string
		params              url.Values
		json                string // JSON body instead of form parameters
		wantErrors          map[string]string
	}{
		{name: "unknown parameter", method: "POST", route: qmConfig, params: vals("foo", "1"),
			wantErrors: map[string]string{"foo": notDefined}},
		{name: "malformed integer", method: "POST", route: qmConfig, params: vals("cores", "abc"),
			wantErrors: map[string]string{"cores": "type check ('integer') failed - got 'abc'"}},
		{name: "form boolean true", method: "PUT", route: qmConfig, params: vals("onboot", "true"),
			wantErrors: map[string]string{"onboot": "type check ('boolean') failed - got 'true'"}},
		{name: "enum violation", method: "PUT", route: qmConfig, params: vals("scsihw", "bogus"),
			wantErrors: map[string]string{"scsihw": "value 'bogus' does not have a value in the enumeration 'lsi, lsi53c810, virtio-scsi-pci, virtio-scsi-single, megasas, pvscsi'"}},
		{name: "missing required", method: "POST", route: "/nodes/{node}/qemu/{vmid}/snapshot", params: vals("description", "x"),
			wantErrors: map[string]string{"snapname": missing}},
		{name: "several at once", method: "POST", route: qmConfig, params: vals("cores", "abc", "onboot", "true", "foo", "1"),
			wantErrors: map[string]string{
				"cores":  "type check ('integer') failed - got 'abc'",
				"onboot": "type check ('boolean') failed - got 'true'",
				"foo":    notDefined,
			}},
		{name: "minimum", method: "PUT", route: qmConfig, params: vals("sockets", "0"),
			wantErrors: map[string]string{"sockets": "value must have a minimum value of 1"}},
		{name: "property string sub-key", method: "PUT", route: qmConfig, params: vals("net1", "virtio,firewall=maybe"),
			wantErrors: map[string]string{"net1": "invalid format - format error\nnet1.firewall: type check ('boolean') failed - got 'maybe'\n"}},
		{name: "nextid malformed", method: "GET", route: "/cluster/nextid", params: vals("vmid", "abc"),
			wantErrors: map[string]string{"vmid": "type check ('integer') failed - got 'abc'"}},
		{name: "nextid below range", method: "GET", route: "/cluster/nextid", params: vals("vmid", "50"),
			wantErrors: map[string]string{"vmid": "invalid format - value does not look like a valid VM ID\n"}},
		{name: "resources type enum", method: "GET", route: "/cluster/resources", params: vals("type", "disk"),
			wantErrors: map[string]string{"type": "value 'disk' does not have a value in the enumeration 'vm, storage, node, sdn'"}},
		{name: "pool without poolid", method: "POST", route: "/pools", params: vals("comment", "x"),
			wantErrors: map[string]string{"poolid": missing}},
		{name: "ct without ostemplate", method: "POST", route: "/nodes/{node}/lxc", params: vals("vmid", "994"),
			wantErrors: map[string]string{"ostemplate": missing}},
		{name: "resize size pattern", method: "PUT", route: "/nodes/{node}/qemu/{vmid}/resize", params: vals("disk", "scsi0", "size", "ten"),
			wantErrors: map[string]string{"size": "value does not match the regex pattern"}},
		{name: "task list limit", method: "GET", route: "/nodes/{node}/tasks", params: vals("limit", "lots"),
			wantErrors: map[string]string{"limit": "type check ('integer') failed - got 'lots'"}},
		{name: "login without password", method: "POST", route: "/access/ticket", params: vals("username", fidelityUser),
			wantErrors: map[string]string{"password": missing}},

		{name: "valid config update", method: "PUT", route: qmConfig, params: vals("cores", "2", "onboot", "1", "net1", "virtio,bridge=vmbr0,firewall=1")},
		{name: "valid async config update", method: "POST", route: qmConfig, params: vals("memory", "2048", "tags", "web;prod")},
		{name: "valid snapshot", method: "POST", route: "/nodes/{node}/qemu/{vmid}/snapshot", params: vals("snapname", "ok1")},
		{name: "valid nextid", method: "GET", route: "/cluster/nextid", params: vals("vmid", "4243")},
		{name: "valid resources filter", method: "GET", route: "/cluster/resources", params: vals("type", "vm")},
		{name: "valid pool", method: "POST", route: "/pools", params: vals("poolid", "ok")},
		{name: "JSON booleans accepted", method: "PUT", route: qmConfig, json: `{"onboot":true,"cores":2}`},
		{name: "JSON unknown parameter", method: "PUT", route: qmConfig, json: `{"foo":1}`,
			wantErrors: map[string]string{"foo": notDefined}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newFidelityClient(t)
			path := fill(tt.route, c.f, nil)
			var r reply
			if tt.json != "" {
				req, err := http.NewRequest(tt.method, "http://pve.invalid:8006/api2/json"+path, strings.NewReader(tt.json))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/json")
				r = c.send(req)
			} else {
				r = c.do(tt.method, path, tt.params)
			}
			if tt.wantErrors == nil {
				if r.status != http.StatusOK {
					t.Fatalf("valid parameters refused: %s\n%s", r.statusLine, r.body)
				}
				return
			}
			if r.statusLine != "400 Parameter verification failed." {
				t.Errorf("status line = %q, want %q", r.statusLine, "400 Parameter verification failed.")
			}
			checkHeaders(t, r.header)
			var got map[string]any
			if err := json.Unmarshal(r.body, &got); err != nil {
				t.Fatalf("error body is not JSON: %v\n%s", err, r.body)
			}
			errs := map[string]any{}
			for k, v := range tt.wantErrors {
				errs[k] = v
			}
			want := map[string]any{"data": nil, "errors": errs, "message": "Parameter verification failed.\n"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("error body (-want +got):\n%s", diff)
			}
		})
	}
}
