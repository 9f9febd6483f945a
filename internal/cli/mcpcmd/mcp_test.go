package mcpcmd

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
	"github.com/proxmox-mpc/proxmox-mpc/internal/mcp"
)

func TestNewCmdMCPFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		wantErr string
		check   func(*testing.T, mcp.Options)
	}{
		{name: "defaults", check: func(t *testing.T, o mcp.Options) {
			if o.Allow != mcp.TierRead || o.NoPrivacy {
				t.Errorf("got %+v", o)
			}
		}},
		{name: "write with allowlists", args: []string{"--allow", "write", "--nodes", "pve1,pve2", "--tags", "lab", "--vmids", "101,102", "--privacy", "off"},
			check: func(t *testing.T, o mcp.Options) {
				if o.Allow != mcp.TierWrite || !o.NoPrivacy || len(o.Nodes) != 2 || len(o.VMIDs) != 2 || o.VMIDs[1] != 102 {
					t.Errorf("got %+v", o)
				}
			}},
		{name: "bad tier", args: []string{"--allow", "root"}, wantErr: "unknown permission tier"},
		{name: "bad vmid", args: []string{"--vmids", "abc"}, wantErr: "not a VMID"},
		{name: "bad privacy", args: []string{"--privacy", "maybe"}, wantErr: "on or off"},
		{name: "public address", args: []string{"--http", "0.0.0.0:8765"}, wantErr: "not a loopback address"},
		{name: "public address allowed", args: []string{"--http", "0.0.0.0:8765", "--http-public"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ios, _, _, _ := iostreams.Test()
			f := &cmdutil.Factory{IOStreams: ios}
			var got *Options
			cmd := NewCmdMCP(f, nil, func(_ context.Context, o *Options) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			cmd.SetOut(ios.ErrOut)
			cmd.SetErr(ios.ErrOut)
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
			so, err := got.serverOptions()
			if err != nil {
				t.Fatal(err)
			}
			if tt.check != nil {
				tt.check(t, so)
			}
		})
	}
}

func TestToken(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	open := filepath.Join(dir, "open")
	if err := os.WriteFile(good, []byte("tok-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(open, []byte("tok"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == TokenEnv {
				return v
			}
			return ""
		}
	}
	tests := []struct {
		name string
		opts Options
		want string
		err  string
	}{
		{"env", Options{Getenv: env("tok-env")}, "tok-env", ""},
		{"file wins", Options{Getenv: env("tok-env"), TokenFile: good}, "tok-file", ""},
		{"open file refused", Options{TokenFile: open}, "", "others may read it"},
		{"none", Options{Getenv: env("")}, "", "needs a bearer token"},
	}
	for _, tt := range tests {
		got, err := tt.opts.token()
		if tt.err != "" {
			var tfe *TokenFileError
			if err == nil || !strings.Contains(err.Error(), tt.err) || (tt.name == "open file refused" && !errors.As(err, &tfe)) {
				t.Errorf("%s: err %v, want %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: %q, %v", tt.name, got, err)
		}
	}
}

func TestMCPRunHTTPRefusesWithoutToken(t *testing.T) {
	t.Parallel()
	ios, _, _, _ := iostreams.Test()
	opts := &Options{IO: ios, HTTP: "127.0.0.1:0", Getenv: func(string) string { return "" },
		Deps: func(context.Context) (mcp.Deps, error) { return mcp.Deps{}, nil }}
	if err := mcpRun(context.Background(), opts); !errors.Is(err, ErrNoToken) {
		t.Errorf("err %v, want ErrNoToken", err)
	}
}
