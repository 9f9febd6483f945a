package apischema

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// pveAPIDir returns ../shared/pve-api beside the repository root (the
// directory holding go.mod). The fidelity checks need it, so a missing
// directory fails the test rather than skipping it.
func pveAPIDir(t testing.TB) string {
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
	p := filepath.Join(dir, "..", "shared", "pve-api")
	if _, err := os.Stat(filepath.Join(p, "apidoc.json")); err != nil {
		t.Fatalf("official PVE API schema missing: %v (expected ../shared/pve-api beside the repository)", err)
	}
	return p
}

func loadEmbedded(t testing.TB) *Schema {
	t.Helper()
	s, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func loadFull(t testing.TB) *Schema {
	t.Helper()
	s, err := LoadFile(filepath.Join(pveAPIDir(t), "apidoc.json"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestEmbeddedSchemaInSync(t *testing.T) {
	apidoc, err := os.ReadFile(filepath.Join(pveAPIDir(t), "apidoc.json"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := Subset(apidoc)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Subset(apidoc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, again) {
		t.Fatal("Subset is not deterministic")
	}
	if !bytes.Equal(want, embedded) {
		t.Fatalf("embedded schema.json differs from a subset of apidoc.json (%d vs %d bytes): run go generate ./internal/pvesim/apischema", len(embedded), len(want))
	}
}

func TestSubsetRejectsBadInput(t *testing.T) {
	tests := []struct {
		name, in string
	}{
		{"not json", "{"},
		{"object instead of tree", `{"path":"/version"}`},
		{"no simulator paths", `[{"path":"/cluster/ha","info":{"GET":{}}}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Subset([]byte(tt.in)); err == nil {
				t.Fatal("Subset accepted bad input")
			}
		})
	}
}

// TestLoadFileMatchesEndpointList checks LoadFile against endpoints.txt, the
// upstream list of the 649 endpoints.
func TestLoadFileMatchesEndpointList(t *testing.T) {
	f, err := os.Open(filepath.Join(pveAPIDir(t), "endpoints.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var want []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			want = append(want, line)
		}
	}
	sort.Strings(want)
	var got []string
	for _, m := range loadFull(t).Methods() {
		got = append(got, m.Method+" "+m.Path)
	}
	sort.Strings(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LoadFile endpoints differ from endpoints.txt (-want +got):\n%s", diff)
	}
}

func TestLoadEmbeddedCoversSimulatorPaths(t *testing.T) {
	s := loadEmbedded(t)
	full := loadFull(t)
	for _, m := range s.Methods() {
		fm, _, ok := full.Lookup(m.Method, m.Path)
		if !ok || fm.Path != m.Path {
			t.Errorf("embedded %s %s is not in the official schema", m.Method, m.Path)
		}
	}
	for _, want := range []string{
		"GET /version", "GET /cluster/status", "GET /cluster/resources", "GET /cluster/nextid",
		"GET /nodes", "GET /nodes/{node}/status", "POST /nodes/{node}/qemu/{vmid}/config",
		"DELETE /nodes/{node}/lxc/{vmid}", "GET /nodes/{node}/storage/{storage}/content",
		"GET /nodes/{node}/tasks/{upid}/status", "POST /access/ticket", "GET /pools",
		"GET /nodes/{node}/network/{iface}",
	} {
		method, path, _ := strings.Cut(want, " ")
		if m, _, ok := s.Lookup(method, path); !ok || m.Path != path {
			t.Errorf("embedded schema lacks %s", want)
		}
	}
	if _, _, ok := s.Lookup("GET", "/cluster/ha/groups"); ok {
		t.Error("embedded schema holds /cluster/ha/groups, which the simulator does not serve")
	}
	ms := s.Methods()
	if !sort.SliceIsSorted(ms, func(i, j int) bool {
		if ms[i].Path != ms[j].Path {
			return ms[i].Path < ms[j].Path
		}
		return ms[i].Method < ms[j].Method
	}) {
		t.Error("Methods() is not sorted by path then method")
	}
}

func TestLookup(t *testing.T) {
	s := loadFull(t)
	tests := []struct {
		name, method, path string
		wantPath           string // "" = no match
		wantVars           map[string]string
	}{
		{"root literal", "GET", "/version", "/version", map[string]string{}},
		{"placeholders", "GET", "/nodes/pve1/qemu/100/config", "/nodes/{node}/qemu/{vmid}/config", map[string]string{"node": "pve1", "vmid": "100"}},
		{"lower-case method", "post", "/nodes/pve1/qemu/100/config", "/nodes/{node}/qemu/{vmid}/config", map[string]string{"node": "pve1", "vmid": "100"}},
		{"api2 prefix and query", "GET", "/api2/json/nodes/pve1/status?x=1", "/nodes/{node}/status", map[string]string{"node": "pve1"}},
		{"trailing slash", "GET", "/nodes/", "/nodes", map[string]string{}},
		// /nodes/{node}/qemu/{vmid}/status is a literal directory; "current"
		// is a literal child, not a placeholder.
		{"literal wins", "GET", "/nodes/pve1/qemu/100/status/current", "/nodes/{node}/qemu/{vmid}/status/current", map[string]string{"node": "pve1", "vmid": "100"}},
		{"literal wins over {node}", "GET", "/cluster/resources", "/cluster/resources", map[string]string{}},
		{"escaped upid", "GET", "/nodes/pve1/tasks/UPID%3Apve1%3A0000A1B2%3A00C0FFEE%3A6650A1B2%3Aqmstart%3A100%3Aroot%40pam%3A/status",
			"/nodes/{node}/tasks/{upid}/status", map[string]string{"node": "pve1", "upid": "UPID:pve1:0000A1B2:00C0FFEE:6650A1B2:qmstart:100:root@pam:"}},
		{"escaped volume", "DELETE", "/nodes/pve1/storage/local/content/local%3Aiso%2Fdebian.iso",
			"/nodes/{node}/storage/{storage}/content/{volume}", map[string]string{"node": "pve1", "storage": "local", "volume": "local:iso/debian.iso"}},
		{"unescaped volume with slash", "GET", "/nodes/pve1/storage/local/content/local:iso/debian.iso",
			"/nodes/{node}/storage/{storage}/content/{volume}", map[string]string{"node": "pve1", "storage": "local", "volume": "local:iso/debian.iso"}},
		{"unknown path", "GET", "/nodes/pve1/qemu/100/nonsense", "", nil},
		{"too deep", "GET", "/nodes/pve1/qemu/100/config/extra", "", nil},
		{"method not served", "PATCH", "/nodes", "", nil},
		{"empty placeholder", "GET", "/nodes//status", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, vars, ok := s.Lookup(tt.method, tt.path)
			if tt.wantPath == "" {
				if ok {
					t.Fatalf("Lookup(%s %s) = %s, want no match", tt.method, tt.path, m.Path)
				}
				return
			}
			if !ok {
				t.Fatalf("Lookup(%s %s) found nothing, want %s", tt.method, tt.path, tt.wantPath)
			}
			if m.Path != tt.wantPath {
				t.Errorf("path = %s, want %s", m.Path, tt.wantPath)
			}
			if diff := cmp.Diff(tt.wantVars, vars); diff != "" {
				t.Errorf("vars (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPathVars(t *testing.T) {
	m, _, ok := loadEmbedded(t).Lookup("GET", "/nodes/pve1/qemu/100/snapshot/s1/config")
	if !ok {
		t.Fatal("snapshot config endpoint not found")
	}
	if diff := cmp.Diff([]string{"node", "snapname", "vmid"}, m.PathVars()); diff != "" {
		t.Error(diff)
	}
}

func TestPropertyIndexedKeys(t *testing.T) {
	m, _, ok := loadEmbedded(t).Lookup("PUT", "/nodes/pve1/qemu/100/config")
	if !ok {
		t.Fatal("qemu config endpoint not found")
	}
	tests := []struct {
		key, want string // want = schema key, "" = not defined
	}{
		{"net0", "net[n]"},
		{"net31", "net[n]"}, // the schema states no range for net[n]
		{"scsi30", "scsi[n]"},
		{"scsi31", ""}, // n is 0 to 30
		{"ide3", "ide[n]"},
		{"ide4", ""},
		{"usb14", "usb[n]"},
		{"usb15", ""},
		{"net00", ""},
		{"net", ""},
		{"net-1", ""},
		{"cores", "cores"},
		{"bogus0", ""},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			_, got, ok := m.Parameters.Property(tt.key)
			if ok != (tt.want != "") || got != tt.want {
				t.Errorf("Property(%q) = %q, %v; want %q", tt.key, got, ok, tt.want)
			}
		})
	}
}
