package pvesim

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

func config(t *testing.T, s *Sim, node, kind string, vmid int, q url.Values) map[string]any {
	t.Helper()
	return mustOK(t, do(t, s, "GET", fmt.Sprintf("/nodes/%s/%s/%d/config", node, kind, vmid), q), "config").dataMap(t)
}

func TestConfigDigestAndDelete(t *testing.T) {
	t.Parallel()
	s, _ := newTestSim(t, Options{})
	cfg := config(t, s, "pve1", "qemu", 109, nil)
	digest := cfg["digest"].(string)

	r := do(t, s, "PUT", "/nodes/pve1/qemu/109/config", url.Values{"digest": {strings.Repeat("0", 40)}, "cores": {"8"}})
	if r.status != 500 || r.reason != "checksum mismatch (file change by other user?)" {
		t.Fatalf("stale digest: got %d %q", r.status, r.reason)
	}
	r = mustOK(t, do(t, s, "PUT", "/nodes/pve1/qemu/109/config", url.Values{
		"digest": {digest}, "cores": {"8"}, "delete": {"tags,description,nonexistent"},
	}), "put with digest")
	if r.data() != nil {
		t.Fatalf("PUT config data = %v, want null", r.data())
	}
	cfg = config(t, s, "pve1", "qemu", 109, nil)
	if cfg["cores"] != json.Number("8") {
		t.Errorf("cores = %v, want 8", cfg["cores"])
	}
	if _, ok := cfg["tags"]; ok {
		t.Errorf("tags still present after delete")
	}
	if cfg["digest"] == digest {
		t.Errorf("digest unchanged after an update")
	}
	// The old digest is stale now.
	r = do(t, s, "PUT", "/nodes/pve1/qemu/109/config", url.Values{"digest": {digest}, "cores": {"2"}})
	if r.status != 500 {
		t.Fatalf("reused digest: got %d", r.status)
	}
	// Setting and deleting the same key is refused.
	r = do(t, s, "PUT", "/nodes/pve1/qemu/109/config", url.Values{"cores": {"2"}, "delete": {"cores"}})
	if r.status != 400 {
		t.Fatalf("set+delete same key: got %d %s", r.status, r.raw)
	}
	// Containers use the generic message.
	r = do(t, s, "PUT", "/nodes/pve1/lxc/203/config", url.Values{"digest": {strings.Repeat("1", 40)}, "cores": {"2"}})
	if r.status != 500 || !strings.Contains(r.reason, "file changed by other user") {
		t.Fatalf("lxc stale digest: got %d %q", r.status, r.reason)
	}
}

func TestDeleteDiskBecomesUnused(t *testing.T) {
	t.Parallel()
	s, _ := newTestSim(t, Options{})
	mustOK(t, do(t, s, "PUT", "/nodes/pve1/qemu/109/config", url.Values{"scsi1": {"local-lvm:10"}}), "add disk")
	cfg := config(t, s, "pve1", "qemu", 109, nil)
	if cfg["scsi1"] != "local-lvm:vm-109-disk-1,size=10G" {
		t.Fatalf("scsi1 = %v", cfg["scsi1"])
	}
	mustOK(t, do(t, s, "PUT", "/nodes/pve1/qemu/109/config", url.Values{"delete": {"scsi1"}}), "delete disk")
	cfg = config(t, s, "pve1", "qemu", 109, nil)
	if cfg["unused0"] != "local-lvm:vm-109-disk-1" || cfg["scsi1"] != nil {
		t.Fatalf("after delete: scsi1=%v unused0=%v", cfg["scsi1"], cfg["unused0"])
	}
}

func TestPendingOnRunningVM(t *testing.T) {
	t.Parallel()
	s, clk := newTestSim(t, Options{})
	// 101 runs; cpu type needs a restart, name does not.
	mustOK(t, do(t, s, "PUT", "/nodes/pve1/qemu/101/config", url.Values{"cpu": {"x86-64-v3"}, "name": {"web-01b"}, "cores": {"4"}}), "put")
	cur := config(t, s, "pve1", "qemu", 101, url.Values{"current": {"1"}})
	eff := config(t, s, "pve1", "qemu", 101, nil)
	if cur["cpu"] != "host" || eff["cpu"] != "x86-64-v3" {
		t.Fatalf("cpu current=%v effective=%v, want host / x86-64-v3", cur["cpu"], eff["cpu"])
	}
	if cur["cores"] != json.Number("2") || eff["cores"] != json.Number("4") {
		t.Fatalf("cores current=%v effective=%v", cur["cores"], eff["cores"])
	}
	if cur["name"] != "web-01b" {
		t.Fatalf("hot-pluggable name not applied: %v", cur["name"])
	}
	pend := mustOK(t, do(t, s, "GET", "/nodes/pve1/qemu/101/pending", nil), "pending").dataList(t)
	found := map[string]map[string]any{}
	for _, row := range pend {
		m := row.(map[string]any)
		found[m["key"].(string)] = m
	}
	if found["cpu"]["pending"] != "x86-64-v3" || found["cpu"]["value"] != "host" {
		t.Fatalf("pending cpu row = %v", found["cpu"])
	}
	if _, ok := found["name"]["pending"]; ok {
		t.Fatalf("name should not be pending: %v", found["name"])
	}
	// Pending deletes of non-hotpluggable keys.
	mustOK(t, do(t, s, "PUT", "/nodes/pve1/qemu/101/config", url.Values{"delete": {"numa"}}), "delete numa")
	if cfg := config(t, s, "pve1", "qemu", 101, url.Values{"current": {"1"}}); cfg["numa"] == nil {
		t.Fatalf("numa deleted from running config at once")
	}
	// A reboot applies everything.
	runOK(t, s, clk, "POST", "/nodes/pve1/qemu/101/status/reboot", nil)
	cur = config(t, s, "pve1", "qemu", 101, url.Values{"current": {"1"}})
	if cur["cpu"] != "x86-64-v3" || cur["cores"] != json.Number("4") || cur["numa"] != nil {
		t.Fatalf("after reboot: cpu=%v cores=%v numa=%v", cur["cpu"], cur["cores"], cur["numa"])
	}
	if pend := mustOK(t, do(t, s, "GET", "/nodes/pve1/qemu/101/pending", nil), "pending").dataList(t); len(pend) == 0 {
		t.Fatal("pending list empty; want the config rows without pending values")
	} else {
		for _, row := range pend {
			if _, ok := row.(map[string]any)["pending"]; ok {
				t.Fatalf("still pending after reboot: %v", row)
			}
		}
	}
}

// guestView collects how one guest looks on every endpoint that shows it.
type guestView struct {
	resStatus, resNode, listStatus, currentStatus string
}

func viewGuest(t *testing.T, s *Sim, kind string, vmid int, node string) guestView {
	t.Helper()
	var v guestView
	for _, row := range mustOK(t, do(t, s, "GET", "/cluster/resources", url.Values{"type": {"vm"}}), "resources").dataList(t) {
		m := row.(map[string]any)
		if m["vmid"] == json.Number(fmt.Sprint(vmid)) {
			v.resStatus, v.resNode = m["status"].(string), m["node"].(string)
		}
	}
	for _, row := range mustOK(t, do(t, s, "GET", "/nodes/"+node+"/"+kind, nil), "list").dataList(t) {
		m := row.(map[string]any)
		if m["vmid"] == json.Number(fmt.Sprint(vmid)) {
			v.listStatus = m["status"].(string)
		}
	}
	r := do(t, s, "GET", fmt.Sprintf("/nodes/%s/%s/%d/status/current", node, kind, vmid), nil)
	if r.status == 200 {
		v.currentStatus = r.dataMap(t)["status"].(string)
	}
	return v
}

func TestConsistencyAcrossEndpoints(t *testing.T) {
	t.Parallel()
	s, clk := newTestSim(t, Options{})
	start := mustOK(t, do(t, s, "POST", "/nodes/pve1/qemu/109/status/start", nil), "start").str(t)
	// While the task runs nothing has changed anywhere.
	if v := viewGuest(t, s, "qemu", 109, "pve1"); v != (guestView{"stopped", "pve1", "stopped", "stopped"}) {
		t.Fatalf("during start task: %+v", v)
	}
	st := mustOK(t, do(t, s, "GET", "/nodes/pve1/tasks/"+url.PathEscape(start)+"/status", nil), "status").dataMap(t)
	if st["status"] != "running" || st["exitstatus"] != nil {
		t.Fatalf("task status while running: %v", st)
	}
	waitTask(t, s, clk, start)
	if v := viewGuest(t, s, "qemu", 109, "pve1"); v != (guestView{"running", "pve1", "running", "running"}) {
		t.Fatalf("after start: %+v", v)
	}
	// Online migration moves it everywhere at once.
	if r := do(t, s, "POST", "/nodes/pve1/qemu/109/migrate", url.Values{"target": {"pve2"}}); r.status != 500 || r.reason != "can't migrate running VM without --online" {
		t.Fatalf("offline migrate of running VM: %d %q", r.status, r.reason)
	}
	runOK(t, s, clk, "POST", "/nodes/pve1/qemu/109/migrate", url.Values{"target": {"pve2"}, "online": {"1"}})
	if v := viewGuest(t, s, "qemu", 109, "pve2"); v != (guestView{"running", "pve2", "running", "running"}) {
		t.Fatalf("after migrate: %+v", v)
	}
	if r := do(t, s, "GET", "/nodes/pve1/qemu/109/config", nil); r.status != 500 {
		t.Fatalf("config on old node: %d", r.status)
	}
	runOK(t, s, clk, "POST", "/nodes/pve2/qemu/109/status/stop", nil)
	if v := viewGuest(t, s, "qemu", 109, "pve2"); v != (guestView{"stopped", "pve2", "stopped", "stopped"}) {
		t.Fatalf("after stop: %+v", v)
	}
	// Container restart migration.
	runOK(t, s, clk, "POST", "/nodes/pve1/lxc/200/migrate", url.Values{"target": {"pve3"}, "restart": {"1"}})
	if v := viewGuest(t, s, "lxc", 200, "pve3"); v != (guestView{"running", "pve3", "running", "running"}) {
		t.Fatalf("after lxc migrate: %+v", v)
	}
}

func TestPowerFailures(t *testing.T) {
	t.Parallel()
	s, clk := newTestSim(t, Options{})
	tests := []struct {
		name, path, want string
	}{
		// qemu-server checks inside the worker: a task that fails.
		{"start running VM", "/nodes/pve1/qemu/101/status/start", "VM 101 already running"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			upid := mustOK(t, do(t, s, "POST", tt.path, nil), tt.path).str(t)
			st := waitTask(t, s, clk, upid)
			if st["exitstatus"] != tt.want {
				t.Fatalf("exitstatus = %v, want %q", st["exitstatus"], tt.want)
			}
			p, _ := parseUPID(upid)
			logR := mustOK(t, do(t, s, "GET", "/nodes/"+p.node+"/tasks/"+url.PathEscape(upid)+"/log", nil), "log")
			lines := logR.dataList(t)
			last := lines[len(lines)-1].(map[string]any)
			if last["t"] != "TASK ERROR: "+tt.want || last["n"] != json.Number(fmt.Sprint(len(lines))) {
				t.Fatalf("last log line = %v", last)
			}
		})
	}
	// qemu-server's stop and shutdown of a stopped VM fork a worker whose
	// _do_vm_stop returns at once: the task ends OK.
	for _, action := range []string{"stop", "shutdown"} {
		upid := mustOK(t, do(t, s, "POST", "/nodes/pve1/qemu/109/status/"+action, nil), action).str(t)
		if st := waitTask(t, s, clk, upid); st["exitstatus"] != "OK" {
			t.Errorf("%s of stopped VM 109: exitstatus %v, want OK", action, st["exitstatus"])
		}
	}
	if v := viewGuest(t, s, "qemu", 109, "pve1"); v.resStatus != "stopped" {
		t.Errorf("stop/shutdown of a stopped VM changed it: %+v", v)
	}
	// pve-container refuses before forking a worker: a 500, no task
	// (CT 200 runs, CT 203 is stopped).
	for _, tt := range []struct{ path, want string }{
		{"/nodes/pve1/lxc/200/status/start", "CT 200 already running"},
		{"/nodes/pve1/lxc/203/status/stop", "CT 203 not running"},
		{"/nodes/pve1/lxc/203/status/shutdown", "CT 203 not running"},
	} {
		if r := do(t, s, "POST", tt.path, nil); r.status != 500 || r.reason != tt.want {
			t.Errorf("POST %s: %d %q, want 500 %q", tt.path, r.status, r.reason, tt.want)
		}
	}
	if r := do(t, s, "POST", "/nodes/pve1/qemu/9000/status/start", nil); r.status != 500 {
		t.Fatalf("starting a template: %d", r.status)
	}
	if r := do(t, s, "DELETE", "/nodes/pve1/qemu/101", nil); r.status != 500 || r.reason != "VM 101 is running - destroy failed" {
		t.Fatalf("destroy running: %d %q", r.status, r.reason)
	}
}

func TestTaskFailRate(t *testing.T) {
	t.Parallel()
	s, clk := newTestSim(t, Options{TaskFailRate: 1})
	upid := mustOK(t, do(t, s, "POST", "/nodes/pve1/qemu/109/status/start", nil), "start").str(t)
	st := waitTask(t, s, clk, upid)
	if st["exitstatus"] == "OK" {
		t.Fatal("task succeeded with TaskFailRate 1")
	}
	if v := viewGuest(t, s, "qemu", 109, "pve1"); v.resStatus != "stopped" {
		t.Fatalf("failed start changed state: %+v", v)
	}
	// A failed create leaves no guest behind.
	upid = mustOK(t, do(t, s, "POST", "/nodes/pve1/qemu", url.Values{"vmid": {"150"}, "name": {"x"}}), "create").str(t)
	waitTask(t, s, clk, upid)
	if r := do(t, s, "GET", "/nodes/pve1/qemu/150/config", nil); r.status != 500 {
		t.Fatalf("config of failed create: %d", r.status)
	}
	// Task list shows the error text as status.
	rows := mustOK(t, do(t, s, "GET", "/nodes/pve1/tasks", url.Values{"vmid": {"150"}}), "tasks").dataList(t)
	if len(rows) != 1 || rows[0].(map[string]any)["status"] == "OK" || rows[0].(map[string]any)["endtime"] == nil {
		t.Fatalf("task list rows = %v", rows)
	}
}

func TestLifecycle(t *testing.T) {
	t.Parallel()
	s, clk := newTestSim(t, Options{})
	id := mustOK(t, do(t, s, "GET", "/cluster/nextid", nil), "nextid").str(t)
	runOK(t, s, clk, "POST", "/nodes/pve1/qemu", url.Values{
		"vmid": {id}, "name": {"new-vm"}, "cores": {"2"}, "memory": {"2048"}, "scsihw": {"virtio-scsi-single"},
		"scsi0": {"local-lvm:32,iothread=1,discard=on"}, "net0": {"virtio,bridge=vmbr0,firewall=1"},
		"ide2": {"local-lvm:cloudinit"}, "ipconfig0": {"ip=dhcp"}, "agent": {"1"}, "pool": {"lab"}, "tags": {"b,a;b"},
	})
	if r := do(t, s, "POST", "/nodes/pve1/qemu", url.Values{"vmid": {id}}); r.status != 500 || !strings.Contains(r.reason, "already exists") {
		t.Fatalf("duplicate create: %d %q", r.status, r.reason)
	}
	cfg := config(t, s, "pve1", "qemu", 110, nil)
	if cfg["scsi0"] != "local-lvm:vm-110-disk-0,iothread=1,discard=on,size=32G" {
		t.Errorf("scsi0 = %v", cfg["scsi0"])
	}
	if n := cfg["net0"].(string); !strings.HasPrefix(n, "virtio=BC:24:11:") || !strings.HasSuffix(n, ",bridge=vmbr0,firewall=1") {
		t.Errorf("net0 = %v", n)
	}
	if cfg["ide2"] != "local-lvm:vm-110-cloudinit,media=cdrom" || cfg["tags"] != "b;a" {
		t.Errorf("ide2 = %v tags = %v", cfg["ide2"], cfg["tags"])
	}
	pool := mustOK(t, do(t, s, "GET", "/pools/lab", nil), "pool").dataMap(t)
	if !strings.Contains(fmt.Sprint(pool["members"]), "qemu/110") {
		t.Errorf("pool lab members lack qemu/110: %v", pool["members"])
	}
	// Async config update applies when its task ends.
	upid := mustOK(t, do(t, s, "POST", "/nodes/pve1/qemu/110/config", url.Values{"memory": {"4096"}}), "post config").str(t)
	if c := config(t, s, "pve1", "qemu", 110, nil); c["memory"] != "2048" {
		t.Errorf("memory changed before the qmconfig task ended: %v", c["memory"])
	}
	waitTask(t, s, clk, upid)
	if c := config(t, s, "pve1", "qemu", 110, nil); c["memory"] != "4096" {
		t.Errorf("memory after qmconfig = %v", c["memory"])
	}
	runOK(t, s, clk, "PUT", "/nodes/pve1/qemu/110/resize", url.Values{"disk": {"scsi0"}, "size": {"+8G"}})
	if c := config(t, s, "pve1", "qemu", 110, nil); !strings.HasSuffix(c["scsi0"].(string), "size=40G") {
		t.Errorf("scsi0 after resize = %v", c["scsi0"])
	}
	if r := do(t, s, "PUT", "/nodes/pve1/qemu/110/resize", url.Values{"disk": {"scsi0"}, "size": {"10G"}}); r.status != 500 || r.reason != "shrinking disks is not supported" {
		t.Errorf("shrink: %d %q", r.status, r.reason)
	}
	// Snapshots.
	runOK(t, s, clk, "POST", "/nodes/pve1/qemu/110/snapshot", url.Values{"snapname": {"s1"}, "description": {"first"}})
	mustOK(t, do(t, s, "PUT", "/nodes/pve1/qemu/110/config", url.Values{"cores": {"6"}}), "change after snapshot")
	if r := do(t, s, "POST", "/nodes/pve1/qemu/110/snapshot", url.Values{"snapname": {"s1"}}); r.status != 500 || r.reason != "snapshot name 's1' already used" {
		t.Errorf("duplicate snapshot: %d %q", r.status, r.reason)
	}
	snaps := mustOK(t, do(t, s, "GET", "/nodes/pve1/qemu/110/snapshot", nil), "snapshots").dataList(t)
	if len(snaps) != 2 || snaps[1].(map[string]any)["name"] != "current" || snaps[1].(map[string]any)["parent"] != "s1" {
		t.Errorf("snapshot list = %v", snaps)
	}
	if c := config(t, s, "pve1", "qemu", 110, url.Values{"snapshot": {"s1"}}); c["cores"] != json.Number("2") || c["description"] != "first" {
		t.Errorf("snapshot config = %v", c)
	}
	runOK(t, s, clk, "POST", "/nodes/pve1/qemu/110/snapshot/s1/rollback", nil)
	if c := config(t, s, "pve1", "qemu", 110, nil); c["cores"] != json.Number("2") {
		t.Errorf("cores after rollback = %v", c["cores"])
	}
	runOK(t, s, clk, "DELETE", "/nodes/pve1/qemu/110/snapshot/s1", nil)
	if c := config(t, s, "pve1", "qemu", 110, nil); c["parent"] != nil {
		t.Errorf("parent after deleting the only snapshot = %v", c["parent"])
	}
	// Clone from the template (linked) onto another node.
	runOK(t, s, clk, "POST", "/nodes/pve1/qemu/9000/clone", url.Values{"newid": {"111"}, "name": {"from-tmpl"}, "target": {"pve2"}, "full": {"0"}})
	cl := config(t, s, "pve2", "qemu", 111, nil)
	if cl["name"] != "from-tmpl" || cl["template"] != nil || !strings.HasPrefix(cl["scsi0"].(string), "local-lvm:base-9000-disk-0/vm-111-disk-0,") {
		t.Errorf("clone config: name=%v template=%v scsi0=%v", cl["name"], cl["template"], cl["scsi0"])
	}
	src := config(t, s, "pve1", "qemu", 9000, nil)
	if cl["net0"] == src["net0"] {
		t.Errorf("clone kept the source MAC: %v", cl["net0"])
	}
	// Agent.
	runOK(t, s, clk, "POST", "/nodes/pve1/qemu/110/status/start", nil)
	ifs := mustOK(t, do(t, s, "GET", "/nodes/pve1/qemu/110/agent/network-get-interfaces", nil), "agent").dataMap(t)
	res := ifs["result"].([]any)
	mac := strings.ToLower(strings.TrimPrefix(strings.Split(cfg["net0"].(string), ",")[0], "virtio="))
	if len(res) != 2 || res[1].(map[string]any)["hardware-address"] != mac {
		t.Errorf("agent interfaces = %v, want lo + NIC with %s", res, mac)
	}
	// Stop and destroy.
	runOK(t, s, clk, "POST", "/nodes/pve1/qemu/110/status/stop", nil)
	if r := do(t, s, "GET", "/nodes/pve1/qemu/110/agent/network-get-interfaces", nil); r.status != 500 || r.reason != "VM 110 is not running" {
		t.Errorf("agent on stopped VM: %d %q", r.status, r.reason)
	}
	runOK(t, s, clk, "DELETE", "/nodes/pve1/qemu/110", url.Values{"purge": {"1"}, "destroy-unreferenced-disks": {"1"}})
	if r := do(t, s, "GET", "/nodes/pve1/qemu/110/status/current", nil); r.status != 500 || !strings.Contains(r.reason, "does not exist") {
		t.Errorf("status after destroy: %d %q", r.status, r.reason)
	}
	if got := mustOK(t, do(t, s, "GET", "/cluster/nextid", nil), "nextid").str(t); got != "110" {
		t.Errorf("nextid after destroy = %s, want 110", got)
	}
}

func TestContainerLifecycle(t *testing.T) {
	t.Parallel()
	s, clk := newTestSim(t, Options{})
	runOK(t, s, clk, "POST", "/nodes/pve2/lxc", url.Values{
		"vmid": {"300"}, "ostemplate": {tmplDebian}, "hostname": {"ct-new"}, "storage": {"local-lvm"},
		"memory": {"512"}, "net0": {"name=eth0,bridge=vmbr0,ip=dhcp"}, "start": {"1"}, "unprivileged": {"1"},
		"description": {"made by test"},
	})
	cfg := config(t, s, "pve2", "lxc", 300, nil)
	if cfg["rootfs"] != "local-lvm:vm-300-disk-0,size=4G" || cfg["ostype"] != "debian" || cfg["description"] != "made by test\n" {
		t.Errorf("ct config: rootfs=%v ostype=%v description=%q", cfg["rootfs"], cfg["ostype"], cfg["description"])
	}
	if n := cfg["net0"].(string); !strings.Contains(n, "hwaddr=BC:24:11:") || !strings.HasSuffix(n, "type=veth") {
		t.Errorf("net0 = %v", n)
	}
	if v := viewGuest(t, s, "lxc", 300, "pve2"); v.currentStatus != "running" {
		t.Errorf("start=1 did not start the container: %+v", v)
	}
	ifs := mustOK(t, do(t, s, "GET", "/nodes/pve2/lxc/300/interfaces", nil), "interfaces").dataList(t)
	if len(ifs) != 2 || ifs[1].(map[string]any)["name"] != "eth0" {
		t.Errorf("interfaces = %v", ifs)
	}
	runOK(t, s, clk, "PUT", "/nodes/pve2/lxc/300/resize", url.Values{"disk": {"rootfs"}, "size": {"10G"}})
	if c := config(t, s, "pve2", "lxc", 300, nil); c["rootfs"] != "local-lvm:vm-300-disk-0,size=10G" {
		t.Errorf("rootfs after resize = %v", c["rootfs"])
	}
	runOK(t, s, clk, "POST", "/nodes/pve2/lxc/300/status/shutdown", url.Values{"forceStop": {"1"}, "timeout": {"55"}})
	runOK(t, s, clk, "DELETE", "/nodes/pve2/lxc/300", nil)
	if r := do(t, s, "GET", "/nodes/pve2/lxc/300/config", nil); r.status != 500 || r.reason != "Configuration file 'nodes/pve2/lxc/300.conf' does not exist" {
		t.Errorf("after destroy: %d %q", r.status, r.reason)
	}
}

func TestLockedGuest(t *testing.T) {
	t.Parallel()
	s, clk := newTestSim(t, Options{})
	upid := mustOK(t, do(t, s, "POST", "/nodes/pve1/qemu/109/snapshot", url.Values{"snapname": {"busy"}}), "snapshot").str(t)
	r := do(t, s, "PUT", "/nodes/pve1/qemu/109/config", url.Values{"cores": {"3"}})
	if r.status != 500 || r.reason != "VM 109 is locked (snapshot)" {
		t.Fatalf("config while locked: %d %q", r.status, r.reason)
	}
	if st := mustOK(t, do(t, s, "GET", "/nodes/pve1/qemu/109/status/current", nil), "status").dataMap(t); st["lock"] != "snapshot" {
		t.Fatalf("status lock = %v", st["lock"])
	}
	waitTask(t, s, clk, upid)
	mustOK(t, do(t, s, "PUT", "/nodes/pve1/qemu/109/config", url.Values{"cores": {"3"}}), "config after unlock")
}

func TestTaskEndpoints(t *testing.T) {
	t.Parallel()
	s, clk := newTestSim(t, Options{})
	f := s.Fixtures()
	st := mustOK(t, do(t, s, "GET", "/nodes/pve1/tasks/"+url.PathEscape(f.UPID)+"/status", nil), "fixture task").dataMap(t)
	if st["status"] != "stopped" || st["exitstatus"] != "OK" || st["upid"] != f.UPID {
		t.Fatalf("fixture task status = %v", st)
	}
	p, _ := parseUPID(f.UPID)
	if st["pid"] != json.Number(fmt.Sprint(p.pid)) || st["starttime"] != json.Number(fmt.Sprint(p.start)) {
		t.Fatalf("status fields disagree with the UPID: %v", st)
	}
	for _, tt := range []struct{ name, path, wantErr string }{
		{"garbage upid", "/nodes/pve1/tasks/garbage/status", "unable to parse worker upid"},
		{"wrong node", "/nodes/pve2/tasks/" + url.PathEscape(f.UPID) + "/status", "no such task"},
		{"unknown task", "/nodes/pve1/tasks/" + url.PathEscape("UPID:pve1:00000001:00000001:00000001:qmstart:1:root@pam:") + "/status", "no such task"},
	} {
		r := do(t, s, "GET", tt.path, nil)
		if errs, _ := r.body["errors"].(map[string]any); r.status != 400 || errs["upid"] != tt.wantErr {
			t.Errorf("%s: %d %s", tt.name, r.status, r.raw)
		}
	}
	// Paging and sources.
	upid := mustOK(t, do(t, s, "POST", "/nodes/pve1/qemu/109/status/start", nil), "start").str(t)
	active := mustOK(t, do(t, s, "GET", "/nodes/pve1/tasks", url.Values{"source": {"active"}}), "active")
	if l := active.dataList(t); len(l) != 1 || l[0].(map[string]any)["upid"] != upid {
		t.Fatalf("active tasks = %v", l)
	}
	all := mustOK(t, do(t, s, "GET", "/nodes/pve1/tasks", url.Values{"limit": {"2"}, "start": {"1"}}), "page")
	if l := all.dataList(t); len(l) != 2 || all.body["total"] == nil {
		t.Fatalf("paged tasks = %s", all.raw)
	}
	// Stopping a running task makes it fail without its effect.
	mustOK(t, do(t, s, "DELETE", "/nodes/pve1/tasks/"+url.PathEscape(upid), nil), "stop task")
	st = waitTask(t, s, clk, upid)
	if st["exitstatus"] == "OK" {
		t.Fatalf("stopped task exit = %v", st["exitstatus"])
	}
	if v := viewGuest(t, s, "qemu", 109, "pve1"); v.currentStatus != "stopped" {
		t.Fatalf("aborted start took effect: %+v", v)
	}
}

func TestAgentChecksAndPendingRows(t *testing.T) {
	t.Parallel()
	s, clk := newTestSim(t, Options{})
	agentErr := func(want string) {
		t.Helper()
		r := do(t, s, "GET", "/nodes/pve1/qemu/109/agent/network-get-interfaces", nil)
		if r.status != 500 || r.reason != want {
			t.Errorf("agent of VM 109: %d %q, want 500 %q", r.status, r.reason, want)
		}
	}
	// assert_agent_available: the agent key first, then the run state,
	// then the agent itself. VM 109 is stopped and has no agent key.
	agentErr("No QEMU guest agent configured")
	// Any defined agent value counts as configured, "0" included.
	mustOK(t, do(t, s, "PUT", "/nodes/pve1/qemu/109/config", url.Values{"agent": {"0"}}), "agent=0")
	agentErr("VM 109 is not running")
	runOK(t, s, clk, "POST", "/nodes/pve1/qemu/109/status/start", nil)
	agentErr("QEMU guest agent is not running")

	// The pending list has a row for every top-level config key, parent,
	// lock and digest included.
	s.mu.Lock()
	s.c.guests[101].lock = "backup"
	s.mu.Unlock()
	cfg := config(t, s, "pve1", "qemu", 101, nil)
	rows := map[string]map[string]any{}
	for _, row := range mustOK(t, do(t, s, "GET", "/nodes/pve1/qemu/101/pending", nil), "pending").dataList(t) {
		m := row.(map[string]any)
		rows[m["key"].(string)] = m
	}
	if cfg["parent"] == nil {
		t.Fatal("fixture VM 101 has no snapshot parent")
	}
	for _, k := range []string{"parent", "lock", "digest", "name"} {
		if rows[k] == nil || rows[k]["value"] != cfg[k] {
			t.Errorf("pending row %s = %v, want value %v", k, rows[k], cfg[k])
		}
	}
	if len(rows) != len(cfg) {
		t.Errorf("pending has %d rows, config %d keys", len(rows), len(cfg))
	}
}
