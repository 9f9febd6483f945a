package guest

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/lifecycle/lifecycletest"
)

const debianTmpl = "local:vztmpl/debian-13-standard_13.1-2_amd64.tar.zst"

func TestCreateEffects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		args   []string
		typ    string
		ref    string
		node   string
		status string
		cpus   float64
		mem    int64
	}{
		{"vm", []string{"vm", "--name", "web-04", "--node", "pve2", "--cores", "2", "--memory", "4G", "--disk", "16G", "--net", "bridge=vmbr1,vlan=10"}, "vm", "web-04", "pve2", "stopped", 2, 4 << 30},
		{"ct started", []string{"ct", "--name", "build-02", "--node", "pve3", "--ostemplate", debianTmpl, "--vmid", "5000", "--start"}, "ct", "5000", "pve3", "running", 1, 512 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, lifecycletest.Options{})
			if err := e.run(t, NewCmdCreate(e.f, e.lc, nil), tt.args...); err != nil {
				t.Fatalf("create: %v\n%s", err, e.errOut)
			}
			g, err := e.Inventory.ResolveGuest(t.Context(), tt.typ, tt.ref)
			if err != nil {
				t.Fatalf("created guest not found: %v", err)
			}
			if g.Node != tt.node || g.Status != tt.status || g.CPUs != tt.cpus || g.MemoryBytes != tt.mem || g.Lock != "" {
				t.Errorf("created %+v, want node %s status %s cpus %v memory %d", g, tt.node, tt.status, tt.cpus, tt.mem)
			}
			ops := e.ops(t)
			if len(ops) != 1 || ops[0].Action != "create" || ops[0].Outcome != "ok" || ops[0].UPID == "" {
				t.Errorf("journal = %+v, want one ok create", ops)
			}
			if !strings.Contains(e.out.String(), "created ("+tt.status+")") {
				t.Errorf("stdout %q lacks the created line", e.out)
			}
		})
	}
}

func TestCreateDryRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"vm defaults", []string{"vm", "--name", "web-04", "--node", "pve1"},
			"POST /nodes/pve1/qemu cores=1 memory=2048 name=web-04 net0=virtio,bridge=vmbr0 ostype=l26 scsi0=local-lvm:32,iothread=1 scsihw=virtio-scsi-single vmid=110"},
		{"vm full", []string{"vm", "--name", "k8s-w3", "--node", "pve2", "--cores", "4", "--memory", "8G", "--disk", "64", "--storage", "nas", "--net", "bridge=vmbr1,tag=10,model=e1000,firewall=1", "--ostype", "other", "--vmid", "777", "--start"},
			"POST /nodes/pve2/qemu cores=4 memory=8192 name=k8s-w3 net0=e1000,bridge=vmbr1,tag=10,firewall=1 ostype=other scsi0=nas:64,iothread=1 scsihw=virtio-scsi-single start=1 vmid=777"},
		{"ct", []string{"ct", "--name", "build-02", "--node", "pve1", "--ostemplate", debianTmpl, "--net", "bridge=vmbr0,ip=192.168.1.90/24,gw=192.168.1.1"},
			"POST /nodes/pve1/lxc cores=1 hostname=build-02 memory=512 net0=name=eth0,bridge=vmbr0,ip=192.168.1.90/24,gw=192.168.1.1 ostemplate=" + debianTmpl + " rootfs=local-lvm:8 unprivileged=1 vmid=110"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, lifecycletest.Options{})
			if err := e.run(t, NewCmdCreate(e.f, e.lc, nil), append(tt.args, "--dry-run")...); err != nil {
				t.Fatalf("%v\n%s", err, e.errOut)
			}
			if d := cmp.Diff([]string{tt.want}, dryRunCalls(e.out.String())); d != "" {
				t.Errorf("calls (-want +got):\n%s", d)
			}
			if e.Mutating() != 0 {
				t.Error("a dry run made a mutating call")
			}
		})
	}
}

func TestCreateDefaultNodeNoted(t *testing.T) {
	t.Parallel()
	e := newEnv(t, lifecycletest.Options{})
	if err := e.run(t, NewCmdCreate(e.f, e.lc, nil), "vm", "--name", "x1", "--dry-run"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.errOut.String(), "most free memory") {
		t.Errorf("stderr %q: want a note on the chosen node", e.errOut)
	}
}

func TestCreateValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no name", []string{"vm"}, "--name"},
		{"bad name", []string{"vm", "--name", "web 04"}, "DNS name"},
		{"vmid range", []string{"vm", "--name", "a", "--vmid", "42"}, "outside"},
		{"vmid taken", []string{"vm", "--name", "a", "--vmid", "101"}, "already in use"},
		{"bad memory", []string{"vm", "--name", "a", "--memory", "4X"}, "memory"},
		{"bad disk", []string{"vm", "--name", "a", "--disk", "1.5G"}, "whole number of GiB"},
		{"unknown node", []string{"vm", "--name", "a", "--node", "pve4"}, "not in the cluster"},
		{"storage content", []string{"vm", "--name", "a", "--node", "pve1", "--storage", "local"}, "does not hold images"},
		{"storage room", []string{"vm", "--name", "a", "--node", "pve1", "--storage", "local-lvm", "--disk", "100T"}, "free"},
		{"bridge", []string{"vm", "--name", "a", "--node", "pve1", "--net", "bridge=vmbr9"}, "not a bridge"},
		{"vlan", []string{"vm", "--name", "a", "--net", "vlan=5000"}, "1..4094"},
		{"net key", []string{"vm", "--name", "a", "--net", "ip=dhcp"}, "unknown key ip"},
		{"no template", []string{"ct", "--name", "a"}, "--ostemplate"},
		{"template missing", []string{"ct", "--name", "a", "--node", "pve1", "--ostemplate", "local:vztmpl/nope.tar.zst"}, "debian-13"},
		{"template storage", []string{"ct", "--name", "a", "--node", "pve1", "--ostemplate", "local-lvm:vztmpl/x.tar.zst"}, "does not hold vztmpl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, lifecycletest.Options{})
			err := e.run(t, NewCmdCreate(e.f, e.lc, nil), tt.args...)
			if got := cmdutil.ExitCode(err); got != 2 {
				t.Fatalf("exit code %d (%v), want 2", got, err)
			}
			text := err.Error()
			var h interface{ Hint() string }
			if errorsAs(err, &h) {
				text += " | " + h.Hint()
			}
			if !strings.Contains(text, tt.want) {
				t.Errorf("error %q lacks %q", text, tt.want)
			}
			if e.Mutating() != 0 || len(e.ops(t)) != 0 {
				t.Error("a validation failure made a call or a journal entry")
			}
		})
	}
}
