package driftcmd

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac/terraform"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
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

func guest() state.Guest {
	return state.Guest{VMID: 100, Type: "vm", Node: "pve1", Name: "web", Status: "running", Config: map[string]string{
		"name": "web", "cores": "2", "memory": "2048", "scsihw": "virtio-scsi-pci", "net0": "virtio=BC:24:11:00:00:01,bridge=vmbr0",
	}}
}

// source: the code and the last sync are guest(); the server has 4 cores
// and the guest on pve2 when drifted.
func source(t *testing.T, drifted bool) Source {
	t.Helper()
	synced := []state.Guest{guest()}
	files, err := terraform.Generate([]iac.Guest{iac.FromState(guest())}, terraform.Options{})
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
	live := guest()
	if drifted {
		live.Node = "pve2"
		live.Config["cores"] = "4"
	}
	return func(context.Context) (*engine.DriftInputs, error) {
		return &engine.DriftInputs{Code: code, Live: []state.Guest{live}, Synced: synced}, nil
	}
}

func TestDriftRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		drifted  bool
		tty      bool
		format   string
		detailed bool
		wantCode int
	}{
		{name: "TestDriftRun_tty", drifted: true, tty: true},
		{name: "TestDriftRun_plain", drifted: true},
		{name: "TestDriftRun_wide", drifted: true, format: cmdutil.FormatWide},
		{name: "TestDriftRun_json", drifted: true, format: cmdutil.FormatJSON, detailed: true, wantCode: 2},
		{name: "TestDriftRun_none", tty: true, detailed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ios, _, out, errOut := iostreams.Test()
			ios.SetStdoutTTY(tt.tty)
			ios.SetStderrTTY(tt.tty)
			opts := &Options{IO: ios, Source: source(t, tt.drifted), Output: cmdutil.OutputOptions{Format: tt.format}, DetailedExitCode: tt.detailed}
			err := driftRun(context.Background(), opts)
			if code := cmdutil.ExitCode(err); code != tt.wantCode {
				t.Errorf("exit code = %d (%v), want %d", code, err, tt.wantCode)
			}
			golden(t, tt.name, []byte(out.String()+"--- stderr\n"+errOut.String()))
		})
	}
}

func TestNewCmdDrift(t *testing.T) {
	t.Parallel()
	ios, _, _, _ := iostreams.Test()
	var got *Options
	cmd := NewCmdDrift(&cmdutil.Factory{IOStreams: ios}, nil, func(_ context.Context, o *Options) error { got = o; return nil })
	cmd.SetArgs([]string{"--detailed-exitcode"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if !got.DetailedExitCode {
		t.Error("--detailed-exitcode not set")
	}
	cmd = NewCmdDrift(&cmdutil.Factory{IOStreams: ios}, nil, nil)
	cmd.SetArgs([]string{"web"})
	cmd.SetOut(ios.ErrOut)
	cmd.SetErr(ios.ErrOut)
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "unknown command") && !strings.Contains(err.Error(), "accepts 0 arg") {
		t.Errorf("err = %v, want an argument error", err)
	}
}
