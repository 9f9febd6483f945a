package app

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/proxmox-mpc/proxmox-mpc/internal/codegen"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac/terraform"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

// BenchmarkPlan10k: whole-process `proxmox-mpc plan` in a workspace of
// 10,000 managed guests (large, 20 nodes, simulator +2 ms per request)
// whose code has 50 changes. Target: < 3 s. The first plan reads every
// file (and fills the read cache); the timed ones are what a person sees
// on the next plans.
//
//	go test ./internal/app -run '^$' -bench Plan10k -benchtime 3x
func BenchmarkPlan10k(b *testing.B) {
	bin := buildBinary(b)
	srv, fp := largeSim(b, 10000)
	dir, home := b.TempDir(), b.TempDir()
	env := []string{"HOME=" + home, "PROXMOX_VE_ENDPOINT=" + srv.URL, "PROXMOX_VE_API_TOKEN=" + pvesim.DefaultToken}
	in := func(args ...string) {
		b.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	in("init", "--fingerprint", fp, "--yes")
	in("sync")
	ws := &workspace.Workspace{Root: dir}
	files, err := ws.ReadDir(workspace.TerraformDir, ".tf")
	if err != nil {
		b.Fatal(err)
	}
	code, err := terraform.Read(files)
	if err != nil {
		b.Fatal(err)
	}
	for _, g := range code.Guests[:50] {
		path := code.Files[g.Address]
		typ, name, _ := strings.Cut(g.Address, ".")
		out, err := codegen.SetAttributes(files[path], path, typ, name, map[codegen.AttrPath]cty.Value{"description": cty.StringVal("bench change")})
		if err != nil {
			b.Fatal(err)
		}
		if err := ws.WriteFile(path, out, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	plan := func() {
		cmd := exec.Command(bin, "plan", "--detailed-exitcode")
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
			b.Fatalf("plan: %v\n%s", err, out)
		}
	}
	plan() // warms the read cache
	b.ResetTimer()
	for b.Loop() {
		plan()
	}
}
