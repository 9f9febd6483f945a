package health

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/inventory"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state/sqlite"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

// refusedByPVE is the classifier the app passes: pve's 401 and 403.
func refusedByPVE(err error) bool {
	return errors.Is(err, pve.ErrUnauthorized) || errors.Is(err, pve.ErrForbidden)
}

func TestRunAgainstSimulator(t *testing.T) {
	t.Parallel()
	sim, err := pvesim.New(pvesim.Options{Scenario: pvesim.ScenarioHomelab, TaskDuration: -1})
	if err != nil {
		t.Fatal(err)
	}
	root := newWorkspaceDir(t, validConfig)
	st, err := sqlite.Open(t.Context(), workspace.StatePath(root))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })

	tests := []struct {
		name  string
		token string
		want  map[string]Status
		// wantDetail and wantHint: substrings per check
		wantDetail map[string]string
		wantHint   map[string]string
	}{
		{
			name:  "healthy",
			token: pvesim.DefaultToken,
			want:  map[string]Status{"server": Green, "auth": Green, "database": Green, "workspace": Green, "guests": Green},
			wantDetail: map[string]string{
				"server":   "https://sim.invalid:8006 answered in",
				"auth":     "root@pam!sim (api-token) reads /cluster/resources",
				"database": "sqlite " + workspace.StatePath(root),
			},
		},
		{
			name:       "wrong token",
			token:      "root@pam!sim=00000000-0000-0000-0000-000000000000",
			want:       map[string]Status{"server": Green, "auth": Red, "database": Green, "workspace": Green, "nodes": Skipped, "guests": Skipped},
			wantDetail: map[string]string{"auth": "root@pam!sim was refused: ", "server": "refusing the credentials"},
			wantHint:   map[string]string{"auth": "PROXMOX_VE_API_TOKEN"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rep := Run(t.Context(), Deps{
				Inventory: func(context.Context) (*inventory.Service, error) {
					return inventory.Dial(inventory.DialOptions{Endpoint: "https://sim.invalid:8006", APIToken: tt.token, Transport: sim.RoundTripper()})
				},
				Refused:   refusedByPVE,
				Store:     func(context.Context) (state.Store, error) { return st, nil },
				Workspace: func() (*workspace.Workspace, error) { return workspace.Open(root) },
				LookPath:  noTools,
			})
			got := map[string]Check{}
			for _, c := range rep.Checks {
				got[c.Name] = c
			}
			for name, want := range tt.want {
				if c := got[name]; c.Status != want {
					t.Errorf("%s: %s %q, want %s", name, c.Status, c.Detail, want)
				}
			}
			for name, want := range tt.wantDetail {
				if !strings.Contains(got[name].Detail, want) {
					t.Errorf("%s: detail %q, want it to contain %q", name, got[name].Detail, want)
				}
			}
			for name, want := range tt.wantHint {
				if !strings.Contains(got[name].Hint, want) {
					t.Errorf("%s: hint %q, want it to contain %q", name, got[name].Hint, want)
				}
			}
			if tt.name == "healthy" {
				var nodes, storages int
				for _, c := range rep.Checks {
					switch c.Group {
					case GroupNodes:
						nodes++
					case GroupStorage:
						storages++
					}
				}
				if nodes == 0 || storages == 0 {
					t.Errorf("%d node and %d storage checks, want some of each: %v", nodes, storages, names(rep.Checks))
				}
			}
		})
	}
}

// BenchmarkHealth: the whole of Run against the simulator served over TLS
// on 127.0.0.1 with 2 ms per request (20 nodes, 1000 guests), a fresh
// connection and a freshly opened SQLite store each time, as one
// `proxmox-mpc health` process does. Target: well under 500 ms.
//
//	go test ./internal/health -run '^$' -bench Health -benchtime 20x
//
// "canned-tools" answers the tool probes at once; "real-tools" runs the
// tools installed on this machine (their start-up, ansible-playbook's above
// all, then dominates).
func BenchmarkHealth(b *testing.B) {
	sim, err := pvesim.New(pvesim.Options{Scenario: pvesim.ScenarioLarge, Nodes: 20, Guests: 1000, Latency: 2 * time.Millisecond, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	cert, fp, err := pvesim.SelfSignedCert(nil, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(sim)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	b.Cleanup(srv.Close)

	root := filepath.Join(b.TempDir(), "homelab")
	if _, err := workspace.Init(root, workspace.Config{Name: "homelab", Endpoint: "https://pve1.example.invalid:8006"}, workspace.InitOptions{}); err != nil {
		b.Fatal(err)
	}
	st, err := sqlite.Open(b.Context(), workspace.StatePath(root))
	if err != nil {
		b.Fatal(err)
	}
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}

	deps := func(ctx context.Context, canned bool) (Deps, func()) {
		var opened state.Store
		d := Deps{
			Inventory: func(context.Context) (*inventory.Service, error) {
				return inventory.Dial(inventory.DialOptions{Endpoint: srv.URL, APIToken: pvesim.DefaultToken, Fingerprint: fp})
			},
			Refused: refusedByPVE,
			Store: func(ctx context.Context) (state.Store, error) {
				s, err := sqlite.Open(ctx, workspace.StatePath(root))
				opened = s
				return s, err
			},
			Workspace: func() (*workspace.Workspace, error) { return workspace.Open(root) },
		}
		if canned {
			d.LookPath = func(file string) (string, error) { return "/usr/bin/" + file, nil }
			d.Exec = func(context.Context, string, ...string) ([]byte, error) { return []byte("tool v1.2.3\n"), nil }
		}
		return d, func() {
			if opened != nil {
				_ = opened.Close()
			}
		}
	}
	for _, bc := range []struct {
		name   string
		canned bool
	}{{"canned-tools", true}, {"real-tools", false}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				d, done := deps(b.Context(), bc.canned)
				rep := Run(b.Context(), d)
				done()
				for _, c := range rep.Checks {
					if c.Group != GroupTools && c.Group != GroupNodes && c.Group != GroupStorage && c.Status != Green {
						b.Fatalf("%s: %s %s", c.Name, c.Status, c.Detail)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/op")
		})
	}
}
