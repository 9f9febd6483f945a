package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cli/plancmd"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine/tofu"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
	"github.com/proxmox-mpc/proxmox-mpc/internal/observe"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
)

func TestTofuEnv(t *testing.T) {
	t.Parallel()
	const ep = "https://pve1:8006"
	tests := []struct {
		name     string
		cfg      pve.Config
		want     map[string]string
		wantWarn bool
	}{
		{name: "token, CA-verified", cfg: pve.Config{Endpoint: ep, APIToken: "root@pam!t=s"},
			want: map[string]string{"PROXMOX_VE_ENDPOINT": ep, "PROXMOX_VE_API_TOKEN": "root@pam!t=s"}},
		{name: "password", cfg: pve.Config{Endpoint: ep, Username: "root@pam", Password: "pw"},
			want: map[string]string{"PROXMOX_VE_ENDPOINT": ep, "PROXMOX_VE_USERNAME": "root@pam", "PROXMOX_VE_PASSWORD": "pw"}},
		{name: "insecure", cfg: pve.Config{Endpoint: ep, APIToken: "root@pam!t=s", Insecure: true},
			want: map[string]string{"PROXMOX_VE_ENDPOINT": ep, "PROXMOX_VE_API_TOKEN": "root@pam!t=s", "PROXMOX_VE_INSECURE": "true"}},
		{name: "pinned", cfg: pve.Config{Endpoint: ep, APIToken: "root@pam!t=s", Fingerprint: "AA:BB"},
			want: map[string]string{"PROXMOX_VE_ENDPOINT": ep, "PROXMOX_VE_API_TOKEN": "root@pam!t=s", "PROXMOX_VE_INSECURE": "true"}, wantWarn: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, warn := tofuEnv(tt.cfg)
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("env (-want +got):\n%s", d)
			}
			if (warn != "") != tt.wantWarn {
				t.Errorf("warning %q, want one: %v", warn, tt.wantWarn)
			}
			for _, secret := range []string{tt.cfg.APIToken, tt.cfg.Password} {
				if secret != "" && strings.Contains(warn, secret) {
					t.Errorf("the warning holds a secret: %q", warn)
				}
			}
		})
	}
}

func TestTofuEngineDemo(t *testing.T) {
	t.Parallel()
	ios, _, _, _ := iostreams.Test()
	mk := tofuEngine(ios, &globalOptions{Demo: true}, func(string) string { return "" }, discardLogger)
	_, err := mk(context.Background(), "/usr/bin/tofu")
	var de *demoTofuError
	if !errors.As(err, &de) || de.Hint() == "" || !errors.Is(err, plancmd.ErrNoTofuEngine) {
		t.Fatalf("err %v, want a demoTofuError with a hint, an ErrNoTofuEngine", err)
	}
}

// TestTofuEngineOffline runs plan with the real tofu binary in a
// workspace synced from the simulator. tofu cannot download the
// bpg/proxmox provider here (the CLI configuration allows only an empty
// filesystem mirror, so nothing leaves the machine): --engine tofu fails
// with the provider-missing error and its hint, and the default (auto)
// falls back to the native engine with one note saying why.
//
// It changes the process's folder and environment: not parallel.
func TestTofuEngineOffline(t *testing.T) {
	if testing.Short() {
		t.Skip("runs tofu")
	}
	bin := requireTool(t, "tofu")
	srv, fp := simTLS(t, pvesim.Options{TaskDuration: -1})

	dir, mirror := t.TempDir(), t.TempDir()
	cliConfig := filepath.Join(t.TempDir(), "cli.tfrc")
	rc := fmt.Sprintf("provider_installation {\n  filesystem_mirror {\n    path = %q\n  }\n}\n", mirror)
	if err := os.WriteFile(cliConfig, []byte(rc), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	t.Setenv("TF_CLI_CONFIG_FILE", cliConfig)
	t.Setenv("CHECKPOINT_DISABLE", "1")
	t.Setenv("TF_PLUGIN_CACHE_DIR", "")
	t.Setenv("PATH", filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))

	env := map[string]string{"HOME": t.TempDir(), "XDG_CONFIG_HOME": t.TempDir(), "NO_COLOR": "1",
		"PROXMOX_VE_API_TOKEN": pvesim.DefaultToken}
	getenv := func(k string) string { return env[k] }
	// pmc runs one command line as Run does, with the Factory's TofuEngine
	// wired as app.go wires it.
	pmc := func(wantCode int, args ...string) (stdout, stderr string) {
		t.Helper()
		ios, _, out, errOut := iostreams.Test()
		cid := observe.NewCorrelationID()
		ctx := observe.WithCorrelation(t.Context(), cid)
		g := &globalOptions{}
		f, cleanup := newFactory(ios, g, getenv, cid)
		defer cleanup()
		f.TofuEngine = tofuEngine(ios, g, getenv, f.Logger)
		root := NewRootCmd(f, g, getenv)
		root.SetArgs(args)
		cmd, err := root.ExecuteContextC(ctx)
		if g.release != nil {
			if rerr := g.release(); rerr != nil {
				t.Error(rerr)
			}
		}
		code := ExitOK
		if err != nil {
			code = handleError(ios, cmd, err, ctx, g)
		}
		if code != wantCode {
			t.Fatalf("proxmox-mpc %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, wantCode, out, errOut)
		}
		return out.String(), errOut.String()
	}
	pmc(0, "init", "--endpoint", srv.URL, "--fingerprint", fp, "--yes")
	pmc(0, "sync")

	secret := pvesim.DefaultToken[strings.Index(pvesim.DefaultToken, "=")+1:]
	const tlsWarning = "Warning: TLS certificate verification is off for tofu: the bpg/proxmox provider cannot pin"

	t.Run("--engine tofu", func(t *testing.T) {
		out, errOut := pmc(1, "plan", "--engine", "tofu")
		for _, want := range []string{"tofu init: provider bpg/proxmox cannot be installed", "tofu providers mirror"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("stderr lacks %q:\n%s", want, errOut)
			}
		}
		// The warning is for runs that use tofu: init failed, so none.
		if n := strings.Count(errOut, tlsWarning); n != 0 {
			t.Errorf("the TLS warning is printed %d times, want none when tofu is not used:\n%s", n, errOut)
		}
		if strings.Contains(out+errOut, secret) {
			t.Error("the output holds the token's secret")
		}
	})
	t.Run("--engine auto falls back", func(t *testing.T) {
		out, errOut := pmc(0, "plan", "--detailed-exitcode")
		const note = "Note: using the native engine, as tofu is not usable here: tofu init: provider bpg/proxmox cannot be installed"
		if n := strings.Count(errOut, note); n != 1 {
			t.Errorf("the fallback note is printed %d times, want once:\n%s", n, errOut)
		}
		if !strings.Contains(out, "No changes.") {
			t.Errorf("the native plan right after sync:\n%s", out)
		}
		if strings.Contains(out+errOut, secret) {
			t.Error("the output holds the token's secret")
		}
	})
	t.Run("the engine's environment", func(t *testing.T) {
		ios, _, _, _ := iostreams.Test()
		g := &globalOptions{}
		e, err := tofuEngine(ios, g, getenv, discardLogger)(t.Context(), bin)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"PROXMOX_VE_ENDPOINT": srv.URL, "PROXMOX_VE_API_TOKEN": pvesim.DefaultToken, "PROXMOX_VE_INSECURE": "true"}
		if d := cmp.Diff(want, e.Env); d != "" {
			t.Errorf("env (-want +got):\n%s", d)
		}
		if e.Dir != filepath.Join(dir, "terraform") {
			t.Errorf("dir %s, want the workspace's terraform/", e.Dir)
		}
		var pm *tofu.ProviderMissingError
		if err := e.Init(t.Context()); !errors.As(err, &pm) {
			t.Errorf("init: %v, want a ProviderMissingError", err)
		}
	})
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
