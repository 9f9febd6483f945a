package healthcmd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/health"
	"github.com/proxmox-mpc/proxmox-mpc/internal/inventory"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden files")

func golden(t *testing.T, got string) {
	t.Helper()
	path := filepath.Join("testdata", strings.ReplaceAll(t.Name(), "/", "_")+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update): %v", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, d)
	}
}

func TestNewCmdHealthParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "no args", args: []string{}},
		{name: "extra arg", args: []string{"now"}, wantErr: `unknown command "now"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ios, _, _, _ := iostreams.Test()
			f := &cmdutil.Factory{IOStreams: ios,
				Inventory: func(context.Context) (*inventory.Service, error) { return nil, errors.New("not used") },
				Output:    func() cmdutil.OutputOptions { return cmdutil.OutputOptions{Format: "json"} }}
			var got *Options
			cmd := NewCmdHealth(f, health.Deps{}, func(_ context.Context, o *Options) error { got = o; return nil })
			cmd.SetArgs(tt.args)
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
			if got.Output.Format != "json" || got.Check == nil || got.IO != ios {
				t.Errorf("options not filled from the factory: %+v", got)
			}
		})
	}
}

func check(name, group string, st health.Status, detail, hint string) health.Check {
	return health.Check{Name: name, Group: group, Status: st, Detail: detail, Hint: hint, Duration: 2 * time.Millisecond}
}

func mixedReport() health.Report {
	return health.Summarize([]health.Check{
		check("server", health.GroupServer, health.Green, "https://pve1:8006 answered in 2.4 ms · PVE 9.1.1 · cluster homelab, 2 nodes", ""),
		check("auth", health.GroupAuth, health.Green, "root@pam!ops (api-token) reads /cluster/resources (2 nodes, 7 guests, 3 storages)", ""),
		check("database", health.GroupDatabase, health.Red, "open state: state database /w/.proxmox-mpc/state.db is locked by another process", "wait for the other sync to finish and retry"),
		check("workspace", health.GroupWorkspace, health.Skipped, "skipped: no proxmox-mpc workspace in /home/ops or any parent folder", "run `proxmox-mpc init`"),
		check("tofu", health.GroupTools, health.Green, "1.8.2 (/usr/bin/tofu)", ""),
		check("terraform", health.GroupTools, health.Skipped, "not found (not needed: tofu is installed)", ""),
		check("ansible-playbook", health.GroupTools, health.Skipped, "not found (optional)", ""),
		check("git", health.GroupTools, health.Green, "2.39.5 (/usr/bin/git)", ""),
		check("node pve1", health.GroupNodes, health.Green, "cpu 12% of 8 · memory 45% (28.8 GiB of 64.0 GiB) · 5 guests", ""),
		check("node pve2", health.GroupNodes, health.Yellow, "cpu 20% of 8 · memory 86% (55.0 GiB of 64.0 GiB) · 2 guests", "the node is short of memory; migrate or shrink guests"),
		check("storage local-lvm on pve1", health.GroupStorage, health.Green, "10% used (10.0 GiB of 100.0 GiB)", ""),
		check("storage local-lvm on pve2", health.GroupStorage, health.Red, "95% used (95.0 GiB of 100.0 GiB)", "free space on local-lvm"),
		check("guests", health.GroupGuests, health.Green, "5 running, 2 stopped", ""),
	})
}

func largeReport() health.Report {
	var cs []health.Check
	cs = append(cs, check("server", health.GroupServer, health.Green, "https://pve:8006 answered in 2.1 ms · PVE 9.1.1 · cluster big, 9 nodes", ""))
	for i := 1; i <= 9; i++ {
		st, detail := health.Green, "cpu 10% of 16 · memory 40% (51.2 GiB of 128.0 GiB) · 50 guests"
		if i == 4 {
			st, detail = health.Yellow, "cpu 84% of 16 · memory 40% (51.2 GiB of 128.0 GiB) · 50 guests"
		}
		cs = append(cs, check(fmt.Sprintf("node pve%d", i), health.GroupNodes, st, detail, ""))
	}
	for i := 1; i <= 3; i++ {
		cs = append(cs, check(fmt.Sprintf("storage local on pve%d", i), health.GroupStorage, health.Green, "20% used (20.0 GiB of 100.0 GiB)", ""))
	}
	cs = append(cs, check("guests", health.GroupGuests, health.Green, "400 running, 50 stopped", ""))
	return health.Summarize(cs)
}

func TestHealthRun(t *testing.T) {
	t.Parallel()
	healthy := health.Summarize([]health.Check{
		check("server", health.GroupServer, health.Green, "https://pve1:8006 answered in 2.4 ms", ""),
		check("database", health.GroupDatabase, health.Skipped, "skipped: no state database at /w/.proxmox-mpc/state.db yet", "run `proxmox-mpc sync` to create it"),
	})
	warn := health.Summarize([]health.Check{
		check("server", health.GroupServer, health.Green, "ok", ""),
		check("ansible-playbook", health.GroupTools, health.Yellow, "not found: the workspace's Ansible playbooks cannot be run or checked", "install Ansible"),
	})
	tests := []struct {
		name    string
		format  string
		tty     bool
		report  health.Report
		wantErr error
	}{
		{name: "tty", tty: true, report: mixedReport(), wantErr: cmdutil.ErrSilent},
		{name: "plain", report: mixedReport(), wantErr: cmdutil.ErrSilent},
		{name: "json", format: "json", report: mixedReport(), wantErr: cmdutil.ErrSilent},
		{name: "healthy", report: healthy},
		{name: "warnings", tty: true, report: warn},
		{name: "large cluster", report: largeReport()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ios, _, out, errOut := iostreams.Test()
			ios.SetStdoutTTY(tt.tty)
			ios.SetColorEnabled(tt.tty)
			opts := &Options{IO: ios, Output: cmdutil.OutputOptions{Format: tt.format},
				Check: func(context.Context) health.Report { return tt.report }}
			err := healthRun(t.Context(), opts)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if errOut.Len() != 0 {
				t.Errorf("stderr = %q, want nothing", errOut.String())
			}
			golden(t, out.String())
		})
	}
}

// TestHealthAgainstSimulator runs the real checks through the command on
// the in-process simulator, outside any workspace and without a state store.
func TestHealthAgainstSimulator(t *testing.T) {
	t.Parallel()
	sim, err := pvesim.New(pvesim.Options{Scenario: pvesim.ScenarioHomelab, TaskDuration: -1})
	if err != nil {
		t.Fatal(err)
	}
	ios, _, out, _ := iostreams.Test()
	f := &cmdutil.Factory{IOStreams: ios,
		Inventory: func(context.Context) (*inventory.Service, error) {
			return inventory.Dial(inventory.DialOptions{Endpoint: "https://sim.invalid:8006", APIToken: pvesim.DefaultToken, Transport: sim.RoundTripper()})
		},
		Output: func() cmdutil.OutputOptions {
			return cmdutil.OutputOptions{JQ: `[.checks[] | select(.group == "server" or .group == "auth" or .group == "workspace") | .status] | join(",")`}
		},
	}
	dir := t.TempDir()
	cmd := NewCmdHealth(f, health.Deps{
		Workspace: func() (*workspace.Workspace, error) { return workspace.Open(dir) },
		LookPath:  func(string) (string, error) { return "", errors.New("not found") },
	}, nil)
	cmd.SetArgs(nil)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	if err := cmd.ExecuteContext(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(out.String()), "green,green,skipped"; got != want {
		t.Errorf("statuses = %q, want %q", got, want)
	}
}
