package get

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
)

func testFactory() *cmdutil.Factory {
	ios, _, _, _ := iostreams.Test()
	return &cmdutil.Factory{
		IOStreams: ios,
		Output:    func() cmdutil.OutputOptions { return cmdutil.OutputOptions{} },
		Now:       time.Now,
	}
}

func TestNewCmdGetParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    string
		want    Options
		wantErr string
	}{
		{name: "vms", args: "vms", want: Options{Kind: "vms", Names: []string{}}},
		{name: "alias and names", args: "vm web-01 101", want: Options{Kind: "vms", Names: []string{"web-01", "101"}}},
		{name: "ct alias", args: "ct", want: Options{Kind: "containers", Names: []string{}}},
		{name: "filters", args: "vms --node pve1 --status running --tag web --tag prod -l pool=prod --sort -vmid --limit 3",
			want: Options{Kind: "vms", Names: []string{}, Node: "pve1", Status: "running", Tags: []string{"web", "prod"}, Selector: "pool=prod", Sort: "-vmid", Limit: 3}},
		{name: "case insensitive kind", args: "NODES", want: Options{Kind: "nodes", Names: []string{}}},
		{name: "unknown kind", args: "vmz", wantErr: `unknown resource type "vmz" (did you mean vms?)`},
		{name: "no kind", args: "", wantErr: "requires at least 1 arg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got *Options
			cmd := NewCmdGet(testFactory(), func(_ context.Context, o *Options) error { got = o; return nil })
			cmd.SetArgs(strings.Fields(tt.args))
			cmd.SetOut(io.Discard)
			cmd.SetErr(io.Discard)
			err := cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, *got, cmpopts.IgnoreFields(Options{}, "IO", "Inventory", "Output", "Now"), cmpopts.EquateEmpty()); d != "" {
				t.Errorf("options (-want +got):\n%s", d)
			}
		})
	}
}

func TestGetRunRejectsFlagsThatDoNotApply(t *testing.T) {
	t.Parallel()
	tests := []struct {
		opts Options
		want string
	}{
		{Options{Kind: "nodes", Tags: []string{"x"}}, "--tag does not apply to get nodes"},
		{Options{Kind: "nodes", Node: "pve1"}, "--node does not apply to get nodes"},
		{Options{Kind: "storage", Selector: "a=b"}, "-l does not apply to get storage"},
		{Options{Kind: "tasks", Names: []string{"x"}}, "get tasks takes no names"},
		{Options{Kind: "vms", Limit: -1}, "--limit must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			o := tt.opts
			o.Inventory = nil // must fail before any connection is made
			err := getRun(t.Context(), &o)
			var fe *cmdutil.FlagError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("getRun = %v, want FlagError %q", err, tt.want)
			}
		})
	}
}
