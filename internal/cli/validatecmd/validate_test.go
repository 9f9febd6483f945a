package validatecmd

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

func TestNewCmdValidate_flags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args     []string
		wantErr  bool
		mem, cpu float64
	}{
		{args: nil, mem: 1, cpu: 4},
		{args: []string{"--memory-overcommit", "1.5", "--cpu-overcommit", "8"}, mem: 1.5, cpu: 8},
		{args: []string{"--cpu-overcommit", "0"}, wantErr: true},
		{args: []string{"extra"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			ios, _, _, _ := iostreams.Test()
			var got *Options
			cmd := NewCmdValidate(&cmdutil.Factory{IOStreams: ios}, nil, func(_ context.Context, o *Options) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			cmd.SetOut(ios.ErrOut)
			cmd.SetErr(ios.ErrOut)
			err := cmd.Execute()
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !tt.wantErr && (got.MemoryOvercommit != tt.mem || got.CPUOvercommit != tt.cpu) {
				t.Errorf("ratios = %v, %v", got.MemoryOvercommit, got.CPUOvercommit)
			}
		})
	}
}

func source(tf string) Source {
	return func(context.Context) (*engine.ValidateInputs, error) {
		return &engine.ValidateInputs{
			Terraform: map[string][]byte{"terraform/web.tf": []byte(tf)},
			Inventory: &state.Inventory{Nodes: []state.Node{{Name: "pve1", CPUs: 4, MemoryBytes: 8 << 30}},
				Networks: []state.Network{{Node: "pve1", Name: "vmbr0"}}},
		}, nil
	}
}

const goodTF = "resource \"proxmox_virtual_environment_vm\" \"web\" {\n  node_name = \"pve1\"\n  vm_id = 100\n  name = \"web\"\n}\n"

func TestValidateRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		tf       string
		json     bool
		wantCode int
		wantOut  string
	}{
		{name: "clean", tf: goodTF, wantOut: "No problems found (1 guest checked).\n"},
		{name: "error", tf: strings.Replace(goodTF, "pve1", "pve9", 1), wantCode: 1,
			wantOut: "terraform/web.tf:2: error: node \"pve9\" is not in the cluster\n    hint: use one of the cluster's nodes: pve1\n\n1 error, 0 warnings\n"},
		{name: "json", tf: strings.Replace(goodTF, "pve1", "pve9", 1), json: true, wantCode: 1, wantOut: `"check": "node"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ios, _, out, _ := iostreams.Test()
			opts := &Options{IO: ios, Source: source(tt.tf), MemoryOvercommit: 1, CPUOvercommit: 4}
			if tt.json {
				opts.Output = cmdutil.OutputOptions{Format: cmdutil.FormatJSON}
			}
			err := validateRun(context.Background(), opts)
			if code := cmdutil.ExitCode(err); code != tt.wantCode {
				t.Errorf("exit code = %d (%v), want %d", code, err, tt.wantCode)
			}
			if tt.json {
				if !strings.Contains(out.String(), tt.wantOut) {
					t.Errorf("output lacks %s:\n%s", tt.wantOut, out)
				}
				return
			}
			if out.String() != tt.wantOut {
				t.Errorf("output = %q, want %q", out, tt.wantOut)
			}
		})
	}
}

func TestValidateRun_sourceError(t *testing.T) {
	t.Parallel()
	ios, _, _, _ := iostreams.Test()
	boom := errors.New("no workspace")
	err := validateRun(context.Background(), &Options{IO: ios, Source: func(context.Context) (*engine.ValidateInputs, error) { return nil, boom }})
	if !errors.Is(err, boom) {
		t.Errorf("err = %v", err)
	}
}
