package health

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"
)

// toolSpec is an external tool and how it tells its version.
type toolSpec struct {
	Name string
	Args []string
	// Engine: tofu and terraform; one of them is enough.
	Engine bool
	// Workspace: needed to work on a workspace's code.
	Workspace bool
}

// toolSpecs are the tools checked, in report order.
var toolSpecs = []toolSpec{
	{Name: "tofu", Args: []string{"version"}, Engine: true, Workspace: true},
	{Name: "terraform", Args: []string{"version"}, Engine: true, Workspace: true},
	{Name: "ansible-playbook", Args: []string{"--version"}, Workspace: true},
	{Name: "git", Args: []string{"--version"}},
}

// toolFacts is what probing one tool found.
type toolFacts struct {
	Spec     toolSpec
	Path     string // "" when not on PATH
	Version  string
	Err      error // the version run failed
	Duration time.Duration
}

func lookPath(file string) (string, error) { return exec.LookPath(file) }

// execTool runs a tool for its version. Update checks are turned off (the
// terraform family would otherwise call home).
func execTool(ctx context.Context, path string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, path, args...) // #nosec G204 -- fixed tool names found on PATH, fixed arguments
	cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1", "ANSIBLE_NOCOLOR=1")
	cmd.WaitDelay = time.Second
	return cmd.Output()
}

func probeTool(ctx context.Context, d Deps, vc *versionCache, spec toolSpec) toolFacts {
	f := toolFacts{Spec: spec}
	f.Duration = timed(d.Now, func() {
		p, err := d.LookPath(spec.Name)
		if err != nil {
			return
		}
		f.Path = p
		if v, ok := vc.get(p); ok {
			f.Version = v
			return
		}
		ctx, cancel := context.WithTimeout(ctx, d.ToolTimeout)
		defer cancel()
		out, err := d.Exec(ctx, p, spec.Args...)
		if err != nil {
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				err = fmt.Errorf("no answer within %s", d.ToolTimeout)
			}
			f.Err = err
			return
		}
		f.Version = ParseVersion(string(out))
		if f.Version == "" {
			f.Err = fmt.Errorf("no version in its output %q", firstLine(string(out)))
			return
		}
		vc.put(p, f.Version)
	})
	return f
}

// toolChecks judges the tools. A missing tool is a warning only when a
// workspace exists and needs it (tofu or terraform, one is enough;
// ansible-playbook); otherwise it is skipped with the reason.
func toolChecks(tools []toolFacts, haveWorkspace bool) []Check {
	engineFound := ""
	for _, t := range tools {
		if t.Spec.Engine && t.Path != "" && engineFound == "" {
			engineFound = t.Spec.Name
		}
	}
	warnedEngine := false
	out := make([]Check, 0, len(tools))
	for _, t := range tools {
		c := Check{Name: t.Spec.Name, Group: GroupTools, Duration: t.Duration}
		switch {
		case t.Path != "" && t.Err != nil:
			c.Status = Yellow
			c.Detail = fmt.Sprintf("found at %s, but `%s %s` failed: %s", t.Path, t.Spec.Name, strings.Join(t.Spec.Args, " "), oneLine(t.Err.Error()))
			c.Hint = "run `" + t.Spec.Name + " " + strings.Join(t.Spec.Args, " ") + "` yourself to see what is wrong with the installation"
		case t.Path != "":
			c.Status = Green
			c.Detail = t.Version + " (" + t.Path + ")"
		case t.Spec.Engine && engineFound != "":
			c.Status = Skipped
			c.Detail = "not found (not needed: " + engineFound + " is installed)"
		case t.Spec.Engine && haveWorkspace && !warnedEngine:
			warnedEngine = true
			c.Status = Yellow
			c.Detail = "not found, nor terraform: the workspace's code cannot be planned or applied with them"
			c.Hint = "install OpenTofu (https://opentofu.org/docs/intro/install/) or terraform"
		case t.Spec.Workspace && !t.Spec.Engine && haveWorkspace:
			c.Status = Yellow
			c.Detail = "not found: the workspace's Ansible playbooks cannot be run or checked"
			c.Hint = "install Ansible (e.g. `apt install ansible` or `pipx install ansible-core`)"
		default:
			c.Status = Skipped
			c.Detail = "not found (optional)"
		}
		out = append(out, c)
	}
	return out
}

var versionRE = regexp.MustCompile(`\bv?(\d+\.\d+(?:\.\d+)?(?:[-+][0-9A-Za-z.\-]+)?)`)

// ParseVersion finds the version in a tool's version output: "OpenTofu
// v1.8.2" → "1.8.2", "ansible-playbook [core 2.14.3]" → "2.14.3", "git
// version 2.39.2" → "2.39.2". It reads the first line that has one and
// returns "" when none does.
func ParseVersion(out string) string {
	for line := range strings.Lines(out) {
		if m := versionRE.FindStringSubmatch(line); m != nil {
			return m[1]
		}
	}
	return ""
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	if len(line) > 80 {
		line = line[:80] + "…"
	}
	return line
}
