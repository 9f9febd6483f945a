package workspacecmd

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/inventory"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

const testFP = "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99"

func TestNewCmdInitParse(t *testing.T) {
	t.Parallel()
	full := workspace.Config{Name: "lab", Endpoint: "https://pve1:8006", Fingerprint: testFP, Insecure: true, CAFile: "/ca.pem",
		Defaults: workspace.Defaults{Node: "pve1", Storage: "local-lvm", Bridge: "vmbr0"}, State: workspace.State{URL: "postgres://pmc@db/pmc"}}
	full.Auth.TokenID, full.Auth.SecretFile = "ci@pve!lab", "/s/token"
	tests := []struct {
		name    string
		args    string
		want    InitOptions
		wantErr string
	}{
		{name: "defaults", args: "", want: InitOptions{Dir: "."}},
		{name: "dir", args: "lab", want: InitOptions{Dir: "lab"}},
		{name: "all flags", args: "lab --name lab --endpoint https://pve1:8006 --fingerprint " + testFP + " --insecure --ca-file /ca.pem " +
			"--token-id ci@pve!lab --secret-file /s/token --node pve1 --storage local-lvm --bridge vmbr0 --state-url postgres://pmc@db/pmc --yes --force",
			want: InitOptions{Dir: "lab", Config: full, Yes: true, Force: true}},
		{name: "token env", args: "--token-env PVE_TOKEN --context home", want: InitOptions{Dir: ".", Config: workspace.Config{Context: "home", Auth: workspace.Auth{TokenEnv: "PVE_TOKEN"}}}},
		{name: "two dirs", args: "a b", wantErr: "accepts at most 1 arg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ios, _, _, _ := iostreams.Test()
			var got *InitOptions
			cmd := NewCmdInit(&cmdutil.Factory{IOStreams: ios}, func(_ context.Context, o *InitOptions) error { got = o; return nil })
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
			if d := cmp.Diff(tt.want, *got, cmpopts.IgnoreFields(InitOptions{}, "IO", "Connect", "Fingerprint", "Getenv")); d != "" {
				t.Errorf("options (-want +got):\n%s", d)
			}
		})
	}
}

// fakeServer is pvesim in-process, reached through Connect the way the
// app's Factory does: the token comes from the variable the config names.
type fakeServer struct {
	sim      *pvesim.Sim
	env      map[string]string
	endpoint string // when set, a real TLS server (fingerprint checked)

	mu    sync.Mutex
	calls []workspace.Config
}

func newFakeServer(t *testing.T, tls bool) *fakeServer {
	t.Helper()
	sim, err := pvesim.New(pvesim.Options{TaskDuration: -1})
	if err != nil {
		t.Fatal(err)
	}
	fs := &fakeServer{sim: sim, env: map[string]string{}}
	if tls {
		srv := httptest.NewTLSServer(sim)
		t.Cleanup(srv.Close)
		fs.endpoint = srv.URL
		sum := sha256.Sum256(srv.Certificate().Raw)
		parts := make([]string, len(sum))
		for i, b := range sum {
			parts[i] = fmt.Sprintf("%02X", b)
		}
		fs.env["SERVER_FP"] = strings.Join(parts, ":")
	}
	return fs
}

func (s *fakeServer) connect(_ context.Context, cfg workspace.Config) (*inventory.Service, error) {
	s.mu.Lock()
	s.calls = append(s.calls, cfg)
	s.mu.Unlock()
	tok := s.env[cfg.TokenEnvName()]
	if tok == "" {
		return nil, fmt.Errorf("%s is not set", cfg.TokenEnvName())
	}
	o := inventory.DialOptions{Endpoint: cfg.Endpoint, APIToken: tok, Fingerprint: cfg.Fingerprint, Timeout: 5 * time.Second}
	if s.endpoint == "" {
		o.Transport = s.sim.RoundTripper()
	}
	return inventory.Dial(o)
}

func (s *fakeServer) getenv(k string) string { return s.env[k] }

func runInit(t *testing.T, srv *fakeServer, tty bool, stdin string, args ...string) (dir, stdout, stderr string, err error) {
	t.Helper()
	ios, in, out, errOut := iostreams.Test()
	ios.SetStdinTTY(tty)
	ios.SetStdoutTTY(tty)
	ios.SetStderrTTY(tty)
	in.WriteString(stdin)
	f := &cmdutil.Factory{IOStreams: ios, Connect: srv.connect}
	cmd := NewCmdInit(f, func(ctx context.Context, o *InitOptions) error {
		o.Getenv = srv.getenv
		if srv.endpoint == "" {
			o.Fingerprint = func(context.Context, string) (string, error) { return testFP, nil }
		}
		return initRun(ctx, o)
	})
	dir = filepath.Join(t.TempDir(), "home lab")
	cmd.SetArgs(append([]string{dir}, args...))
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	err = cmd.ExecuteContext(context.Background())
	return dir, out.String(), errOut.String(), err
}

func TestInitRunFlags(t *testing.T) {
	t.Parallel()
	base := workspace.Config{Name: "home-lab", Endpoint: "https://pve.test:8006", Fingerprint: testFP,
		Defaults: workspace.Defaults{Node: "pve1", Storage: "local-lvm", Bridge: "vmbr0"}}
	withEnv := base
	withEnv.Auth.TokenEnv = "LAB_TOKEN"
	tests := []struct {
		name      string
		args      string
		env       map[string]string
		want      workspace.Config
		wantCalls int
		wantErr   func(error) bool
	}{
		{name: "first of each from the server", args: "--endpoint https://pve.test:8006 --fingerprint " + strings.ToLower(testFP) + " --token-env LAB_TOKEN",
			env: map[string]string{"LAB_TOKEN": pvesim.DefaultToken}, want: withEnv, wantCalls: 1},
		{name: "endpoint from the environment, yes pins the certificate", args: "--yes",
			env: map[string]string{"PROXMOX_VE_ENDPOINT": "https://pve.test:8006", "PROXMOX_VE_API_TOKEN": pvesim.DefaultToken}, want: base, wantCalls: 1},
		{name: "all defaults given: no connection", args: "--endpoint https://pve.test:8006 --fingerprint " + testFP + " --node pve2 --storage s --bridge b",
			want: func() workspace.Config {
				c := base
				c.Defaults = workspace.Defaults{Node: "pve2", Storage: "s", Bridge: "b"}
				return c
			}()},
		{name: "no endpoint", wantErr: func(err error) bool {
			var fe *cmdutil.FlagError
			return errors.As(err, &fe) && strings.Contains(err.Error(), "--endpoint")
		}},
		{name: "token id without secret file", args: "--endpoint https://pve.test:8006 --token-id ci@pve!x",
			wantErr: func(err error) bool {
				var fe *cmdutil.FlagError
				var ce *workspace.ConfigError
				return errors.As(err, &fe) && errors.As(err, &ce) && ce.Field == "auth.token-id"
			}},
		{name: "token in token-env refused", args: "--endpoint https://pve.test:8006 --token-env root@pam!x=secret",
			wantErr: func(err error) bool {
				var ce *workspace.ConfigError
				return errors.As(err, &ce) && !strings.Contains(err.Error(), "secret")
			}},
		{name: "server refuses the token", args: "--endpoint https://pve.test:8006 --fingerprint " + testFP,
			env: map[string]string{"PROXMOX_VE_API_TOKEN": "root@pam!x=wrong"}, wantCalls: 1,
			wantErr: func(err error) bool { var ce *connectError; return errors.As(err, &ce) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newFakeServer(t, false)
			for k, v := range tt.env {
				srv.env[k] = v
			}
			dir, stdout, _, err := runInit(t, srv, false, "", strings.Fields(tt.args)...)
			if len(srv.calls) != tt.wantCalls {
				t.Errorf("Connect called %d times, want %d", len(srv.calls), tt.wantCalls)
			}
			if tt.wantErr != nil {
				if err == nil || !tt.wantErr(err) {
					t.Fatalf("err = %v", err)
				}
				if _, serr := os.Stat(dir); !errors.Is(serr, os.ErrNotExist) {
					t.Errorf("%s was created on error", dir)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := workspace.LoadConfig(workspace.ConfigPath(dir))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("config (-want +got):\n%s", d)
			}
			for _, want := range []string{"Initialized workspace home-lab in " + dir, "created .proxmox-mpc/config.yaml", "created terraform/", "Next: run `proxmox-mpc sync`"} {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
			data, _ := os.ReadFile(workspace.ConfigPath(dir))
			if strings.Contains(string(data), pvesim.DefaultToken) {
				t.Errorf("the token was written into the workspace:\n%s", data)
			}
		})
	}
}

func TestInitRunInteractive(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		stdin   string
		want    func(fp string) workspace.Config
		wantErr string
		stderr  []string
	}{
		{name: "guided", stdin: "\n" + // endpoint from PROXMOX_VE_ENDPOINT
			"root@pam!ci=0b5c-secret\n" + // a token is refused
			"LAB_TOKEN\n" + // the variable's name
			"y\n" + // trust
			"2\n" + // node pve2
			"\n" + // first storage
			"vmbr1\n", // bridge by name
			want: func(fp string) workspace.Config {
				return workspace.Config{Name: "home-lab", Fingerprint: fp, Auth: workspace.Auth{TokenEnv: "LAB_TOKEN"},
					Defaults: workspace.Defaults{Node: "pve2", Storage: "local-lvm", Bridge: "vmbr1"}}
			},
			stderr: []string{"? Proxmox VE endpoint (https://HOST:8006) [https://127.0.0.1:", "that looks like a token", "Trust this certificate? [y/N]", "  2) pve2", "choose 1-3 [1]"}},
		{name: "certificate declined", stdin: "\nLAB_TOKEN\nn\n", wantErr: "certificate not trusted"},
		{name: "input ends", stdin: "\n", wantErr: "end of input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newFakeServer(t, true)
			srv.env["PROXMOX_VE_ENDPOINT"] = srv.endpoint
			srv.env["LAB_TOKEN"] = pvesim.DefaultToken
			dir, _, stderr, err := runInit(t, srv, true, tt.stdin)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, cmdutil.ErrCancel) {
					t.Fatalf("err = %v, want a cancel with %q", err, tt.wantErr)
				}
				if _, serr := os.Stat(dir); !errors.Is(serr, os.ErrNotExist) {
					t.Errorf("%s was created on error", dir)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v\nstderr:\n%s", err, stderr)
			}
			got, err := workspace.LoadConfig(workspace.ConfigPath(dir))
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want(srv.env["SERVER_FP"])
			want.Endpoint = srv.endpoint
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("config (-want +got):\n%s", d)
			}
			for _, s := range tt.stderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
			if strings.Contains(stderr, "0b5c-secret") && strings.Count(stderr, "0b5c-secret") > 0 {
				t.Errorf("the typed token was echoed back:\n%s", stderr)
			}
		})
	}
}
