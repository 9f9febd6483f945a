package apischema

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func decodeJSON(t testing.TB, s string) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
	return v
}

func TestValidateReturn(t *testing.T) {
	s := loadEmbedded(t)
	tests := []struct {
		name, method, path, data string
		want                     []string
	}{
		{"nextid integer", "GET", "/cluster/nextid", `100`, nil},
		{"nextid string", "GET", "/cluster/nextid", `"100"`,
			[]string{`data: expected integer, got string "100"`}},
		{"null return", "DELETE", "/pools/web", `null`, nil},
		{"null return with data", "PUT", "/nodes/pve1/qemu/100/config", `{"a":1}`,
			[]string{`data: expected null, got object`}},
		{"optional return null", "POST", "/nodes/pve1/qemu/100/config", `null`, nil},
		{"required return null", "POST", "/nodes/pve1/qemu/100/status/start", `null`,
			[]string{"data: expected string, got null"}},
		{"upid string", "POST", "/nodes/pve1/qemu/100/status/start", `"UPID:pve1:00001234:00ABCDEF:6650A1B2:qmstart:100:root@pam:"`, nil},
		{"array of objects", "GET", "/nodes/pve1/qemu",
			`[{"vmid":100,"status":"running","name":"a"},{"vmid":"101","status":"running"}]`,
			[]string{`data[1].vmid: expected integer, got string "101"`}},
		{"missing required property", "GET", "/nodes/pve1/qemu", `[{"name":"a"}]`,
			[]string{
				"data[0].status: property is missing and it is not optional",
				"data[0].vmid: property is missing and it is not optional",
			}},
		{"enum", "GET", "/nodes/pve1/qemu", `[{"vmid":100,"status":"paused"}]`,
			[]string{`data[0].status: value "paused" is not in the enumeration [stopped, running]`}},
		{"boolean as 0/1 and bool", "GET", "/nodes/pve1/qemu", `[{"vmid":100,"status":"stopped","template":1},{"vmid":101,"status":"stopped","template":false}]`, nil},
		{"boolean as 2", "GET", "/nodes/pve1/qemu", `[{"vmid":100,"status":"stopped","template":2}]`,
			[]string{"data[0].template: expected boolean, got number 2"}},
		{"boolean as string", "GET", "/nodes/pve1/qemu", `[{"vmid":100,"status":"stopped","template":"1"}]`,
			[]string{`data[0].template: expected boolean, got string "1"`}},
		{"number accepts integer", "GET", "/nodes/pve1/qemu", `[{"vmid":100,"status":"stopped","cpu":0}]`, nil},
		{"integer rejects fraction", "GET", "/nodes/pve1/qemu", `[{"vmid":100.5,"status":"stopped"}]`,
			[]string{"data[0].vmid: expected integer, got number 100.5"}},
		{"null optional property", "GET", "/nodes/pve1/qemu", `[{"vmid":100,"status":"stopped","name":null}]`, nil},
		{"not an array", "GET", "/nodes/pve1/qemu", `{}`, []string{"data: expected array, got object"}},
		{"indexed config keys", "GET", "/nodes/pve1/qemu/100/config", `{"digest":"x","net0":"virtio,bridge=vmbr0","scsi0":"local-lvm:vm-100-disk-0,size=32G","unused3":"local-lvm:vm-100-disk-1"}`, nil},
		{"indexed config key wrong type", "GET", "/nodes/pve1/qemu/100/config", `{"digest":"x","net0":1}`,
			[]string{"data.net0: expected string, got number 1"}},
		{"nested object", "GET", "/nodes/pve1/status", `{"cpu":0.1,"cpuinfo":{"cpus":"8"}}`,
			[]string{
				"data.boot-info: property is missing and it is not optional",
				"data.cpuinfo.cores: property is missing and it is not optional",
				`data.cpuinfo.cpus: expected integer, got string "8"`,
				"data.cpuinfo.model: property is missing and it is not optional",
				"data.cpuinfo.sockets: property is missing and it is not optional",
				"data.current-kernel: property is missing and it is not optional",
				"data.loadavg: property is missing and it is not optional",
				"data.memory: property is missing and it is not optional",
				"data.pveversion: property is missing and it is not optional",
				"data.rootfs: property is missing and it is not optional",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, _, ok := s.Lookup(tt.method, tt.path)
			if !ok {
				t.Fatalf("no endpoint %s %s", tt.method, tt.path)
			}
			got := m.ValidateReturn(decodeJSON(t, tt.data))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ValidateReturn (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckReturnUndocumented(t *testing.T) {
	m, _, ok := loadEmbedded(t).Lookup("GET", "/nodes/pve1/qemu")
	if !ok {
		t.Fatal("no qemu list endpoint")
	}
	r := m.CheckReturn(decodeJSON(t, `[{"vmid":100,"status":"stopped","shiny":1,"zz":2}]`))
	if len(r.Violations) != 0 {
		t.Errorf("violations: %v", r.Violations)
	}
	if diff := cmp.Diff([]string{"data[0].shiny", "data[0].zz"}, r.Undocumented); diff != "" {
		t.Errorf("undocumented (-want +got):\n%s", diff)
	}
}

func TestValidateReturnPlainDecode(t *testing.T) {
	// Callers that decode without UseNumber get float64 numbers.
	m, _, ok := loadEmbedded(t).Lookup("GET", "/nodes/pve1/qemu")
	if !ok {
		t.Fatal("no qemu list endpoint")
	}
	var v any
	if err := json.Unmarshal([]byte(`[{"vmid":100,"status":"stopped","template":1},{"vmid":1.5,"status":"stopped"}]`), &v); err != nil {
		t.Fatal(err)
	}
	want := []string{"data[1].vmid: expected integer, got number 1.5"}
	if diff := cmp.Diff(want, m.ValidateReturn(v)); diff != "" {
		t.Error(diff)
	}
}

// TestRecordedSamples validates every real response in
// ../shared/pve-api/samples against the full official schema. Real PVE
// servers deviate from the 9.1 schema in a few places (older versions,
// Perl's numbers-as-strings); those deviations are listed and must still be
// reported, so the table cannot go stale.
func TestRecordedSamples(t *testing.T) {
	dir := filepath.Join(pveAPIDir(t), "samples")
	full := loadFull(t)
	tests := []struct {
		file, method, path string
		deviations         []string // expected violations, in order
		why                string
	}{
		{file: "GET_cluster_nextid.json", method: "GET", path: "/cluster/nextid",
			deviations: []string{`data: expected integer, got string "100"`},
			why:        "PVE serialises the next id as a string (WIRE.md item 12)"},
		{file: "GET_cluster_resources.json", method: "GET", path: "/cluster/resources"},
		{file: "GET_cluster_status.json", method: "GET", path: "/cluster/status"},
		{file: "GET_nodes.json", method: "GET", path: "/nodes"},
		{file: "GET_nodes_{node}_lxc.json", method: "GET", path: "/nodes/{node}/lxc",
			deviations: []string{
				`data[0].vmid: expected integer, got string "106"`,
				`data[1].vmid: expected integer, got string "105"`,
				`data[2].vmid: expected integer, got string "101"`,
			},
			why: "PVE 7 sends the LXC vmid as a string"},
		{file: "GET_nodes_{node}_lxc_{vmid}_config.json", method: "GET", path: "/nodes/{node}/lxc/{vmid}/config"},
		{file: "GET_nodes_{node}_network.json", method: "GET", path: "/nodes/{node}/network",
			deviations: []string{
				`data[1].vlan-id: expected integer, got string "2"`,
				`data[3].vlan-id: expected integer, got string "2"`,
				`data[4].vlan-id: expected integer, got string "8"`,
			},
			why: "network config values are Perl strings on the wire (WIRE.md item 12)"},
		{file: "GET_nodes_{node}_qemu.json", method: "GET", path: "/nodes/{node}/qemu"},
		{file: "GET_nodes_{node}_qemu_{vmid}_config.json", method: "GET", path: "/nodes/{node}/qemu/{vmid}/config",
			deviations: []string{"data.memory: expected string, got number 8192"},
			why:        "PVE 9 made memory a property string; older servers send an integer"},
		{file: "GET_nodes_{node}_qemu_{vmid}_status_current.json", method: "GET", path: "/nodes/{node}/qemu/{vmid}/status/current"},
		{file: "GET_nodes_{node}_status.json", method: "GET", path: "/nodes/{node}/status",
			deviations: []string{
				"data.boot-info: property is missing and it is not optional",
				"data.current-kernel: property is missing and it is not optional",
				"data.memory.available: property is missing and it is not optional",
			},
			why: "PVE 7.4 predates these node status fields"},
		{file: "GET_nodes_{node}_storage_{storage}_content.json", method: "GET", path: "/nodes/{node}/storage/{storage}/content"},
		{file: "GET_nodes_{node}_tasks.json", method: "GET", path: "/nodes/{node}/tasks"},
		{file: "GET_nodes_{node}_tasks_{upid}_status.json", method: "GET", path: "/nodes/{node}/tasks/{upid}/status"},
		{file: "GET_nodes_{node}_tasks_{upid}_status_running.json", method: "GET", path: "/nodes/{node}/tasks/{upid}/status"},
		{file: "GET_nodes_{node}_version.json", method: "GET", path: "/nodes/{node}/version"},
		{file: "POST_access_ticket.json", method: "POST", path: "/access/ticket"},
		// An error reply: data is null and the errors member carries the text.
		{file: "GET_cluster_nextid_400.json", method: "GET", path: "/cluster/nextid",
			deviations: []string{"data: expected integer, got null"},
			why:        "a 400 reply has no data"},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.file] = true
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			body, err := os.ReadFile(filepath.Join(dir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.UseNumber()
			var env map[string]any
			if err := dec.Decode(&env); err != nil {
				t.Fatal(err)
			}
			data, ok := env["data"]
			if !ok {
				t.Fatal("no data member")
			}
			m, _, ok := full.Lookup(tt.method, tt.path)
			if !ok || m.Path != tt.path {
				t.Fatalf("no endpoint %s %s in the official schema", tt.method, tt.path)
			}
			if diff := cmp.Diff(tt.deviations, m.ValidateReturn(data)); diff != "" {
				t.Errorf("violations differ from the documented deviations (%s) (-want +got):\n%s", tt.why, diff)
			}
		})
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("sample %s has no entry in the table", filepath.Base(f))
		}
	}
}
