package pvesim_test

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	proxmox "github.com/luthermonson/go-proxmox"

	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
)

func insecureClient() *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // test server
}

func newTLSSim(t *testing.T, opts pvesim.Options) (*pvesim.Sim, *httptest.Server) {
	t.Helper()
	opts.TaskDuration = 5 * time.Millisecond
	sim, err := pvesim.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(sim)
	t.Cleanup(srv.Close)
	return sim, srv
}

func waitOK(ctx context.Context, t *testing.T, task *proxmox.Task, what string) {
	t.Helper()
	if task == nil {
		t.Fatalf("%s: no task", what)
	}
	if err := task.Wait(ctx, 5*time.Millisecond, 10*time.Second); err != nil {
		t.Fatalf("%s: wait: %v", what, err)
	}
	if !task.IsSuccessful {
		t.Fatalf("%s: task %s ended with %q", what, task.UPID, task.ExitStatus)
	}
}

// TestGoProxmoxEndToEnd drives the simulator with the go-proxmox client:
// list nodes, create, start, read, snapshot, stop and delete a VM.
func TestGoProxmoxEndToEnd(t *testing.T) {
	t.Parallel()
	_, srv := newTLSSim(t, pvesim.Options{})
	ctx := context.Background()
	id, secret, _ := strings.Cut(pvesim.DefaultToken, "=")
	c := proxmox.NewClient(srv.URL+"/api2/json", proxmox.WithAPIToken(id, secret), proxmox.WithHTTPClient(insecureClient()))

	v, err := c.Version(ctx)
	if err != nil || v.Release != "9.1" {
		t.Fatalf("version: %+v %v", v, err)
	}
	nodes, err := c.Nodes(ctx)
	if err != nil {
		t.Fatalf("nodes: %v", err)
	}
	if len(nodes) != 3 || nodes[0].Node != "pve1" || nodes[0].SSLFingerprint == "" {
		t.Fatalf("nodes = %+v", nodes)
	}
	cl, err := c.Cluster(ctx)
	if err != nil {
		t.Fatalf("cluster: %v", err)
	}
	vmid, err := cl.NextID(ctx)
	if err != nil || vmid < 100 {
		t.Fatalf("nextid: %d %v", vmid, err)
	}
	node, err := c.Node(ctx, "pve1")
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	task, err := node.NewVirtualMachine(ctx, vmid,
		proxmox.VirtualMachineOption{Name: "name", Value: "e2e-vm"},
		proxmox.VirtualMachineOption{Name: "cores", Value: 2},
		proxmox.VirtualMachineOption{Name: "memory", Value: 2048},
		proxmox.VirtualMachineOption{Name: "scsi0", Value: "local-lvm:16"},
		proxmox.VirtualMachineOption{Name: "net0", Value: "virtio,bridge=vmbr0"},
		proxmox.VirtualMachineOption{Name: "agent", Value: "1"},
		proxmox.VirtualMachineOption{Name: "onboot", Value: true},
	)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	waitOK(ctx, t, task, "create")

	vm, err := node.VirtualMachine(ctx, vmid)
	if err != nil {
		t.Fatalf("get vm: %v", err)
	}
	if vm.Name != "e2e-vm" || vm.VirtualMachineConfig.Cores == nil || *vm.VirtualMachineConfig.Cores != 2 || !vm.IsStopped() {
		t.Fatalf("vm = name %q cores %v status %q", vm.Name, vm.VirtualMachineConfig.Cores, vm.Status)
	}
	task, err = vm.Start(ctx)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	waitOK(ctx, t, task, "start")
	vm, err = node.VirtualMachine(ctx, vmid)
	if err != nil || !vm.IsRunning() {
		t.Fatalf("after start: %v status %q", err, vm.Status)
	}
	ifaces, err := vm.AgentGetNetworkIFaces(ctx)
	if err != nil || len(ifaces) != 1 || ifaces[0].Name != "ens18" || len(ifaces[0].IPAddresses) != 2 { // go-proxmox drops lo
		t.Fatalf("agent interfaces: %v %+v", err, ifaces)
	}
	task, err = vm.NewSnapshot(ctx, "e2e")
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	waitOK(ctx, t, task, "snapshot")
	snaps, err := vm.Snapshots(ctx)
	if err != nil || len(snaps) != 2 || snaps[0].Name != "e2e" {
		t.Fatalf("snapshots: %v %+v", err, snaps)
	}
	task, err = vm.Stop(ctx)
	if err != nil {
		t.Fatalf("stop: %v", err)
	}
	waitOK(ctx, t, task, "stop")
	vm, err = node.VirtualMachine(ctx, vmid)
	if err != nil || !vm.IsStopped() {
		t.Fatalf("after stop: %v status %q", err, vm.Status)
	}
	task, err = vm.Delete(ctx, &proxmox.VirtualMachineDeleteOptions{Purge: true})
	if err != nil {
		t.Fatalf("delete: %v", err)
	}
	waitOK(ctx, t, task, "delete")
	if _, err := node.VirtualMachine(ctx, vmid); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("vm after delete: %v", err)
	}
}

// TestGoProxmoxTicketLogin logs in with a password and sends a POST, which
// needs the CSRF token.
func TestGoProxmoxTicketLogin(t *testing.T) {
	t.Parallel()
	_, srv := newTLSSim(t, pvesim.Options{Users: map[string]string{"root@pam": "s3cret"}})
	ctx := context.Background()
	c := proxmox.NewClient(srv.URL+"/api2/json",
		proxmox.WithCredentials(&proxmox.Credentials{Username: "root@pam", Password: "s3cret"}),
		proxmox.WithHTTPClient(insecureClient()))
	node, err := c.Node(ctx, "pve1")
	if err != nil {
		t.Fatalf("node with ticket: %v", err)
	}
	vm, err := node.VirtualMachine(ctx, 109)
	if err != nil {
		t.Fatalf("vm: %v", err)
	}
	task, err := vm.Start(ctx)
	if err != nil {
		t.Fatalf("start with ticket: %v", err)
	}
	waitOK(ctx, t, task, "start")

	bad := proxmox.NewClient(srv.URL+"/api2/json",
		proxmox.WithCredentials(&proxmox.Credentials{Username: "root@pam", Password: "wrong"}),
		proxmox.WithHTTPClient(insecureClient()))
	if _, err := bad.Nodes(ctx); err == nil {
		t.Fatal("wrong password accepted")
	}
}
