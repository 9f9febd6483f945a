package describe

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
)

func TestNewCmdDescribeParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args    string
		kind    string
		ref     string
		wantErr string
	}{
		{args: "vm web-01", kind: "vm", ref: "web-01"},
		{args: "qemu 101", kind: "vm", ref: "101"},
		{args: "container pihole", kind: "ct", ref: "pihole"},
		{args: "lxc 200", kind: "ct", ref: "200"},
		{args: "node pve1", kind: "node", ref: "pve1"},
		{args: "nod pve1", wantErr: "did you mean node?"},
		{args: "vm", wantErr: "one name or VMID"},
		{args: "vm a b", wantErr: "one name or VMID"},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			t.Parallel()
			ios, _, _, _ := iostreams.Test()
			f := &cmdutil.Factory{IOStreams: ios, Output: func() cmdutil.OutputOptions { return cmdutil.OutputOptions{} }, Now: time.Now}
			var got *Options
			cmd := NewCmdDescribe(f, func(_ context.Context, o *Options) error { got = o; return nil })
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
			if got.Kind != tt.kind || got.Ref != tt.ref {
				t.Errorf("got kind %q ref %q, want %q %q", got.Kind, got.Ref, tt.kind, tt.ref)
			}
		})
	}
}
