package privacy

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/anonymize"
	"github.com/proxmox-mpc/proxmox-mpc/internal/discovery"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fakeSource is a state store holding one inventory.
type fakeSource struct {
	inv state.Inventory
	ops []state.Operation
}

func (f *fakeSource) Inventory(context.Context) (state.Inventory, error) { return f.inv, nil }
func (f *fakeSource) SyncRuns(context.Context, int) ([]state.SyncRun, error) {
	return []state.SyncRun{{ID: 1, Outcome: state.OutcomeOK, Added: len(f.inv.Guests)}}, nil
}
func (f *fakeSource) Operations(context.Context, state.OperationFilter) ([]state.Operation, error) {
	return f.ops, nil
}

var _ Source = (*fakeSource)(nil)

// homelab discovers the simulator's homelab scenario once per test binary.
var homelab = sync.OnceValues(func() (state.Inventory, error) {
	sim, err := pvesim.New(pvesim.Options{TaskDuration: -1})
	if err != nil {
		return state.Inventory{}, err
	}
	c, err := pve.New(pve.Config{Endpoint: "https://sim.invalid:8006", APIToken: pvesim.DefaultToken, Transport: sim.RoundTripper()})
	if err != nil {
		return state.Inventory{}, err
	}
	inv, _, err := discovery.Discover(context.Background(), c, discovery.Options{})
	return inv, err
})

func homelabInventory(t testing.TB) state.Inventory {
	t.Helper()
	inv, err := homelab()
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// newWorkspace makes a workspace and a config dir holding a fixed key.
func newWorkspace(t *testing.T, endpoint string) *Service {
	t.Helper()
	ws, err := workspace.Init(filepath.Join(t.TempDir(), "homelab"), workspace.Config{Name: "homelab", Endpoint: endpoint}, workspace.InitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	svc := &Service{Workspace: ws, ConfigDir: filepath.Join(t.TempDir(), "proxmox-mpc"),
		Now: func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }}
	p, err := svc.KeyPath()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(hex.EncodeToString(bytes.Repeat([]byte{7}, 32))+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return svc
}

func TestKey(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	svc := &Service{Workspace: &workspace.Workspace{Root: root}, ConfigDir: filepath.Join(t.TempDir(), "cfg")}
	k1, created, err := svc.Key()
	if err != nil || !created || len(k1) != anonymize.KeySize {
		t.Fatalf("first Key: %d bytes, created %v, %v", len(k1), created, err)
	}
	p, _ := svc.KeyPath()
	if !strings.HasPrefix(p, filepath.Join(svc.ConfigDir, KeysDir)+string(filepath.Separator)) || Inside(root, p) {
		t.Errorf("key path %s: want under %s/keys and outside the workspace", p, svc.ConfigDir)
	}
	for path, want := range map[string]os.FileMode{p: 0o600, filepath.Dir(p): 0o700} {
		st, err := os.Stat(path)
		if err != nil || st.Mode().Perm() != want {
			t.Errorf("%s: mode %v (%v), want %04o", path, st.Mode().Perm(), err, want)
		}
	}
	k2, created, err := svc.Key()
	if err != nil || created || !bytes.Equal(k1, k2) {
		t.Errorf("second Key: created %v, same %v, %v", created, bytes.Equal(k1, k2), err)
	}
	other := &Service{Workspace: &workspace.Workspace{Root: t.TempDir()}, ConfigDir: svc.ConfigDir}
	if k3, _, _ := other.Key(); bytes.Equal(k1, k3) {
		t.Error("two workspaces share a key")
	}

	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	var ke *KeyError
	if _, _, err := svc.Key(); !errors.As(err, &ke) || !strings.Contains(ke.Hint(), "chmod 600") {
		t.Errorf("a 0644 key: %v, want a KeyError with a chmod hint", err)
	}
	if err := os.WriteFile(p, []byte("not hex"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Key(); !errors.As(err, &ke) {
		t.Errorf("a garbage key: %v, want a KeyError", err)
	}
	if _, err := (&Service{Workspace: &workspace.Workspace{Root: root}}).KeyPath(); !errors.As(err, &ke) {
		t.Errorf("no config dir: %v, want a KeyError", err)
	}
	inside := &Service{Workspace: &workspace.Workspace{Root: root}, ConfigDir: filepath.Join(root, "cfg")}
	if _, err := inside.KeyPath(); !errors.As(err, &ke) {
		t.Errorf("config dir inside the workspace: %v, want a KeyError", err)
	}
}

func TestKeyConcurrentFirstUse(t *testing.T) {
	t.Parallel()
	svc := &Service{Workspace: &workspace.Workspace{Root: t.TempDir()}, ConfigDir: filepath.Join(t.TempDir(), "cfg")}
	keys := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			k, _, err := svc.Key()
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	for _, k := range keys[1:] {
		if !bytes.Equal(k, keys[0]) {
			t.Fatal("processes making the key at once ended with different keys")
		}
	}
}

func TestEditRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		c       RuleChanges
		want    string
		wantErr string
	}{
		{name: "new file", c: RuleChanges{Disable: []anonymize.Type{anonymize.TypeMAC}, Allow: []string{"*.corp.example"}},
			want: rulesHeader + "disabled:\n  - mac\nallow:\n  - '*.corp.example'\n"},
		{name: "enable removes, comments kept",
			in:   "# mine\ndisabled: [mac, email] # two\nblock: [\"Project Falcon\"]\n",
			c:    RuleChanges{Enable: []anonymize.Type{anonymize.TypeMAC}},
			want: "# mine\ndisabled: [email] # two\nblock: [\"Project Falcon\"]\n"},
		{name: "allow moves a value off the block list",
			in:   "block:\n  - Project Falcon\n",
			c:    RuleChanges{Allow: []string{"Project Falcon"}},
			want: "block: []\nallow:\n  - Project Falcon\n"},
		{name: "adding twice is once", in: "allow:\n  - 10.0.0.1\n", c: RuleChanges{Allow: []string{"10.0.0.1"}},
			want: "allow:\n  - 10.0.0.1\n"},
		{name: "numbers stay strings", c: RuleChanges{Block: []string{"12345"}}, want: rulesHeader + "block:\n  - \"12345\"\n"},
		{name: "unknown type", c: RuleChanges{Disable: []anonymize.Type{"bogus"}}, wantErr: `unknown type "bogus"`},
		{name: "too short a block value", c: RuleChanges{Block: []string{"ab"}}, wantErr: "shorter than 3"},
		{name: "not YAML", in: "allow: [\n", c: RuleChanges{Allow: []string{"x.example"}}, wantErr: "not valid YAML"},
		{name: "not a mapping", in: "- a\n", c: RuleChanges{Allow: []string{"x.example"}}, wantErr: "not a mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := EditRules([]byte(tt.in), tt.c)
			if tt.wantErr != "" {
				var ce *RuleChangeError
				if !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want a RuleChangeError with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestRulesFile(t *testing.T) {
	t.Parallel()
	svc := newWorkspace(t, "https://10.0.0.5:8006")
	if r, exists, err := svc.Rules(); err != nil || exists || len(r.Allow)+len(r.Block)+len(r.Disabled) != 0 {
		t.Fatalf("no rules file: %+v %v %v", r, exists, err)
	}
	r, err := svc.UpdateRules(RuleChanges{Disable: []anonymize.Type{anonymize.TypeEmail}, Block: []string{"Project Falcon"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Disabled, []anonymize.Type{anonymize.TypeEmail}) || !slices.Equal(r.Block, []string{"Project Falcon"}) {
		t.Errorf("rules after update: %+v", r)
	}
	if st, err := os.Stat(svc.RulesPath()); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("rules file mode: %v", err)
	}
	e, err := svc.Engine(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Text("mail bob@example.org about Project Falcon"); got != "mail bob@example.org about [REDACTED:blocked]" {
		t.Errorf("engine with the rules: %q", got)
	}

	if err := os.WriteFile(svc.RulesPath(), []byte("allow: [a]\nbogus: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var fe *RulesFileError
	if _, _, err := svc.Rules(); !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), svc.RulesPath()+":2: ") || fe.Hint() == "" {
		t.Errorf("bad rules file: %v, want FILE:2: with a hint", err)
	}
	if _, err := svc.UpdateRules(RuleChanges{Allow: []string{"x.example"}}); !errors.As(err, &fe) {
		t.Errorf("updating a bad rules file: %v, want the file's error", err)
	}
}

func TestKnownFrom(t *testing.T) {
	t.Parallel()
	inv := homelabInventory(t)
	k, st := KnownFrom(inv)
	for _, n := range realNames(inv) {
		if !slices.Contains(k.Hosts, n) {
			t.Errorf("known hosts miss %q", n)
		}
	}
	if !slices.Contains(k.Domains, "home.arpa") {
		t.Errorf("known domains %v miss home.arpa", k.Domains)
	}
	want := KnownStats{Nodes: 3, Guests: 17, Storages: 3, Pools: 2, Domains: 1}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	hosts, domains := endpointNames("https://pve1.lab.example:8006")
	if !slices.Equal(hosts, []string{"pve1"}) || !slices.Equal(domains, []string{"lab.example"}) {
		t.Errorf("endpoint names: %v %v", hosts, domains)
	}
	if h, d := endpointNames("https://192.168.1.10:8006"); h != nil || d != nil {
		t.Errorf("an address endpoint gave names %v %v", h, d)
	}
}

// realNames lists every node, guest, storage and pool name and the cluster
// name of inv.
func realNames(inv state.Inventory) []string {
	var out []string
	add := func(s string) {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	add(inv.Cluster.Name)
	for _, n := range inv.Nodes {
		add(n.Name)
	}
	for _, g := range inv.Guests {
		add(g.Name)
		add(g.Pool)
	}
	for _, s := range inv.Storages {
		add(s.Name)
	}
	return out
}

// generic are PVE's default names, which identify nobody and stay.
var generic = []string{"local", "local-lvm", "pve"}

func TestOutputPaths(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, anon, real string }{
		{"app.log", "app.anon.log", "app.real.log"},
		{"/x/y/main.tf", "/x/y/main.anon.tf", "/x/y/main.real.tf"},
		{"notes", "notes.anon", "notes.real"},
		{".env", ".env.anon", ".env.real"},
		{"answer.anon.txt", "answer.anon.anon.txt", "answer.real.txt"},
		{"a.tar.gz", "a.tar.anon.gz", "a.tar.real.gz"},
	}
	for _, tt := range tests {
		if got := AnonOutputPath(tt.in); got != tt.anon {
			t.Errorf("AnonOutputPath(%q) = %q, want %q", tt.in, got, tt.anon)
		}
		if got := RealOutputPath(tt.in); got != tt.real {
			t.Errorf("RealOutputPath(%q) = %q, want %q", tt.in, got, tt.real)
		}
	}
}

func TestAnonymizeFileAndReverse(t *testing.T) {
	t.Parallel()
	svc := newWorkspace(t, "https://10.0.0.5:8006")
	svc.State = &fakeSource{inv: homelabInventory(t)}
	e, err := svc.Engine(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string]string{
		"note.txt":    "web-01 on pve1 (192.168.1.21, BC:24:11:00:00:01) in pool prod; db-01.home.arpa is down\nsecond line: pihole and nas\n",
		"guest.json":  `{"name": "db-01", "net0": "virtio=BC:24:11:00:00:02,bridge=vmbr0", "ip": "10.10.10.11"}`,
		"hosts.yaml":  "# hosts of pve2\nall:\n  hosts:\n    gitea: {ansible_host: 192.168.1.40}\n",
		"server.log":  "{\"time\":\"2026-03-01T11:00:00Z\",\"msg\":\"start k8s-cp-01\",\"node\":\"pve1\"}\nplain line about monitoring\n",
		"broken.json": "{\"name\": \"dns-01\",",
	}
	for name, content := range files {
		in := filepath.Join(dir, name)
		if err := os.WriteFile(in, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		out := AnonOutputPath(in)
		if _, err := AnonymizeFile(e, in, out); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		anon, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if st, _ := os.Stat(out); st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", out, st.Mode().Perm())
		}
		assertNoReal(t, name, anon, svc)
		mapPath := filepath.Join(dir, name+".map")
		if err := ExportReverse(mapPath, e.Mapping()); err != nil {
			t.Fatal(err)
		}
		m, err := ReadReverse(mapPath)
		if err != nil {
			t.Fatal(err)
		}
		back := RealOutputPath(out)
		if err := ReverseFile(out, back, m); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(back); name != "hosts.yaml" && string(got) != content {
			t.Errorf("%s: reverse gave\n%s\nwant\n%s", name, got, content)
		}
	}
	if _, err := AnonymizeFile(e, filepath.Join(dir, "note.txt"), filepath.Join(dir, "note.txt")); !errors.Is(err, ErrSameFile) {
		t.Errorf("writing over the input: %v", err)
	}
}

// assertNoReal fails when a real name or address of the homelab appears
// in data as a whole word.
func assertNoReal(t *testing.T, what string, data []byte, svc *Service) {
	t.Helper()
	inv := homelabInventory(t)
	vals := []string{"home.arpa", "192.168.1.", "10.10.10.", "BC:24:11"}
	for _, n := range realNames(inv) {
		if !slices.Contains(generic, n) {
			vals = append(vals, n)
		}
	}
	if svc.Workspace.Config.Endpoint != "" {
		vals = append(vals, strings.TrimPrefix(svc.Workspace.Config.Endpoint, "https://"))
	}
	for _, v := range vals {
		re := regexp.MustCompile(`(^|[^A-Za-z0-9_-])` + regexp.QuoteMeta(v) + `($|[^A-Za-z0-9_-])`)
		if strings.HasSuffix(v, ".") {
			re = regexp.MustCompile(`(^|[^0-9])` + regexp.QuoteMeta(v))
		}
		if loc := re.FindIndex(data); loc != nil {
			lo, hi := max(0, loc[0]-40), min(len(data), loc[1]+40)
			t.Errorf("%s holds the real value %q: …%s…", what, v, data[lo:hi])
		}
	}
}

func TestRecentLogs(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := filepath.Join(root, workspace.Dir, LogsDir)
	if got, err := RecentLogs(root, time.Time{}); err != nil || got != nil {
		t.Fatalf("no log folder: %q %v", got, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	old := `{"time":"2026-03-01T09:00:00Z","level":"INFO","msg":"old"}`
	recent := `{"time":"2026-03-01T11:30:00Z","level":"ERROR","msg":"boom","correlation_id":"c1"}`
	if err := os.WriteFile(filepath.Join(dir, "proxmox-mpc.log"), []byte(old+"\n"+recent+"\nnot json\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "old.log.gz"), []byte("gzip"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := RecentLogs(root, time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if want := recent + "\nnot json\n"; string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if recs := errorRecords(got, 10); len(recs) != 1 || !strings.Contains(string(recs[0]), `"c1"`) {
		t.Errorf("error records: %s", recs)
	}
}

func TestBundle(t *testing.T) {
	t.Parallel()
	const secret = "8f0a6f64-5c2c-4f0e-9c55-3a0d3b6f9e11"
	svc := newWorkspace(t, "https://127.0.0.1:41234")
	inv := homelabInventory(t)
	svc.State = &fakeSource{inv: inv, ops: []state.Operation{
		{ID: 2, Action: "start", Target: "vm 101 (web-01)", Outcome: state.OutcomeFailed, Error: "start web-01 on pve1: 500", CorrelationID: "c0ffee"},
		{ID: 1, Action: "stop", Target: "vm 100 (dns-01)", Outcome: state.OutcomeOK},
	}}
	if err := svc.Workspace.WriteFile("terraform/web-01.tf", []byte("resource \"x\" \"web_01\" {\n  node_name = \"pve1\"\n  ip = \"192.168.1.21/24\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := svc.Workspace.WriteFile("terraform/terraform.tfstate", []byte(`{"secret":"x"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := svc.Workspace.WriteFile("ansible/inventory.yml", []byte("all:\n  hosts:\n    gitea:\n      ansible_host: 192.168.1.40\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	logs := `{"time":"2026-03-01T11:59:00Z","level":"ERROR","msg":"sync pve2 failed","correlation_id":"c0ffee","auth":"PVEAPIToken=root@pam!ci=` + secret + `"}` + "\n"
	health := []byte(`{"summary":"red","checks":[{"name":"node pve3","status":"red","detail":"memory 95% on pve3"}]}`)
	in := BundleInput{
		Logs:      func(context.Context, time.Time) ([]byte, error) { return []byte(logs), nil },
		Health:    func(context.Context) ([]byte, error) { return health, nil },
		Anonymize: true, Version: "1.2.3",
	}
	path := filepath.Join(t.TempDir(), "report.tar.gz")
	res, err := svc.Bundle(context.Background(), path, in)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 || st.Size() != res.Size {
		t.Fatalf("bundle file: %v %v", st, err)
	}
	members := readTarGz(t, path)
	var names []string
	for name, data := range members {
		names = append(names, name)
		assertNoReal(t, name, append([]byte(name+"\n"), data...), svc)
		if bytes.Contains(data, []byte(secret)) {
			t.Errorf("%s holds the token secret", name)
		}
	}
	slices.Sort(names)
	for _, want := range []string{ManifestName, "state.json", "config.yaml", "health.json", "logs/recent.log", "errors.json", "ansible/inventory.yml"} {
		if !slices.Contains(names, want) {
			t.Errorf("members %v miss %s", names, want)
		}
	}
	if slices.ContainsFunc(names, func(n string) bool { return strings.Contains(n, "tfstate") }) {
		t.Errorf("the terraform state went into the bundle: %v", names)
	}
	if !strings.Contains(string(members["errors.json"]), "c0ffee") {
		t.Errorf("errors.json lost the correlation id:\n%s", members["errors.json"])
	}
	// sizes follow the simulator's timestamps; the rest is stable
	golden(t, "TestBundle_MANIFEST.txt", regexp.MustCompile(` +\d+ bytes`).ReplaceAll(members[ManifestName], []byte(" N bytes")))

	// --no-anonymize keeps everything real
	raw := filepath.Join(t.TempDir(), "raw.tar.gz")
	in.Anonymize = false
	if _, err := svc.Bundle(context.Background(), raw, in); err != nil {
		t.Fatal(err)
	}
	if m := readTarGz(t, raw); !bytes.Contains(m["terraform/web-01.tf"], []byte("pve1")) || !strings.Contains(string(m[ManifestName]), "anonymized: NO") {
		t.Errorf("the raw bundle is not raw: %v", slices.Sorted(func(yield func(string) bool) {
			for k := range m {
				if !yield(k) {
					return
				}
			}
		}))
	}
}

func readTarGz(t *testing.T, path string) map[string][]byte {
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
		if h.Mode != 0o600 {
			t.Errorf("member %s mode %o", h.Name, h.Mode)
		}
		out[h.Name] = data
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", p, diff)
	}
}

func TestParseReverse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		wantErr bool
	}{
		{`{"host-3f9a2c": "web-01"}`, false},
		{`{}`, false},
		{`[]`, true},
		{`null`, true},
		{`{"a": 1}`, true},
		{`{"": "x"}`, true},
		{`{"a": "b"} {"c": "d"}`, true},
		{``, true},
	}
	for _, tt := range tests {
		_, err := ParseReverse([]byte(tt.in))
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseReverse(%q) error %v, want error %v", tt.in, err, tt.wantErr)
		}
	}
}

func FuzzParseReverse(f *testing.F) {
	f.Add([]byte(`{"host-3f9a2c": "web-01", "240.1.2.3": "192.168.1.3"}`))
	f.Add([]byte(`{"": ""}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseReverse(data)
		if err == nil && m == nil {
			t.Fatal("nil map without an error")
		}
	})
}

func FuzzEditRules(f *testing.F) {
	f.Add([]byte("disabled: [mac]\nallow: ['*.x.example']\n"), "ipv4", "10.0.0.1", "Project Falcon")
	f.Add([]byte("# c\n"), "bogus", "", "ab")
	f.Add([]byte("allow: 3\n"), "mac", "x", "[REDACTED")
	f.Fuzz(func(t *testing.T, data []byte, typ, allow, block string) {
		c := RuleChanges{Disable: []anonymize.Type{anonymize.Type(typ)}, Allow: []string{allow}, Block: []string{block}}
		out, err := EditRules(data, c)
		if err != nil {
			var ce *RuleChangeError
			if !errors.As(err, &ce) {
				t.Fatalf("error %T %v, want a RuleChangeError", err, err)
			}
			return
		}
		r, err := anonymize.ParseRules(out)
		if err != nil {
			t.Fatalf("EditRules wrote rules that do not parse: %v\n%s", err, out)
		}
		// block goes last: a value both allowed and blocked ends blocked
		if (allow != block && !slices.Contains(r.Allow, allow)) || !slices.Contains(r.Block, block) || !slices.Contains(r.Disabled, anonymize.Type(typ)) {
			t.Fatalf("the change is missing from\n%s", out)
		}
	})
}
