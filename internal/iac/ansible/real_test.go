package ansible

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// needTool returns the path of an executable, or skips the test; with
// PMC_REQUIRE_TOOLS=1 (the project's test command, after installing the
// tools) a missing tool fails it instead.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("PMC_REQUIRE_TOOLS") == "1" {
			t.Fatalf("%s not installed but PMC_REQUIRE_TOOLS=1: %v", name, err)
		}
		t.Skipf("%s not installed: %v (apt-get install ansible)", name, err)
	}
	return p
}

// trickyGuests are names, tags and pools that YAML 1.1, Ansible's group
// rules or host-name uniqueness could get wrong.
func trickyGuests() []state.Guest {
	return []state.Guest{
		{VMID: 7001, Type: state.TypeVM, Name: "dup", Node: "pve1", Status: "running", Tags: []string{"on", "yes", "1:20", "Mixed-Case.tag"}, Pool: "team-a",
			Config: map[string]string{"ipconfig0": "ip=10.9.0.1/24", "cipassword": "hunter2", "ciuser": "no"}},
		{VMID: 7002, Type: state.TypeVM, Name: "dup", Node: "pve1", Status: "running", AgentIPs: []string{"fe80::1/64", "2001:db8::42/64"}},
		{VMID: 7003, Type: state.TypeCT, Name: "", Node: "pve2", Status: "stopped", Tags: []string{"null"}},
		{VMID: 7004, Type: state.TypeVM, Name: "templates", Node: "pve2", Status: "paused"},
		{VMID: 7005, Type: state.TypeVM, Name: "100", Node: "pve2", Status: "running"},
	}
}

func TestRealAnsible(t *testing.T) {
	t.Parallel()
	inventoryBin := needTool(t, "ansible-inventory")
	tests := []struct {
		name   string
		guests func(t *testing.T) []state.Guest
	}{
		{"homelab", func(t *testing.T) []state.Guest { return append(homelab(t), trickyGuests()...) }},
		{"large", func(t *testing.T) []state.Guest {
			return scenarioGuests(t, pvesim.Options{Scenario: pvesim.ScenarioLarge, Guests: 150, Nodes: 4, Seed: 5})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			guests := tt.guests(t)
			dir := writeWorkspace(t, guests)
			env := ansibleEnv(t)

			static := runJSON(t, env, inventoryBin, "-i", filepath.Join(dir, "inventory.yml"), "--list")
			dynamic := runJSON(t, env, inventoryBin, "-i", filepath.Join(dir, "inventory.sh"), "--list")
			if d := cmp.Diff(normalise(t, static), normalise(t, dynamic)); d != "" {
				t.Errorf("ansible-inventory: inventory.yml and the dynamic inventory differ (-yml +dynamic):\n%s", d)
			}
			want := expected(guests)
			if d := cmp.Diff(want, normalise(t, static)); d != "" {
				t.Errorf("ansible-inventory --list differs from the state (-state +ansible):\n%s", d)
			}

			// --host through the script, as Ansible's protocol has it.
			for _, g := range guests[:3] {
				name := HostName(g, guests)
				var got map[string]any
				if err := json.Unmarshal(run(t, env, filepath.Join(dir, "inventory.sh"), "--host", name), &got); err != nil {
					t.Fatal(err)
				}
				w := want.Vars[name]
				delete(w, "ansible_python_interpreter") // group_vars are Ansible's, not the script's
				if d := cmp.Diff(w, got); d != "" {
					t.Errorf("--host %s (-state +script):\n%s", name, d)
				}
			}

			if playbook, err := exec.LookPath("ansible-playbook"); err == nil {
				run(t, env, playbook, "-i", filepath.Join(dir, "inventory.yml"), filepath.Join(dir, "playbooks", "site.yml"), "--syntax-check")
				out := string(run(t, env, playbook, "-i", filepath.Join(dir, "inventory.yml"), filepath.Join(dir, "playbooks", "site.yml"), "--list-hosts"))
				var listed []string
				for line := range strings.SplitSeq(out, "\n") {
					line = strings.TrimSpace(line)
					if line != "" && !strings.Contains(line, ":") && !strings.HasPrefix(line, "playbook") {
						listed = append(listed, line)
					}
				}
				slices.Sort(listed)
				var wantHosts []string
				for _, g := range guests {
					if !g.Template {
						wantHosts = append(wantHosts, HostName(g, guests))
					}
				}
				slices.Sort(wantHosts)
				if d := cmp.Diff(wantHosts, listed); d != "" {
					t.Errorf("site.yml hosts (-want +ansible-playbook --list-hosts):\n%s\n%s", d, out)
				}
			}
		})
	}
}

// writeWorkspace writes the generated files, a --list answer, --host
// answers and a script serving them, as a person would wire
// `proxmox-mpc inventory`.
func writeWorkspace(t *testing.T, guests []state.Guest) string {
	t.Helper()
	dir := t.TempDir()
	files, err := Generate(guests, Options{})
	if err != nil {
		t.Fatal(err)
	}
	write := func(rel string, b []byte, mode os.FileMode) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, mode); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		write(f.Path, f.Content, 0o644)
	}
	list, err := List(guests, Options{})
	if err != nil {
		t.Fatal(err)
	}
	write("answers/list.json", list, 0o644)
	for _, g := range guests {
		name := HostName(g, guests)
		b, err := Host(guests, name, Options{})
		if err != nil {
			t.Fatal(err)
		}
		write("answers/host/"+name+".json", b, 0o644)
	}
	script := "#!/bin/sh\nd=$(dirname \"$0\")/answers\n" +
		"case \"$1\" in\n" +
		"--list) exec cat \"$d/list.json\" ;;\n" +
		"--host) if [ -f \"$d/host/$2.json\" ]; then exec cat \"$d/host/$2.json\"; fi; echo '{}' ;;\n" +
		"*) echo \"usage: $0 --list | --host NAME\" >&2; exit 2 ;;\n" +
		"esac\n"
	write("inventory.sh", []byte(script), 0o755)
	return dir
}

func ansibleEnv(t *testing.T) []string {
	home := t.TempDir()
	return append(os.Environ(),
		"HOME="+home,
		"ANSIBLE_HOME="+filepath.Join(home, ".ansible"),
		"ANSIBLE_LOCAL_TEMP="+filepath.Join(home, "tmp"),
		"ANSIBLE_NOCOLOR=1",
		"ANSIBLE_INVENTORY_UNPARSED_FAILED=true",
		"ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED=true",
		"ANSIBLE_DEPRECATION_WARNINGS=false",
	)
}

func run(t *testing.T, env []string, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), name, args...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s\n%s", filepath.Base(name), strings.Join(args, " "), err, stderr.Bytes(), out)
	}
	if s := stderr.String(); strings.Contains(s, "WARNING") {
		t.Errorf("%s %s warned:\n%s", filepath.Base(name), strings.Join(args, " "), s)
	}
	return out
}

func runJSON(t *testing.T, env []string, name string, args ...string) []byte {
	t.Helper()
	out := run(t, env, name, args...)
	if !json.Valid(out) {
		t.Fatalf("%s printed no JSON:\n%s", name, out)
	}
	return out
}

// view is an inventory as ansible-inventory --list shows it: members of
// each group (sorted; groups without hosts left out) and each host's vars.
type view struct {
	Groups map[string][]string
	Vars   map[string]map[string]any
}

func normalise(t *testing.T, b []byte) view {
	t.Helper()
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	v := view{Groups: map[string][]string{}}
	var meta struct {
		Hostvars map[string]map[string]any `json:"hostvars"`
	}
	if err := json.Unmarshal(raw["_meta"], &meta); err != nil {
		t.Fatal(err)
	}
	v.Vars = meta.Hostvars
	for name, body := range raw {
		if name == "_meta" {
			continue
		}
		var g struct {
			Hosts    []string `json:"hosts"`
			Children []string `json:"children"`
		}
		if err := json.Unmarshal(body, &g); err != nil {
			t.Fatal(err)
		}
		if name != "all" && len(g.Children) > 0 {
			t.Errorf("group %s has children %v; only all should", name, g.Children)
		}
		if len(g.Hosts) > 0 {
			slices.Sort(g.Hosts)
			v.Groups[name] = g.Hosts
		}
	}
	return v
}

// expected is what Ansible should see, computed from the state directly.
func expected(guests []state.Guest) view {
	v := view{Groups: map[string][]string{}, Vars: map[string]map[string]any{}}
	for _, g := range guests {
		name := HostName(g, guests)
		tags := make([]any, len(g.Tags))
		for i, tg := range g.Tags {
			tags[i] = tg
		}
		vars := map[string]any{
			"ansible_python_interpreter": "auto_silent",
			"proxmox_vmid":               float64(g.VMID),
			"proxmox_node":               g.Node,
			"proxmox_type":               g.Type,
			"proxmox_status":             g.Status,
			"proxmox_tags":               tags,
		}
		if g.Name != "" {
			vars["proxmox_name"] = g.Name
		}
		if g.Pool != "" {
			vars["proxmox_pool"] = g.Pool
		}
		v.Vars[name] = vars
		if g.Template {
			v.Groups["templates"] = append(v.Groups["templates"], name)
			continue
		}
		if a := Address(g); a != "" {
			vars["ansible_host"] = a
		}
		if u := g.Config["ciuser"]; u != "" && g.Type == state.TypeVM {
			vars["ansible_user"] = u
		}
		groups := []string{"node_" + sanitize(g.Node), "type_" + g.Type, "status_" + g.Status}
		if g.Pool != "" {
			groups = append(groups, "pool_"+sanitize(g.Pool))
		}
		for _, tg := range g.Tags {
			groups = append(groups, "tag_"+sanitize(tg))
		}
		for _, grp := range groups {
			v.Groups[grp] = append(v.Groups[grp], name)
		}
	}
	for k := range v.Groups {
		slices.Sort(v.Groups[k])
		v.Groups[k] = slices.Compact(v.Groups[k])
	}
	return v
}
