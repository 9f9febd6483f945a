package simcmd

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
	"github.com/proxmox-mpc/proxmox-mpc/internal/observe"
)

func TestNewCmdSimFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args    string
		wantErr string
		check   func(*Options) bool
	}{
		{args: "", check: func(o *Options) bool { return o.Listen == "127.0.0.1:8006" && o.Scenario == "homelab" }},
		{args: "--scenario large --nodes 20 --guests 10000", check: func(o *Options) bool { return o.Nodes == 20 && o.Guests == 10000 }},
		{args: "--token root@pam!ci=s3cret --token a@pve!b=c", check: func(o *Options) bool { return len(o.Tokens) == 2 }},
		{args: "--latency 2ms --jitter 1ms --fail-rate 0.05 --reset-rate 0.01 --task-fail-rate 0.1", check: func(o *Options) bool {
			return o.Latency == 2*time.Millisecond && o.Jitter == time.Millisecond && o.FailRate == 0.05 && o.ResetRate == 0.01 && o.TaskFailRate == 0.1
		}},
		{args: "--fail-rate 1.5", wantErr: "--fail-rate must be between 0 and 1"},
		{args: "--scenario office", wantErr: `unknown --scenario "office"`},
		{args: "--nodes 4", wantErr: "apply to --scenario large"},
		{args: "--token nosecret", wantErr: "USER@REALM!TOKENID=SECRET"},
		{args: "--token root@pam!ci=", wantErr: "USER@REALM!TOKENID=SECRET"},
		{args: "--password root@pam", wantErr: "USER@REALM:PASSWORD"},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			t.Parallel()
			ios, _, _, _ := iostreams.Test()
			f := &cmdutil.Factory{IOStreams: ios, Logger: observe.Discard, Now: time.Now}
			var got *Options
			cmd := NewCmdSim(f, func(_ context.Context, o *Options) error { got = o; return nil })
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
			if !tt.check(got) {
				t.Errorf("options not as given: %+v", *got)
			}
		})
	}
}
