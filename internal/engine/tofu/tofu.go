// Package tofu runs OpenTofu (or Terraform) on the workspace's terraform/
// folder through github.com/hashicorp/terraform-exec: init, plan, apply of
// a saved plan, and destroy, with the `-json` machine-readable UI streamed
// into Events as they are printed.
//
// Credentials reach the binary only through its environment (Engine.Env:
// the PROXMOX_VE_* variables the bpg/proxmox provider reads), never on its
// command line.
//
// Interrupting: when the ctx of a command is cancelled, terraform-exec
// sends the process SIGINT (os.Interrupt), which makes tofu stop
// gracefully — it starts no new resource operations, lets the ones in
// flight finish and writes the state — and kills it only if it has not
// exited InterruptGrace later (terraform-exec's default: 60 s). The
// process runs in its own process group, so a Ctrl-C at the terminal
// reaches it only through that cancellation, once.
package tofu

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/terraform-exec/tfexec"

	"github.com/proxmox-mpc/proxmox-mpc/internal/observe"
)

// Kinds of binaries Find returns.
const (
	KindTofu      = "tofu"
	KindTerraform = "terraform"
)

// providerEnvPrefix marks the variables of the bpg/proxmox provider; the
// engine passes only the ones in Engine.Env, not those it inherits.
const providerEnvPrefix = "PROXMOX_VE_"

// Find looks up the binary to run, preferring OpenTofu to Terraform.
// lookPath is exec.LookPath, or a fake in tests.
func Find(lookPath func(string) (string, error)) (path, kind string, err error) {
	kinds := []string{KindTofu, KindTerraform}
	for _, k := range kinds {
		if p, err := lookPath(k); err == nil && p != "" {
			return p, k, nil
		}
	}
	return "", "", &NotFoundError{Tried: kinds}
}

// Engine runs one binary on one working directory. Its commands must not
// run concurrently (tofu itself would refuse on the state lock).
type Engine struct {
	Binary string // path of tofu or terraform
	Dir    string // the workspace's terraform/ folder
	// Env is laid over the environment the process inherits: the
	// PROXMOX_VE_* credentials, and anything else tofu should see
	// (TF_CLI_CONFIG_FILE, TF_PLUGIN_CACHE_DIR...). Inherited PROXMOX_VE_*
	// variables are dropped, so only the ones given here reach the
	// provider; inherited TF_VAR_*, TF_CLI_ARGS* and TF_LOG* are dropped
	// too (terraform-exec manages or forbids them).
	Env    map[string]string
	Logger *slog.Logger
	// Notice is something the user should know once this engine is used
	// (e.g. TLS verification is off for the provider); the caller prints it.
	Notice string
	// InterruptGrace is how long the binary may take to stop after the
	// interrupt a cancelled ctx sends, before it is killed; 0 keeps
	// terraform-exec's 60 s.
	InterruptGrace time.Duration
}

// Init runs `init -input=false` (with the backend, as the state is local)
// and returns a *ProviderMissingError when a provider cannot be installed.
func (e *Engine) Init(ctx context.Context) error {
	events, err := e.run(ctx, "init", nil, func(tf *tfexec.Terraform, w io.Writer) error {
		return tf.InitJSON(ctx, w)
	})
	var old *tfexec.ErrVersionMismatch
	if errors.As(err, &old) { // before init -json (Terraform and OpenTofu 1.9)
		return e.initText(ctx)
	}
	if err != nil && ctx.Err() == nil {
		if pm := providerMissing(e.kind(), errorDiagnostics(events)); pm != nil {
			return pm
		}
	}
	return err
}

// initText is Init for binaries without `init -json`.
func (e *Engine) initText(ctx context.Context) error {
	tf, err := e.terraform()
	if err != nil {
		return err
	}
	err = tf.Init(ctx)
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%s init interrupted: %w", e.kind(), err)
	}
	if pm := providerMissingText(e.kind(), err.Error()); pm != nil {
		return pm
	}
	return &CommandError{Binary: e.kind(), Command: "init", Err: err}
}

// Plan runs `plan -input=false -detailed-exitcode`, saving the plan to out
// when out is not "" (relative to Dir, or absolute). changes says whether
// the plan has any; events are all the messages it printed.
func (e *Engine) Plan(ctx context.Context, out string) (changes bool, events []Event, err error) {
	events, err = e.run(ctx, "plan", nil, func(tf *tfexec.Terraform, w io.Writer) error {
		var opts []tfexec.PlanOption
		if out != "" {
			opts = append(opts, tfexec.Out(out))
		}
		c, err := tf.PlanJSON(ctx, w, opts...)
		changes = c
		return err
	})
	return changes, events, err
}

// Apply applies exactly the saved plan in planFile (made by Plan; tofu
// refuses it when the state changed since). progress, when not nil, is
// called with every message as tofu prints it, from one goroutine, in
// order.
func (e *Engine) Apply(ctx context.Context, planFile string, progress func(Event)) error {
	if planFile == "" {
		return errors.New("apply needs a saved plan file")
	}
	_, err := e.run(ctx, "apply", progress, func(tf *tfexec.Terraform, w io.Writer) error {
		return tf.ApplyJSON(ctx, w, tfexec.DirOrPlan(planFile))
	})
	return err
}

// Destroy runs `destroy -auto-approve`, of the given resource addresses
// only when targets is not empty. progress is called as for Apply.
func (e *Engine) Destroy(ctx context.Context, targets []string, progress func(Event)) error {
	_, err := e.run(ctx, "destroy", progress, func(tf *tfexec.Terraform, w io.Writer) error {
		opts := make([]tfexec.DestroyOption, 0, len(targets))
		for _, t := range targets {
			opts = append(opts, tfexec.Target(t))
		}
		return tf.DestroyJSON(ctx, w, opts...)
	})
	return err
}

// run runs one command, its -json output piped through ParseUI into
// progress, and returns every event. A failure with error diagnostics is
// a *CommandError.
func (e *Engine) run(ctx context.Context, command string, progress func(Event), call func(*tfexec.Terraform, io.Writer) error) ([]Event, error) {
	tf, err := e.terraform()
	if err != nil {
		return nil, err
	}
	log := e.logger().With(observe.KeyOperation, e.kind()+" "+command)
	log.Debug("run", "dir", e.Dir)

	pr, pw := io.Pipe()
	var events []Event
	parsed := make(chan error, 1)
	go func() {
		err := ParseUI(pr, func(ev Event) {
			events = append(events, ev)
			logEvent(log, ev)
			if progress != nil {
				progress(ev)
			}
		})
		// ParseUI stops early only on a read error: drain, so that tofu's
		// writes never block.
		_, _ = io.Copy(io.Discard, pr)
		parsed <- err
	}()
	runErr := call(tf, pw)
	_ = pw.Close()
	parseErr := <-parsed

	switch {
	case runErr != nil && ctx.Err() != nil:
		return events, fmt.Errorf("%s %s interrupted: %w", e.kind(), command, runErr)
	case runErr != nil:
		return events, &CommandError{Binary: e.kind(), Command: command, Diagnostics: errorDiagnostics(events), Err: runErr}
	case parseErr != nil:
		return events, fmt.Errorf("%s %s: %w", e.kind(), command, parseErr)
	}
	return events, nil
}

// terraform makes the terraform-exec handle for one command (it holds the
// stdout writer, so it is not shared).
func (e *Engine) terraform() (*tfexec.Terraform, error) {
	tf, err := tfexec.NewTerraform(e.Dir, e.Binary)
	if err != nil {
		return nil, fmt.Errorf("run %s in %s: %w", e.kind(), e.Dir, err)
	}
	if err := tf.SetEnv(e.environ()); err != nil {
		return nil, fmt.Errorf("environment for %s: %w", e.kind(), err)
	}
	if e.InterruptGrace > 0 {
		if err := tf.SetWaitDelay(e.InterruptGrace); err != nil {
			return nil, fmt.Errorf("interrupt grace for %s: %w", e.kind(), err)
		}
	}
	tf.SetLogger(printfLogger{e.logger()})
	return tf, nil
}

// environ is the inherited environment less the credentials and the
// variables terraform-exec forbids, with Env laid over it.
func (e *Engine) environ() map[string]string {
	env := make(map[string]string)
	for _, kv := range os.Environ() {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" || strings.HasPrefix(k, providerEnvPrefix) {
			continue
		}
		env[k] = v
	}
	env = tfexec.CleanEnv(env)
	maps.Copy(env, e.Env)
	return env
}

// kind is the binary's name as the user knows it: "tofu" or "terraform".
func (e *Engine) kind() string {
	base := strings.TrimSuffix(filepath.Base(e.Binary), ".exe")
	if strings.HasPrefix(base, KindTerraform) {
		return KindTerraform
	}
	return KindTofu
}

func (e *Engine) logger() *slog.Logger {
	if e.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.Logger
}

// logEvent logs a finished resource at Info and the rest at Debug.
func logEvent(log *slog.Logger, ev Event) {
	switch ev.Type {
	case EventApplyComplete:
		log.Info(ev.Message, "address", ev.Address, "action", ev.Action, observe.KeyDurationMS, ev.Elapsed.Milliseconds())
	case EventApplyErrored:
		log.Warn(ev.Message, "address", ev.Address, "action", ev.Action)
	default:
		log.Debug(ev.Message, "type", ev.Type, "address", ev.Address)
	}
}

// errorDiagnostics returns the error diagnostics among events.
func errorDiagnostics(events []Event) []Event {
	var out []Event
	for _, ev := range events {
		if ev.Type == EventDiagnostic && ev.Severity == SeverityError {
			out = append(out, ev)
		}
	}
	return out
}

// printfLogger gives terraform-exec's Printf logging to slog, at Debug
// (it logs the command lines it runs; they never hold a credential).
type printfLogger struct{ l *slog.Logger }

func (p printfLogger) Printf(format string, v ...any) {
	p.l.Debug(strings.TrimSpace(fmt.Sprintf(format, v...)))
}

// Notes returns the engine's Notice (for callers that hold it behind an
// interface).
func (e *Engine) Notes() string { return e.Notice }
