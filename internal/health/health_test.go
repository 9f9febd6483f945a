package health

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/inventory"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state/sqlite"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

const gib = int64(1) << 30

func TestNodeCheck(t *testing.T) {
	t.Parallel()
	node := func(status string, cpu float64, memUsed int64) inventory.Node {
		return inventory.Node{Name: "pve1", Status: status, CPUs: 8, CPUUsage: cpu, MemoryBytes: 100 * gib, MemoryUsedBytes: memUsed * gib, Guests: 3}
	}
	tests := []struct {
		name       string
		node       inventory.Node
		want       Status
		wantDetail string
		wantHint   string
	}{
		{name: "quiet", node: node("online", 0.12, 45), want: Green,
			wantDetail: "cpu 12% of 8 · memory 45% (45.0 GiB of 100.0 GiB) · 3 guests"},
		{name: "memory at 80% is still green", node: node("online", 0.1, 80), want: Green},
		{name: "memory 85%", node: node("online", 0.1, 85), want: Yellow, wantHint: "short of memory"},
		{name: "memory 95%", node: node("online", 0.1, 95), want: Red, wantHint: "short of memory"},
		{name: "cpu 85%", node: node("online", 0.85, 10), want: Yellow, wantHint: "CPU is busy"},
		{name: "cpu 95% memory 85%", node: node("online", 0.95, 85), want: Red, wantHint: "CPU and memory"},
		{name: "offline", node: node("offline", 0, 0), want: Red, wantDetail: "offline", wantHint: "pvecm status"},
		{name: "unknown", node: node("unknown", 0, 0), want: Yellow, wantDetail: "unknown"},
		{name: "no memory reported", node: inventory.Node{Name: "pve1", Status: "online"}, want: Green,
			wantDetail: "cpu 0% · memory 0% (0 B of 0 B) · 0 guests"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := NodeCheck(tt.node)
			if c.Status != tt.want || c.Name != "node pve1" || c.Group != GroupNodes {
				t.Errorf("NodeCheck = %+v, want status %s", c, tt.want)
			}
			if tt.wantDetail != "" && c.Detail != tt.wantDetail {
				t.Errorf("detail = %q, want %q", c.Detail, tt.wantDetail)
			}
			if !strings.Contains(c.Hint, tt.wantHint) || (tt.want == Green && c.Hint != "") {
				t.Errorf("hint = %q, want it to contain %q", c.Hint, tt.wantHint)
			}
		})
	}
}

func TestStorageCheck(t *testing.T) {
	t.Parallel()
	st := func(used int64, status string, shared bool) inventory.Storage {
		return inventory.Storage{Name: "local-lvm", Node: "pve1", Status: status, Shared: shared, UsedBytes: used * gib, TotalBytes: 200 * gib}
	}
	tests := []struct {
		name       string
		st         inventory.Storage
		want       Status
		wantName   string
		wantDetail string
	}{
		{name: "half full", st: st(100, "available", false), want: Green, wantName: "storage local-lvm on pve1", wantDetail: "50% used (100.0 GiB of 200.0 GiB)"},
		{name: "exactly 80%", st: st(160, "available", false), want: Green},
		{name: "85%", st: st(170, "available", false), want: Yellow, wantDetail: "85% used (170.0 GiB of 200.0 GiB)"},
		{name: "exactly 90%", st: st(180, "available", false), want: Yellow},
		{name: "95%", st: st(190, "available", false), want: Red, wantDetail: "95% used (190.0 GiB of 200.0 GiB)"},
		{name: "shared", st: st(10, "available", true), want: Green, wantName: "storage local-lvm (shared)"},
		{name: "not active", st: st(10, "unavailable", false), want: Yellow, wantDetail: "unavailable"},
		{name: "no size", st: inventory.Storage{Name: "x", Node: "pve1", Status: "available"}, want: Green, wantDetail: "no size reported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := StorageCheck(tt.st)
			if c.Status != tt.want {
				t.Errorf("status = %s, want %s (%+v)", c.Status, tt.want, c)
			}
			if tt.wantName != "" && c.Name != tt.wantName {
				t.Errorf("name = %q, want %q", c.Name, tt.wantName)
			}
			if tt.wantDetail != "" && c.Detail != tt.wantDetail {
				t.Errorf("detail = %q, want %q", c.Detail, tt.wantDetail)
			}
			if (c.Status == Green) != (c.Hint == "") {
				t.Errorf("hint %q with status %s", c.Hint, c.Status)
			}
		})
	}
}

func TestGuestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		guests []inventory.Guest
		want   string
	}{
		{name: "none", want: "0 running, 0 stopped"},
		{name: "mixed", guests: []inventory.Guest{
			{Status: "running"}, {Status: "running"}, {Status: "stopped"}, {Status: "paused"},
			{Status: "stopped", Template: true}, {Status: "stopped", Template: true},
		}, want: "2 running, 1 stopped, 1 paused, 2 templates"},
		{name: "one template", guests: []inventory.Guest{{Status: "stopped", Template: true}}, want: "0 running, 0 stopped, 1 template"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := GuestCheck(tt.guests)
			if c.Status != Green || c.Detail != tt.want {
				t.Errorf("GuestCheck = %+v, want green %q", c, tt.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		statuses []Status
		want     Status
		summary  string
	}{
		{name: "empty", want: Green, summary: "healthy"},
		{name: "green and skipped", statuses: []Status{Green, Skipped}, want: Green, summary: "healthy"},
		{name: "warnings", statuses: []Status{Green, Yellow, Yellow}, want: Yellow, summary: "2 warnings"},
		{name: "problem and warnings", statuses: []Status{Red, Yellow, Yellow, Green}, want: Red, summary: "1 problem, 2 warnings"},
		{name: "problems", statuses: []Status{Red, Red}, want: Red, summary: "2 problems"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var cs []Check
			for i, s := range tt.statuses {
				cs = append(cs, Check{Name: fmt.Sprint(i), Status: s, Duration: 1500 * time.Microsecond})
			}
			r := Summarize(cs)
			if r.Overall != tt.want || r.Summary != tt.summary {
				t.Errorf("Summarize = %s %q, want %s %q", r.Overall, r.Summary, tt.want, tt.summary)
			}
			if r.Checks == nil {
				t.Error("Checks is nil; JSON must show []")
			}
			for _, c := range r.Checks {
				if c.DurationMS != 1.5 {
					t.Errorf("duration_ms = %v, want 1.5", c.DurationMS)
				}
			}
		})
	}
}

// fakeStore is a state.Store whose Info and Check are canned; the other
// methods are not used by health (calling one panics).
type fakeStore struct {
	state.Store
	info     state.Info
	infoErr  error
	checkErr error
}

func (s *fakeStore) Info(context.Context) (state.Info, error) { return s.info, s.infoErr }
func (s *fakeStore) Check(context.Context) error              { return s.checkErr }

type hintErr struct{ msg, hint string }

func (e *hintErr) Error() string { return e.msg }
func (e *hintErr) Hint() string  { return e.hint }

func TestCheckDatabase(t *testing.T) {
	t.Parallel()
	okInfo := state.Info{Backend: "sqlite", Location: "/w/.proxmox-mpc/state.db", SchemaVersion: 7, SizeBytes: 3 << 20}
	corruptPath := filepath.Join(t.TempDir(), "state.db")
	if err := os.WriteFile(corruptPath, []byte(strings.Repeat("not a database ", 400)), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		store      func(context.Context) (state.Store, error)
		want       Status
		wantDetail string
		wantHint   string
	}{
		{name: "no store", want: Skipped, wantDetail: "skipped: no state store configured"},
		{name: "healthy", want: Green,
			store:      func(context.Context) (state.Store, error) { return &fakeStore{info: okInfo}, nil },
			wantDetail: "sqlite /w/.proxmox-mpc/state.db · 3.0 MiB · schema version 7 · integrity ok"},
		{name: "not synced yet", want: Skipped,
			store: func(context.Context) (state.Store, error) {
				return nil, &inventory.NoStateError{Location: "/w/.proxmox-mpc/state.db"}
			},
			wantDetail: "skipped: no state database at /w/.proxmox-mpc/state.db yet", wantHint: "proxmox-mpc sync"},
		{name: "locked", want: Red,
			store: func(context.Context) (state.Store, error) {
				return nil, fmt.Errorf("open state: %w", &hintErr{msg: "state database /w/state.db is locked by another process", hint: "wait for it to finish"})
			},
			wantDetail: "open state: state database /w/state.db is locked by another process", wantHint: "wait for it to finish"},
		{name: "integrity check fails", want: Red,
			store: func(context.Context) (state.Store, error) {
				return &fakeStore{info: okInfo, checkErr: fmt.Errorf("integrity check: %w", state.ErrCorrupt)}, nil
			},
			wantDetail: "sqlite /w/.proxmox-mpc/state.db: integrity check: " + state.ErrCorrupt.Error()},
		{name: "info fails", want: Red,
			store: func(context.Context) (state.Store, error) {
				return &fakeStore{infoErr: errors.New("read schema version: disk I/O error")}, nil
			},
			wantDetail: "read database info: read schema version: disk I/O error"},
		{name: "corrupt sqlite file", want: Red,
			store: func(ctx context.Context) (state.Store, error) {
				st, err := sqlite.Open(ctx, corruptPath)
				if err != nil {
					return nil, fmt.Errorf("open state: %w", err)
				}
				t.Cleanup(func() { _ = st.Close() })
				return st, nil
			},
			wantHint: "mv " + corruptPath},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := checkDatabase(t.Context(), withDefaults(Deps{Store: tt.store}))
			if c.Status != tt.want || c.Name != "database" {
				t.Fatalf("checkDatabase = %+v, want %s", c, tt.want)
			}
			if tt.wantDetail != "" && c.Detail != tt.wantDetail {
				t.Errorf("detail = %q, want %q", c.Detail, tt.wantDetail)
			}
			if !strings.Contains(c.Hint, tt.wantHint) {
				t.Errorf("hint = %q, want it to contain %q", c.Hint, tt.wantHint)
			}
		})
	}
}

func newWorkspaceDir(t *testing.T, config string) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "homelab")
	if err := os.MkdirAll(filepath.Join(root, workspace.Dir), 0o755); err != nil {
		t.Fatal(err)
	}
	if config != "" {
		if err := os.WriteFile(workspace.ConfigPath(root), []byte(config), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

const validConfig = "name: homelab\nendpoint: https://pve1.example.invalid:8006\n"

func TestWorkspaceCheck(t *testing.T) {
	t.Parallel()
	good := newWorkspaceDir(t, validConfig)
	noConfig := newWorkspaceDir(t, "")
	bad := newWorkspaceDir(t, "name: homelab\nendpoint: https://pve1:8006\npassword: hunter2\n")
	open := func(dir string) func() (*workspace.Workspace, error) {
		return func() (*workspace.Workspace, error) { return workspace.Open(dir) }
	}
	tests := []struct {
		name       string
		open       func() (*workspace.Workspace, error)
		want       Status
		wantDetail string
		wantHint   string
	}{
		{name: "no lookup", want: Skipped},
		{name: "no workspace", open: open(t.TempDir()), want: Skipped, wantDetail: "skipped: no proxmox-mpc workspace in", wantHint: "proxmox-mpc init"},
		{name: "healthy", open: open(filepath.Join(good, "terraform")), want: Green,
			wantDetail: "homelab at " + good + " · config valid · .proxmox-mpc writable"},
		{name: "no config", open: open(noConfig), want: Yellow, wantDetail: "no .proxmox-mpc/config.yaml", wantHint: "proxmox-mpc init"},
		{name: "bad config", open: open(bad), want: Red, wantDetail: "config.yaml"},
		{name: "not writable", want: Red, wantDetail: "create a file in .proxmox-mpc",
			open: func() (*workspace.Workspace, error) {
				return &workspace.Workspace{Root: filepath.Join(t.TempDir(), "gone"), Config: workspace.Config{Name: "gone"}}, nil
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := gatherWorkspace(withDefaults(Deps{Workspace: tt.open})).check()
			if c.Status != tt.want || c.Name != "workspace" {
				t.Fatalf("workspace check = %+v, want %s", c, tt.want)
			}
			if !strings.Contains(c.Detail, tt.wantDetail) {
				t.Errorf("detail = %q, want it to contain %q", c.Detail, tt.wantDetail)
			}
			if !strings.Contains(c.Hint, tt.wantHint) {
				t.Errorf("hint = %q, want it to contain %q", c.Hint, tt.wantHint)
			}
		})
	}
	entries, err := os.ReadDir(filepath.Join(good, workspace.Dir))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".health-") {
			t.Errorf("probe file %s left behind", e.Name())
		}
	}
}

func TestToolChecks(t *testing.T) {
	t.Parallel()
	outputs := map[string]string{
		"tofu":             "OpenTofu v1.8.2\non linux_amd64\n",
		"terraform":        "Terraform v1.11.4\non linux_amd64\n",
		"ansible-playbook": "ansible-playbook [core 2.14.18]\n  config file = None\n",
		"git":              "git version 2.39.5\n",
	}
	type want struct {
		status Status
		detail string
	}
	tests := []struct {
		name      string
		installed []string
		failing   string // this tool's version run fails
		hanging   string // this tool never answers
		workspace bool
		want      map[string]want
	}{
		{name: "all installed", installed: []string{"tofu", "terraform", "ansible-playbook", "git"}, workspace: true, want: map[string]want{
			"tofu": {Green, "1.8.2 (/usr/bin/tofu)"}, "terraform": {Green, "1.11.4 (/usr/bin/terraform)"},
			"ansible-playbook": {Green, "2.14.18 (/usr/bin/ansible-playbook)"}, "git": {Green, "2.39.5 (/usr/bin/git)"},
		}},
		{name: "terraform instead of tofu", installed: []string{"terraform", "ansible-playbook"}, workspace: true, want: map[string]want{
			"tofu": {Skipped, "not found (not needed: terraform is installed)"}, "terraform": {Green, "1.11.4 (/usr/bin/terraform)"},
			"ansible-playbook": {Green, "2.14.18 (/usr/bin/ansible-playbook)"}, "git": {Skipped, "not found (optional)"},
		}},
		{name: "nothing in a workspace", workspace: true, want: map[string]want{
			"tofu":             {Yellow, "not found, nor terraform: the workspace's code cannot be planned or applied with them"},
			"terraform":        {Skipped, "not found (optional)"},
			"ansible-playbook": {Yellow, "not found: the workspace's Ansible playbooks cannot be run or checked"},
			"git":              {Skipped, "not found (optional)"},
		}},
		{name: "nothing outside a workspace", want: map[string]want{
			"tofu": {Skipped, "not found (optional)"}, "terraform": {Skipped, "not found (optional)"},
			"ansible-playbook": {Skipped, "not found (optional)"}, "git": {Skipped, "not found (optional)"},
		}},
		{name: "broken tool", installed: []string{"tofu", "git"}, failing: "tofu", want: map[string]want{
			"tofu":      {Yellow, "found at /usr/bin/tofu, but `tofu version` failed: exit status 1"},
			"terraform": {Skipped, "not found (not needed: tofu is installed)"}, "ansible-playbook": {Skipped, "not found (optional)"},
			"git": {Green, "2.39.5 (/usr/bin/git)"},
		}},
		{name: "hanging tool", installed: []string{"git"}, hanging: "git", want: map[string]want{
			"tofu": {Skipped, "not found (optional)"}, "terraform": {Skipped, "not found (optional)"},
			"ansible-playbook": {Skipped, "not found (optional)"},
			"git":              {Yellow, "found at /usr/bin/git, but `git --version` failed: no answer within 20ms"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := withDefaults(Deps{
				ToolTimeout: 20 * time.Millisecond,
				LookPath: func(file string) (string, error) {
					for _, n := range tt.installed {
						if n == file {
							return "/usr/bin/" + file, nil
						}
					}
					return "", errors.New("executable file not found in $PATH")
				},
				Exec: func(ctx context.Context, path string, args ...string) ([]byte, error) {
					name := filepath.Base(path)
					switch name {
					case tt.failing:
						return nil, errors.New("exit status 1")
					case tt.hanging:
						<-ctx.Done()
						return nil, ctx.Err()
					}
					return []byte(outputs[name]), nil
				},
			})
			facts := make([]toolFacts, len(toolSpecs))
			for i, s := range toolSpecs {
				facts[i] = probeTool(t.Context(), d, loadVersionCache(""), s)
			}
			got := map[string]want{}
			for _, c := range toolChecks(facts, tt.workspace) {
				got[c.Name] = want{c.Status, c.Detail}
				if c.Status == Yellow && c.Hint == "" {
					t.Errorf("%s: yellow without a hint", c.Name)
				}
			}
			if d := cmp.Diff(tt.want, got, cmp.AllowUnexported(want{})); d != "" {
				t.Errorf("tool checks (-want +got):\n%s", d)
			}
		})
	}
}

func TestParseVersion(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"OpenTofu v1.8.2\non linux_amd64\n", "1.8.2"},
		{"Terraform v1.11.4\non linux_amd64\n", "1.11.4"},
		{"ansible-playbook [core 2.14.18]\n  config file = None\n", "2.14.18"},
		{"git version 2.39.5\n", "2.39.5"},
		{"OpenTofu v1.9.0-beta1\n", "1.9.0-beta1"},
		{"\nsome banner\ntool 3.2\n", "3.2"},
		{"no version here", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := ParseVersion(tt.in); got != tt.want {
			t.Errorf("ParseVersion(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzParseVersion(f *testing.F) {
	for _, s := range []string{"OpenTofu v1.8.2\non linux_amd64\n", "ansible-playbook [core 2.14.18]", "git version 2.39.5", "", "v1.", "1.2.3+meta-x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v := ParseVersion(s)
		if v != "" && !strings.Contains(s, v) {
			t.Errorf("ParseVersion(%q) = %q, not part of the input", s, v)
		}
		if strings.ContainsAny(v, " \n") {
			t.Errorf("ParseVersion(%q) = %q has a space or newline", s, v)
		}
	})
}

// fakeServer answers the server checks from canned values.
type fakeServer struct {
	identity    string
	conn        *inventory.ConnectionReport
	connErr     error
	nodes       []inventory.Node
	nodesErr    error
	storages    []inventory.Storage
	storagesErr error
	guests      []inventory.Guest
	guestsErr   error
	// before, when set, runs at the start of every call.
	before func(ctx context.Context)
}

var _ server = (*fakeServer)(nil)

func (s *fakeServer) call(ctx context.Context) {
	if s.before != nil {
		s.before(ctx)
	}
}
func (s *fakeServer) Identity() string { return s.identity }
func (s *fakeServer) TestConnection(ctx context.Context) (*inventory.ConnectionReport, error) {
	s.call(ctx)
	return s.conn, s.connErr
}
func (s *fakeServer) Nodes(ctx context.Context) ([]inventory.Node, error) {
	s.call(ctx)
	return s.nodes, s.nodesErr
}
func (s *fakeServer) Storages(ctx context.Context, _ string) ([]inventory.Storage, error) {
	s.call(ctx)
	return s.storages, s.storagesErr
}
func (s *fakeServer) Guests(ctx context.Context, _ inventory.GuestQuery) ([]inventory.Guest, error) {
	s.call(ctx)
	return s.guests, s.guestsErr
}

var errRefused = &hintErr{msg: "GET /version: 401 authentication failure", hint: "check the API token"}

func healthyServer() *fakeServer {
	return &fakeServer{
		identity: "root@pam!health",
		conn: &inventory.ConnectionReport{Endpoint: "https://pve1:8006", AuthMethod: "api-token", TLSMode: "fingerprint",
			Version: "9.1.1", Release: "9.1", Cluster: "homelab", Nodes: 2, LatencyMS: 2.5},
		nodes: []inventory.Node{
			{Name: "pve1", Status: "online", CPUs: 8, CPUUsage: 0.1, MemoryBytes: 64 * gib, MemoryUsedBytes: 20 * gib, Guests: 2},
			{Name: "pve2", Status: "online", CPUs: 8, CPUUsage: 0.2, MemoryBytes: 64 * gib, MemoryUsedBytes: 55 * gib, Guests: 1},
		},
		storages: []inventory.Storage{
			{Name: "local-lvm", Node: "pve1", Status: "available", UsedBytes: 10 * gib, TotalBytes: 100 * gib},
			{Name: "local-lvm", Node: "pve2", Status: "available", UsedBytes: 95 * gib, TotalBytes: 100 * gib},
			{Name: "nfs", Node: "pve1", Status: "available", Shared: true, UsedBytes: 1, TotalBytes: 100 * gib},
			{Name: "nfs", Node: "pve2", Status: "available", Shared: true, UsedBytes: 1, TotalBytes: 100 * gib},
		},
		guests: []inventory.Guest{{Status: "running"}, {Status: "running"}, {Status: "stopped"}},
	}
}

func TestServerChecks(t *testing.T) {
	t.Parallel()
	refused := func(err error) bool { return errors.Is(err, errRefused) }
	withErr := func(mod func(*fakeServer)) *fakeServer {
		s := healthyServer()
		mod(s)
		return s
	}
	netErr := &hintErr{msg: "connect to https://pve1:8006: dial tcp: connection refused", hint: "check the server is reachable"}
	notConfigured := &hintErr{msg: "no Proxmox VE endpoint configured", hint: "export PROXMOX_VE_ENDPOINT"}
	tests := []struct {
		name       string
		connect    func(context.Context) (server, error)
		want       map[string]Status
		wantDetail map[string]string
		wantHint   map[string]string
	}{
		{
			name:    "healthy",
			connect: func(context.Context) (server, error) { return healthyServer(), nil },
			want: map[string]Status{"server": Green, "auth": Green, "node pve1": Green, "node pve2": Yellow,
				"storage local-lvm on pve1": Green, "storage local-lvm on pve2": Red, "storage nfs (shared)": Green, "guests": Green},
			wantDetail: map[string]string{
				"server": "https://pve1:8006 answered in 2.5 ms · PVE 9.1.1 · cluster homelab, 2 nodes",
				"auth":   "root@pam!health (api-token) reads /cluster/resources (2 nodes, 3 guests, 3 storages)",
				"guests": "2 running, 1 stopped",
			},
		},
		{
			name:    "401",
			connect: func(context.Context) (server, error) { return withErr(refuseAll), nil },
			want:    map[string]Status{"server": Green, "auth": Red, "nodes": Skipped, "storage": Skipped, "guests": Skipped},
			wantDetail: map[string]string{
				"server": "answered in",
				"auth":   "root@pam!health was refused: GET /version: 401 authentication failure",
				"nodes":  "skipped: the nodes could not be listed (see auth)",
			},
			wantHint: map[string]string{"auth": "check the API token"},
		},
		{
			name: "403 on the resources only",
			connect: func(context.Context) (server, error) {
				return withErr(func(s *fakeServer) {
					s.guestsErr = &hintErr{msg: "GET /cluster/resources: 403 Permission check failed", hint: "grant VM.Audit"}
				}), nil
			},
			want:       map[string]Status{"server": Green, "auth": Red, "guests": Skipped, "node pve1": Green},
			wantDetail: map[string]string{"auth": "root@pam!health (api-token) cannot read /cluster/resources: GET /cluster/resources: 403 Permission check failed"},
			wantHint:   map[string]string{"auth": "grant VM.Audit"},
		},
		{
			name: "unreachable",
			connect: func(context.Context) (server, error) {
				return withErr(func(s *fakeServer) {
					s.conn, s.nodes, s.storages, s.guests = nil, nil, nil, nil
					s.connErr, s.nodesErr, s.storagesErr, s.guestsErr = netErr, netErr, netErr, netErr
				}), nil
			},
			want:       map[string]Status{"server": Red, "auth": Skipped, "nodes": Skipped, "storage": Skipped, "guests": Skipped},
			wantDetail: map[string]string{"server": netErr.msg, "auth": "skipped: the server did not answer (see server)"},
			wantHint:   map[string]string{"server": "reachable"},
		},
		{
			name:       "not configured",
			connect:    func(context.Context) (server, error) { return nil, notConfigured },
			want:       map[string]Status{"server": Skipped, "auth": Skipped, "nodes": Skipped, "storage": Skipped, "guests": Skipped},
			wantDetail: map[string]string{"server": "skipped: no Proxmox VE endpoint configured", "auth": "skipped: no server configured"},
			wantHint:   map[string]string{"server": "PROXMOX_VE_ENDPOINT"},
		},
		{
			name:       "no inventory",
			want:       map[string]Status{"server": Skipped, "auth": Skipped, "nodes": Skipped, "storage": Skipped, "guests": Skipped},
			wantDetail: map[string]string{"server": "skipped: no server configured"},
		},
		{
			name: "unusable settings",
			connect: func(context.Context) (server, error) {
				return nil, &hintErr{msg: "invalid fingerprint: not hex", hint: "use AA:BB:..."}
			},
			want:       map[string]Status{"server": Red, "auth": Skipped, "nodes": Skipped, "storage": Skipped, "guests": Skipped},
			wantDetail: map[string]string{"server": "invalid fingerprint: not hex", "auth": "skipped: the connection settings are unusable (see server)"},
		},
		{
			name: "slow and insecure",
			connect: func(context.Context) (server, error) {
				return withErr(func(s *fakeServer) { s.conn.LatencyMS, s.conn.TLSMode = 1500, "insecure" }), nil
			},
			want:       map[string]Status{"server": Yellow, "auth": Green},
			wantDetail: map[string]string{"server": "answered in 1.50 s · PVE 9.1.1 · cluster homelab, 2 nodes · TLS verification off"},
			wantHint:   map[string]string{"server": "--fingerprint"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := Deps{Refused: refused, NotConfigured: func(err error) bool { return errors.Is(err, notConfigured) }, LookPath: noTools}
			rep := run(t.Context(), d, tt.connect)
			got := map[string]Check{}
			for _, c := range rep.Checks {
				got[c.Name] = c
			}
			for name, st := range tt.want {
				c, ok := got[name]
				if !ok {
					t.Errorf("no check %q in %v", name, names(rep.Checks))
					continue
				}
				if c.Status != st {
					t.Errorf("%s: status %s, want %s (%s)", name, c.Status, st, c.Detail)
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
		})
	}
}

func noTools(string) (string, error) { return "", errors.New("not found") }

func refuseAll(s *fakeServer) {
	s.conn, s.nodes, s.storages, s.guests = nil, nil, nil, nil
	s.connErr, s.nodesErr, s.storagesErr, s.guestsErr = errRefused, errRefused, errRefused, errRefused
}

func names(cs []Check) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
	}
	return out
}

// TestRunConcurrent: the server calls, the database check, the workspace
// check and every tool wait for each other here, so Run only finishes when
// they all run at the same time (run one at a time, they would block until
// the server timeout and the tool timeout, and the checks would fail).
func TestRunConcurrent(t *testing.T) {
	t.Parallel()
	const parties = 4 + 1 + 1 + 4 // server calls, database, workspace, tools
	var wg sync.WaitGroup
	wg.Add(parties)
	barrier := func(ctx context.Context) error {
		wg.Done()
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	srv := healthyServer()
	srv.before = func(ctx context.Context) { _ = barrier(ctx) }
	root := newWorkspaceDir(t, validConfig)
	d := Deps{
		ServerTimeout: 30 * time.Second,
		ToolTimeout:   30 * time.Second,
		Store: func(ctx context.Context) (state.Store, error) {
			if err := barrier(ctx); err != nil {
				return nil, err
			}
			return &fakeStore{info: state.Info{Backend: "sqlite", Location: "x"}}, nil
		},
		Workspace: func() (*workspace.Workspace, error) {
			if err := barrier(t.Context()); err != nil {
				return nil, err
			}
			return workspace.Open(root)
		},
		LookPath: func(file string) (string, error) { return "/bin/" + file, nil },
		Exec: func(ctx context.Context, path string, _ ...string) ([]byte, error) {
			if err := barrier(ctx); err != nil {
				return nil, err
			}
			return []byte(filepath.Base(path) + " version 1.0.0\n"), nil
		},
	}
	rep := run(t.Context(), d, func(context.Context) (server, error) { return srv, nil })
	for _, c := range rep.Checks {
		if c.Status == Skipped || (c.Status != Green && c.Name != "node pve2" && c.Name != "storage local-lvm on pve2") {
			t.Errorf("%s: %s %s", c.Name, c.Status, c.Detail)
		}
	}
	wantOrder := []string{"server", "auth", "database", "workspace", "tofu", "terraform", "ansible-playbook", "git",
		"node pve1", "node pve2", "storage local-lvm on pve1", "storage local-lvm on pve2", "storage nfs (shared)", "guests"}
	if d := cmp.Diff(wantOrder, names(rep.Checks)); d != "" {
		t.Errorf("check order (-want +got):\n%s", d)
	}
	if rep.Overall != Red || rep.Summary != "1 problem, 1 warning" {
		t.Errorf("overall %s %q", rep.Overall, rep.Summary)
	}
}

// TestVersionCache: a tool's version is asked once per binary (path,
// size, mtime); a changed binary is asked again.
func TestVersionCache(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "ansible-playbook")
	if err := os.WriteFile(bin, []byte("v1"), 0o600); err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(dir, "cache", "tool-versions.json")
	calls := 0
	d := withDefaults(Deps{
		VersionCache: cache,
		LookPath:     func(string) (string, error) { return bin, nil },
		Exec: func(context.Context, string, ...string) ([]byte, error) {
			calls++
			return []byte(fmt.Sprintf("ansible-playbook [core 2.14.%d]\n", calls)), nil
		},
	})
	spec := toolSpec{Name: "ansible-playbook", Args: []string{"--version"}}
	probe := func() string {
		vc := loadVersionCache(cache)
		f := probeTool(t.Context(), d, vc, spec)
		vc.save()
		return f.Version
	}
	if v := probe(); v != "2.14.1" || calls != 1 {
		t.Fatalf("first probe: %q after %d calls", v, calls)
	}
	if v := probe(); v != "2.14.1" || calls != 1 {
		t.Fatalf("cached probe: %q after %d calls", v, calls)
	}
	if err := os.WriteFile(bin, []byte("v2, longer"), 0o600); err != nil {
		t.Fatal(err)
	}
	if v := probe(); v != "2.14.2" || calls != 2 {
		t.Fatalf("probe of a changed binary: %q after %d calls", v, calls)
	}
}
