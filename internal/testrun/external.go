package testrun

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Names of the external checks.
const (
	CheckTofuFmt          = "tofu fmt"
	CheckTofuTest         = "tofu test"
	CheckAnsibleInventory = "ansible-inventory --graph"
	CheckAnsibleSyntax    = "ansible-playbook --syntax-check"
)

// DefaultInitTimeout bounds `tofu init`: offline, it fails on the
// provider download and the check is skipped.
const DefaultInitTimeout = 60 * time.Second

// detailLines and detailChars bound the output kept in a failed Detail.
const (
	detailLines = 12
	detailChars = 2000
)

// Runner runs the external checks on the workspace at Dir. Zero fields get
// defaults: exec.LookPath, os/exec with combined output and the parent
// environment (so PROXMOX_VE_* reach tofu), a discarding logger.
type Runner struct {
	// Dir is the workspace root.
	Dir string
	// LookPath finds a tool on PATH.
	LookPath func(file string) (string, error)
	// Exec runs name with args in dir and returns its combined output; a
	// nonzero exit is an error.
	Exec func(ctx context.Context, dir string, name string, args ...string) ([]byte, error)
	// InitTimeout bounds `tofu init` (default DefaultInitTimeout).
	InitTimeout time.Duration
	Logger      *slog.Logger
}

func (r *Runner) lookPath(file string) (string, error) {
	if r.LookPath != nil {
		return r.LookPath(file)
	}
	return exec.LookPath(file)
}

func (r *Runner) exec(ctx context.Context, dir, name string, args ...string) ([]byte, error) {
	if r.Exec != nil {
		return r.Exec(ctx, dir, name, args...)
	}
	cmd := exec.CommandContext(ctx, name, args...) // #nosec G204 -- the tools are fixed names found on PATH
	cmd.Dir = dir
	cmd.WaitDelay = 5 * time.Second
	return cmd.CombinedOutput()
}

func (r *Runner) logger() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// ExternalChecks returns the tool-based checks, in the order they run:
// tofu fmt, tofu test, ansible-inventory --graph, ansible-playbook
// --syntax-check. Each is skipped, with the reason, when its tool or its
// input is missing.
func (r *Runner) ExternalChecks() []Check {
	return []Check{
		{Name: CheckTofuFmt, Run: r.tofuFmt},
		{Name: CheckTofuTest, Run: r.tofuTest},
		{Name: CheckAnsibleInventory, Run: r.ansibleInventory},
		{Name: CheckAnsibleSyntax, Run: r.ansibleSyntax},
	}
}

func skipped(name, why string) Result { return Result{Name: name, Status: StatusSkipped, Detail: why} }

// iacTool returns tofu, or terraform when only that is on PATH.
func (r *Runner) iacTool() (path, name string, ok bool) {
	for _, n := range []string{"tofu", "terraform"} {
		if p, err := r.lookPath(n); err == nil {
			return p, n, true
		}
	}
	return "", "", false
}

const (
	noIaCTool = "neither tofu nor terraform is on PATH; install OpenTofu"
	// terraform test refuses a test directory outside the configuration
	// folder, and the generated tests live in tests/terraform.
	noTofu = "tofu is not on PATH; install OpenTofu: terraform test cannot run tests outside terraform/"
)

// hasFiles reports whether dir holds a file whose name ends in suffix
// (non-recursive); false when dir is missing.
func hasFiles(dir, suffix string) (bool, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), suffix) {
			return true, nil
		}
	}
	return false, nil
}

func (r *Runner) terraformDir() (string, *Result) {
	dir := filepath.Join(r.Dir, "terraform")
	ok, err := hasFiles(dir, ".tf")
	switch {
	case err != nil:
		res := Result{Status: StatusFailed, Detail: fmt.Sprintf("read %s: %v", dir, err)}
		return "", &res
	case !ok:
		res := Result{Status: StatusSkipped, Detail: "no .tf files in terraform/ (run proxmox-mpc sync to generate the code)"}
		return "", &res
	}
	return dir, nil
}

// toolFailed turns a tool's error and output into a result: skipped when
// ctx was cancelled, failed otherwise.
func toolFailed(ctx context.Context, name string, out []byte, err error) Result {
	if ctx.Err() != nil {
		return skipped(name, "cancelled")
	}
	d := firstLines(string(out))
	if d == "" {
		d = err.Error()
	}
	return Result{Name: name, Status: StatusFailed, Detail: d}
}

func (r *Runner) tofuFmt(ctx context.Context) Result {
	tool, toolName, ok := r.iacTool()
	if !ok {
		return skipped(CheckTofuFmt, noIaCTool)
	}
	dir, res := r.terraformDir()
	if res != nil {
		res.Name = CheckTofuFmt
		return *res
	}
	r.logger().Debug("run check", "check", CheckTofuFmt, "tool", tool, "dir", dir)
	out, err := r.exec(ctx, dir, tool, "fmt", "-check", "-diff", "-recursive", "-no-color")
	if err == nil {
		return Result{Name: CheckTofuFmt, Status: StatusPassed}
	}
	if files := unformatted(string(out)); len(files) > 0 && ctx.Err() == nil {
		return Result{Name: CheckTofuFmt, Status: StatusFailed,
			Detail: fmt.Sprintf("not formatted as `%s fmt` would: %s", toolName, strings.Join(files, ", "))}
	}
	return toolFailed(ctx, CheckTofuFmt, out, err)
}

// unformatted picks the file names out of `fmt -check -diff` output: the
// lines that are not part of a unified diff.
func unformatted(out string) []string {
	var files []string
	for line := range strings.Lines(out) {
		line = strings.TrimRight(line, "\r\n")
		if line == "" || strings.HasPrefix(line, "--- ") || strings.HasPrefix(line, "+++ ") || strings.HasPrefix(line, "@@") ||
			strings.HasPrefix(line, " ") || strings.HasPrefix(line, "+") || strings.HasPrefix(line, "-") || strings.HasPrefix(line, `\`) {
			continue
		}
		if !strings.HasSuffix(line, ".tf") && !strings.HasSuffix(line, ".tfvars") && !strings.HasSuffix(line, ".hcl") {
			// Not a file list (an error message): let the caller show the output.
			return nil
		}
		files = append(files, line)
	}
	return files
}

func (r *Runner) tofuTest(ctx context.Context) Result {
	tool, err := r.lookPath("tofu")
	if err != nil {
		return skipped(CheckTofuTest, noTofu)
	}
	dir, res := r.terraformDir()
	if res != nil {
		res.Name = CheckTofuTest
		return *res
	}
	testDir := filepath.Join(r.Dir, "tests", "terraform")
	ok, err := hasFiles(testDir, ".tftest.hcl")
	switch {
	case err != nil:
		return Result{Name: CheckTofuTest, Status: StatusFailed, Detail: fmt.Sprintf("read %s: %v", testDir, err)}
	case !ok:
		return skipped(CheckTofuTest, "no .tftest.hcl files in tests/terraform (run proxmox-mpc sync to generate them)")
	}

	timeout := r.InitTimeout
	if timeout <= 0 {
		timeout = DefaultInitTimeout
	}
	ictx, cancel := context.WithTimeout(ctx, timeout)
	r.logger().Debug("run check", "check", CheckTofuTest, "step", "init", "tool", tool, "dir", dir)
	out, err := r.exec(ictx, dir, tool, "init", "-backend=false", "-input=false", "-no-color")
	timedOut := ictx.Err() != nil && ctx.Err() == nil
	cancel()
	if err != nil {
		switch {
		case ctx.Err() != nil:
			return skipped(CheckTofuTest, "cancelled")
		case timedOut:
			return skipped(CheckTofuTest, fmt.Sprintf("provider bpg/proxmox not installed: init did not finish within %s", timeout))
		case providerMissing(string(out)):
			return skipped(CheckTofuTest, "provider bpg/proxmox not installed: "+firstError(string(out)))
		}
		res := toolFailed(ctx, CheckTofuTest, out, err)
		res.Detail = "init: " + res.Detail
		return res
	}

	rel, err := filepath.Rel(dir, testDir)
	if err != nil {
		return Result{Name: CheckTofuTest, Status: StatusFailed, Detail: err.Error()}
	}
	r.logger().Debug("run check", "check", CheckTofuTest, "step", "test", "tool", tool, "dir", dir)
	out, err = r.exec(ctx, dir, tool, "test", "-test-directory="+filepath.ToSlash(rel), "-no-color")
	if err != nil {
		return toolFailed(ctx, CheckTofuTest, out, err)
	}
	return Result{Name: CheckTofuTest, Status: StatusPassed, Detail: lastLine(string(out))}
}

// providerMissing reports whether init output says a provider could not
// be downloaded or found (offline, no mirror).
func providerMissing(out string) bool {
	for _, s := range []string{
		"Failed to query available provider packages",
		"Failed to install provider",
		"Failed to resolve provider packages",
		"could not connect to registry",
		"Failed to retrieve available versions",
		"Provider registry error",
	} {
		if strings.Contains(out, s) {
			return true
		}
	}
	return false
}

// firstError is the first "Error: ..." line of tofu's output, without the
// box drawing; the first non-empty line when there is none.
func firstError(out string) string {
	first := ""
	for line := range strings.Lines(out) {
		line = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(line), "│╷╵"))
		if first == "" && line != "" {
			first = line
		}
		if strings.HasPrefix(line, "Error: ") {
			return strings.TrimPrefix(line, "Error: ")
		}
	}
	return first
}

func (r *Runner) ansibleFiles(name string, needPlaybook bool) (dir string, res *Result) {
	dir = filepath.Join(r.Dir, "ansible")
	need := []string{"inventory.yml"}
	if needPlaybook {
		need = append(need, filepath.Join("playbooks", "site.yml"))
	}
	for _, f := range need {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			why := fmt.Sprintf("ansible/%s not found (run proxmox-mpc sync to generate it)", filepath.ToSlash(f))
			if !errors.Is(err, fs.ErrNotExist) {
				why = err.Error()
			}
			s := skipped(name, why)
			return "", &s
		}
	}
	return dir, nil
}

// ansibleProblems are warnings that ansible prints with exit status 0
// although the inventory was not read: a pass would be a silent one.
var ansibleProblems = []string{"Unable to parse", "No inventory was parsed", "Failed to parse"}

func (r *Runner) runAnsible(ctx context.Context, name, tool string, needPlaybook bool, args ...string) Result {
	path, err := r.lookPath(tool)
	if err != nil {
		return skipped(name, tool+" is not on PATH; install Ansible: apt-get install ansible")
	}
	dir, res := r.ansibleFiles(name, needPlaybook)
	if res != nil {
		return *res
	}
	r.logger().Debug("run check", "check", name, "tool", path, "dir", dir)
	out, err := r.exec(ctx, dir, path, args...)
	if err != nil {
		return toolFailed(ctx, name, out, err)
	}
	for _, p := range ansibleProblems {
		if strings.Contains(string(out), p) {
			return Result{Name: name, Status: StatusFailed, Detail: firstLines(string(out))}
		}
	}
	return Result{Name: name, Status: StatusPassed}
}

func (r *Runner) ansibleInventory(ctx context.Context) Result {
	return r.runAnsible(ctx, CheckAnsibleInventory, "ansible-inventory", false, "-i", "inventory.yml", "--graph")
}

func (r *Runner) ansibleSyntax(ctx context.Context) Result {
	return r.runAnsible(ctx, CheckAnsibleSyntax, "ansible-playbook", true,
		"--syntax-check", "-i", "inventory.yml", filepath.Join("playbooks", "site.yml"))
}

// firstLines keeps the first non-empty lines of out, bounded.
func firstLines(out string) string {
	var b strings.Builder
	n := 0
	for line := range strings.Lines(out) {
		line = strings.TrimRight(line, " \t\r\n")
		if strings.TrimSpace(line) == "" {
			continue
		}
		if n == detailLines || b.Len()+len(line) > detailChars {
			b.WriteString("\n…")
			break
		}
		if n > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(line)
		n++
	}
	return b.String()
}

func lastLine(out string) string {
	last := ""
	for line := range strings.Lines(out) {
		if l := strings.TrimSpace(line); l != "" {
			last = l
		}
	}
	return last
}
