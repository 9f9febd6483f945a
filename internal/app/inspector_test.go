package app

import (
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
)

// TestMCPInspector drives `proxmox-mpc mcp` with a client nobody here
// wrote: the official MCP Inspector's CLI (one server process per call),
// in a workspace synced from the simulator — list tools, call read tools,
// a plan → apply round trip under --allow write, a refused apply under the
// default tier, a refused stale plan_id, and no real name or address in
// the anonymized output.
func TestMCPInspector(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	inspector := requireTool(t, "mcp-inspector")
	bin := buildBinary(t)
	srv, fp := simTLS(t, pvesim.Options{TaskDuration: 20 * time.Millisecond})
	dir, home := t.TempDir(), t.TempDir()
	env := []string{"HOME=" + home, "NO_COLOR=1", "PROXMOX_VE_API_TOKEN=" + pvesim.DefaultToken, "PATH=" + os.Getenv("PATH")}
	pmc := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("proxmox-mpc %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	// call runs one MCP method through the Inspector's CLI and returns its JSON.
	call := func(serverArgs []string, method ...string) map[string]any {
		t.Helper()
		args := append([]string{"--cli", bin, "mcp"}, serverArgs...)
		args = append(args, method...)
		cmd := exec.Command(inspector, args...)
		cmd.Dir = dir
		cmd.Env = append(env, "PROXMOX_VE_API_TOKEN="+pvesim.DefaultToken)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("mcp-inspector %s: %v\n%s", strings.Join(method, " "), err, out)
		}
		var v map[string]any
		if err := json.Unmarshal(out, &v); err != nil {
			t.Fatalf("mcp-inspector %s: not JSON: %v\n%s", strings.Join(method, " "), err, out)
		}
		return v
	}
	pmc("init", "--endpoint", srv.URL, "--fingerprint", fp, "--yes")
	pmc("sync")

	tools := func(serverArgs ...string) []string {
		var names []string
		for _, tl := range call(serverArgs, "--method", "tools/list")["tools"].([]any) {
			names = append(names, tl.(map[string]any)["name"].(string))
		}
		slices.Sort(names)
		return names
	}
	if read := tools(); !slices.Contains(read, "list_guests") || slices.Contains(read, "apply") {
		t.Errorf("tools under the read tier: %v", read)
	}
	if write := tools("--allow", "write"); !slices.Contains(write, "apply") || !slices.Contains(write, "plan") {
		t.Errorf("tools under --allow write: %v", write)
	}

	// Read tools, anonymized: no real guest or node name, no real address.
	raw, _ := json.Marshal(call(nil, "--method", "tools/call", "--tool-name", "list_guests", "--tool-arg", "limit=50"))
	out := string(raw)
	if !strings.Contains(out, `"total":`) {
		t.Fatalf("list_guests: %s", out)
	}
	for _, real := range []string{"web-01", "db-01", "pihole", "pve1", "pve2", "192.168.1.21", "192.168.1.1"} {
		if strings.Contains(out, real) {
			t.Errorf("anonymized list_guests output holds %q", real)
		}
	}

	// plan → apply under --allow write; apply refused under read; the same
	// plan_id refused once the plan it names is stale.
	pmc("set", "vm", "web-01", "--cores", "3")
	write := []string{"--allow", "write"}
	plan := call(write, "--method", "tools/call", "--tool-name", "plan")
	sc, _ := plan["structuredContent"].(map[string]any)
	id, _ := sc["plan_id"].(string)
	if len(id) != 64 {
		t.Fatalf("plan returned no plan_id: %v", plan)
	}
	if refused := call(nil, "--method", "tools/call", "--tool-name", "apply", "--tool-arg", "plan_id="+id); refused["isError"] != true {
		t.Errorf("apply under the read tier was not refused: %v", refused)
	}
	applied := call(write, "--method", "tools/call", "--tool-name", "apply", "--tool-arg", "plan_id="+id)
	if applied["isError"] == true {
		t.Fatalf("apply: %v", applied)
	}
	if plan := pmc("plan", "--engine", "native"); !strings.Contains(plan, "No changes.") {
		t.Errorf("plan after the MCP apply:\n%s", plan)
	}
	stale := call(write, "--method", "tools/call", "--tool-name", "apply", "--tool-arg", "plan_id="+id)
	if text, _ := json.Marshal(stale); stale["isError"] != true || !strings.Contains(string(text), "stale") {
		t.Errorf("a stale plan_id was not refused: %s", text)
	}
	if journal := pmc("journal", "--limit", "30"); !strings.Contains(journal, "mcp-apply") || !strings.Contains(journal, "mcp:") {
		t.Errorf("the journal lacks the MCP calls with the client's name:\n%s", journal)
	}
}
