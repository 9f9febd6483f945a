package plancmd

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac/terraform"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s (-want +got):\n%s", path, d)
	}
}

// liveGuests is a small cluster: a running VM and a running container.
func liveGuests() []state.Guest {
	return []state.Guest{
		{VMID: 100, Type: "vm", Node: "pve1", Name: "web", Status: "running", Digest: "d100", Config: map[string]string{
			"name": "web", "cores": "2", "memory": "2048", "ostype": "l26", "scsihw": "virtio-scsi-pci", "onboot": "1",
			"net0": "virtio=BC:24:11:00:00:01,bridge=vmbr0", "scsi0": "local-lvm:vm-100-disk-0,size=16G",
		}},
		{VMID: 200, Type: "ct", Node: "pve1", Name: "dns", Status: "running", Digest: "d200", Config: map[string]string{
			"hostname": "dns", "cores": "1", "memory": "512", "swap": "512", "ostype": "debian", "onboot": "1",
			"rootfs": "local-lvm:vm-200-disk-0,size=8G", "unprivileged": "1",
			"net0": "name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:00:02,ip=dhcp,type=veth",
		}},
	}
}

// source returns the inputs of liveGuests with the code generated from
// them and then edited by edit.
func source(t *testing.T, edit func(g *terraform.Guest)) Source {
	t.Helper()
	live := liveGuests()
	models := make([]iac.Guest, len(live))
	for i, g := range live {
		models[i] = iac.FromState(g)
	}
	files, err := terraform.Generate(models, terraform.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]byte{}
	for _, f := range files {
		m[f.Path] = f.Content
	}
	code, err := terraform.Read(m)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		for i := range code.Guests {
			edit(&code.Guests[i])
		}
	}
	return func(context.Context, bool) (*engine.Inputs, error) {
		return &engine.Inputs{Code: code, CodeHash: engine.HashFiles(m), Live: live, Managed: func(int) bool { return true }}, nil
	}
}

func moreCores(g *terraform.Guest) {
	if g.VMID == 100 {
		g.VM.CPU.Cores = 4
	}
}

func TestNewCmdPlan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args    string
		want    Options
		wantErr string
	}{
		{args: "", want: Options{Refresh: true}},
		{args: "--detailed-exitcode --out p.plan --refresh=false", want: Options{DetailedExitCode: true, Out: "p.plan"}},
		{args: "extra", wantErr: "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			t.Parallel()
			ios, _, _, _ := iostreams.Test()
			f := &cmdutil.Factory{IOStreams: ios, Output: func() cmdutil.OutputOptions { return cmdutil.OutputOptions{} }}
			var got *Options
			cmd := NewCmdPlan(f, nil, func(_ context.Context, o *Options) error { got = o; return nil })
			cmd.SetArgs(strings.Fields(tt.args))
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			g := Options{DetailedExitCode: got.DetailedExitCode, Out: got.Out, Refresh: got.Refresh}
			if d := cmp.Diff(tt.want, g); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func fixedNow() time.Time { return time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC) }

func TestPlanRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		edit     func(*terraform.Guest)
		tty      bool
		format   string
		detailed bool
		wantCode int
	}{
		{name: "no_changes", wantCode: 0},
		{name: "no_changes_detailed", detailed: true, wantCode: 0},
		{name: "cores_tty", edit: moreCores, tty: true, wantCode: 0},
		{name: "cores_plain", edit: moreCores, wantCode: 0},
		{name: "cores_detailed", edit: moreCores, detailed: true, wantCode: 2},
		{name: "cores_json", edit: moreCores, format: "json", wantCode: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ios, _, out, _ := iostreams.Test()
			ios.SetStdoutTTY(tt.tty)
			ios.SetColorEnabled(tt.tty)
			opts := &Options{IO: ios, Source: source(t, tt.edit), Now: fixedNow, Refresh: true,
				DetailedExitCode: tt.detailed, Output: cmdutil.OutputOptions{Format: tt.format}}
			err := planRun(context.Background(), opts)
			if got := cmdutil.ExitCode(err); got != tt.wantCode {
				t.Fatalf("exit code %d (%v), want %d", got, err, tt.wantCode)
			}
			golden(t, "TestPlanRun_"+tt.name, out.Bytes())
		})
	}
}

func TestPlanOut(t *testing.T) {
	t.Parallel()
	ios, _, out, _ := iostreams.Test()
	path := filepath.Join(t.TempDir(), "tonight.plan")
	opts := &Options{IO: ios, Source: source(t, moreCores), Now: fixedNow, Refresh: true, Out: path}
	if err := planRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "proxmox-mpc apply "+path) {
		t.Errorf("output does not say how to apply:\n%s", out)
	}
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	plan, err := engine.Load(fh)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Changes) != 1 || plan.Changes[0].VMID != 100 || plan.Changes[0].Desired == nil {
		t.Errorf("saved plan: %+v", plan.Changes)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("plan file mode: %v %v", st, err)
	}
}

func TestPlanErrors(t *testing.T) {
	t.Parallel()
	t.Run("outside a workspace", func(t *testing.T) {
		t.Parallel()
		ios, _, _, _ := iostreams.Test()
		src := func(context.Context, bool) (*engine.Inputs, error) {
			return nil, &workspace.NotFoundError{Start: "/tmp/x"}
		}
		err := planRun(context.Background(), &Options{IO: ios, Source: src})
		var nf *workspace.NotFoundError
		if !errors.As(err, &nf) || nf.Hint() == "" {
			t.Fatalf("err %v, want a NotFoundError with a hint", err)
		}
	})
	t.Run("disk shrink", func(t *testing.T) {
		t.Parallel()
		ios, _, _, _ := iostreams.Test()
		dir := t.TempDir()
		shrink := func(g *terraform.Guest) {
			if g.VMID == 100 {
				g.VM.Disks = []iac.Disk{{Interface: "scsi0", Datastore: "local-lvm", SizeGiB: 8, Cache: "none", Discard: "ignore", AIO: "io_uring", Backup: true, Replicate: true}}
			}
		}
		err := planRun(context.Background(), &Options{IO: ios, Source: source(t, shrink), Out: filepath.Join(dir, "p"), Refresh: true})
		var fe *FindingsError
		if !errors.As(err, &fe) || fe.Hint() == "" || cmdutil.ExitCode(err) != 1 {
			t.Fatalf("err %v, want a FindingsError with a hint", err)
		}
		if _, err := os.Stat(filepath.Join(dir, "p")); !os.IsNotExist(err) {
			t.Errorf("a plan with errors was saved")
		}
	})
}
