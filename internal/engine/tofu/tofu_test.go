package tofu

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeScript stands in for tofu: it answers terraform-exec's `version
// -json`, writes its arguments and environment to $FAKE_LOG/args and
// $FAKE_LOG/env, then prints $FAKE_OUT and exits $FAKE_RC — or, with
// FAKE_HANG set, prints one message and waits for SIGINT, noting it got
// one in $FAKE_LOG/interrupted.
const fakeScript = `#!/bin/sh
if [ "$1" = version ]; then
	echo '{"terraform_version":"1.12.6","platform":"linux_amd64","provider_selections":{}}'
	exit 0
fi
printf '%s\n' "$@" > "$FAKE_LOG/args"
env > "$FAKE_LOG/env"
if [ -n "$FAKE_HANG" ]; then
	sleep 60 >/dev/null 2>&1 &
	pid=$!
	trap 'kill $pid; echo yes > "$FAKE_LOG/interrupted"; exit 130' INT
	echo '{"@message":"a.b: Creating...","type":"apply_start","hook":{"resource":{"addr":"a.b"},"action":"create"}}'
	wait $pid
	exit 1
fi
cat "$FAKE_OUT"
exit "${FAKE_RC:-0}"
`

// fake is an Engine on the fake binary, and the folder it logs to.
func fake(t *testing.T, recording string, rc string) (*Engine, string) {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "tofu")
	if err := os.WriteFile(bin, []byte(fakeScript), 0o755); err != nil {
		t.Fatal(err)
	}
	logDir := filepath.Join(dir, "log")
	if err := os.Mkdir(logDir, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := filepath.Abs(filepath.Join("testdata", "ui", recording+".jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	return &Engine{
		Binary: bin,
		Dir:    dir,
		Env:    map[string]string{"FAKE_LOG": logDir, "FAKE_OUT": out, "FAKE_RC": rc},
	}, logDir
}

func readLog(t *testing.T, logDir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(logDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCredentialsOnlyInEnv: the credentials given reach the process in its
// environment and nowhere on its command line; inherited ones do not.
func TestCredentialsOnlyInEnv(t *testing.T) {
	t.Setenv("PROXMOX_VE_API_TOKEN", "inherited@pam!old=stale-secret")
	t.Setenv("PROXMOX_VE_INSECURE", "true")
	t.Setenv("TF_LOG", "TRACE") // terraform-exec manages it: dropped, not an error
	e, logDir := fake(t, "plan", "2")
	const token = "root@pam!mpc=0b8c5b5e-SECRET"
	e.Env["PROXMOX_VE_API_TOKEN"] = token
	e.Env["PROXMOX_VE_ENDPOINT"] = "https://127.0.0.1:8006"

	changes, events, err := e.Plan(t.Context(), "create.tfplan")
	if err != nil {
		t.Fatal(err)
	}
	if !changes {
		t.Error("Plan: no changes, want changes (exit code 2)")
	}
	if diff := cmp.Diff(recorded(t, "plan"), events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}

	args := strings.Split(strings.TrimSpace(readLog(t, logDir, "args")), "\n")
	for _, want := range []string{"plan", "-input=false", "-detailed-exitcode", "-out=create.tfplan", "-json"} {
		if !slices.Contains(args, want) {
			t.Errorf("args %q lack %q", args, want)
		}
	}
	if strings.Contains(strings.Join(args, " "), "SECRET") {
		t.Errorf("the token is on the command line: %q", args)
	}
	env := strings.Split(readLog(t, logDir, "env"), "\n")
	for _, want := range []string{"PROXMOX_VE_API_TOKEN=" + token, "PROXMOX_VE_ENDPOINT=https://127.0.0.1:8006"} {
		if !slices.Contains(env, want) {
			t.Errorf("environment lacks %s", want)
		}
	}
	for _, kv := range env {
		if strings.Contains(kv, "stale-secret") || kv == "PROXMOX_VE_INSECURE=true" || kv == "TF_LOG=TRACE" {
			t.Errorf("inherited %s reached the process", kv)
		}
	}
}

func TestApplyStreamsEvents(t *testing.T) {
	t.Parallel()
	e, logDir := fake(t, "apply", "0")
	var got []Event
	if err := e.Apply(t.Context(), "create.tfplan", func(ev Event) { got = append(got, ev) }); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(recorded(t, "apply"), got); diff != "" {
		t.Errorf("progress events (-want +got):\n%s", diff)
	}
	args := strings.Split(strings.TrimSpace(readLog(t, logDir, "args")), "\n")
	if args[0] != "apply" || args[len(args)-1] != "create.tfplan" || !slices.Contains(args, "-auto-approve") {
		t.Errorf("args = %q, want apply ... create.tfplan", args)
	}
}

func TestApplyNeedsPlanFile(t *testing.T) {
	t.Parallel()
	e, _ := fake(t, "apply", "0")
	if err := e.Apply(t.Context(), "", nil); err == nil {
		t.Error("Apply without a plan file succeeded")
	}
}

func TestCommandErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		recording string
		run       func(context.Context, *Engine) error
		diags     []string // error diagnostics' Message
		inError   []string
	}{
		{
			name:      "apply",
			recording: "apply-error",
			run:       func(ctx context.Context, e *Engine) error { return e.Apply(ctx, "x.tfplan", nil) },
			diags:     []string{"Resource postcondition failed", "local-exec provisioner error"},
			inError:   []string{"tofu apply: ", "local-exec provisioner error: Error running command", "(main.tf:20)", "the output is never right (main.tf:11)"},
		},
		{
			name:      "plan",
			recording: "plan-error",
			run: func(ctx context.Context, e *Engine) error {
				_, _, err := e.Plan(ctx, "")
				return err
			},
			diags:   []string{"Resource precondition failed"},
			inError: []string{"tofu plan: Resource precondition failed: cores must be positive (main.tf:11)"},
		},
		{
			name:      "destroy without diagnostics",
			recording: "init",
			run:       func(ctx context.Context, e *Engine) error { return e.Destroy(ctx, nil, nil) },
			inError:   []string{"tofu destroy: exit status 1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, _ := fake(t, tt.recording, "1")
			err := tt.run(t.Context(), e)
			var ce *CommandError
			if !errors.As(err, &ce) {
				t.Fatalf("error = %v (%T), want a *CommandError", err, err)
			}
			var got []string
			for _, d := range ce.Diagnostics {
				got = append(got, d.Message)
			}
			if diff := cmp.Diff(tt.diags, got); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
			for _, want := range tt.inError {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
		})
	}
}

func TestDestroyTargets(t *testing.T) {
	t.Parallel()
	e, logDir := fake(t, "destroy", "0")
	var n int
	if err := e.Destroy(t.Context(), []string{"terraform_data.db", "terraform_data.web[0]"}, func(Event) { n++ }); err != nil {
		t.Fatal(err)
	}
	args := strings.Split(strings.TrimSpace(readLog(t, logDir, "args")), "\n")
	for _, want := range []string{"destroy", "-auto-approve", "-target=terraform_data.db", "-target=terraform_data.web[0]"} {
		if !slices.Contains(args, want) {
			t.Errorf("args %q lack %q", args, want)
		}
	}
	if n != len(recorded(t, "destroy")) {
		t.Errorf("progress called %d times, want once per message", n)
	}
}

func TestInitProviderMissingRecorded(t *testing.T) {
	t.Parallel()
	e, _ := fake(t, "init-provider-missing", "1")
	err := e.Init(t.Context())
	var pm *ProviderMissingError
	if !errors.As(err, &pm) {
		t.Fatalf("Init = %v (%T), want a *ProviderMissingError", err, err)
	}
	if diff := cmp.Diff([]string{"bpg/proxmox"}, pm.Providers); diff != "" {
		t.Errorf("providers (-want +got):\n%s", diff)
	}
	if !strings.Contains(pm.Hint(), "providers mirror") {
		t.Errorf("hint %q does not say how to mirror the provider", pm.Hint())
	}
}

// TestInterrupt: cancelling the ctx interrupts the process (SIGINT, which
// it handles) rather than killing it.
func TestInterrupt(t *testing.T) {
	t.Parallel()
	e, logDir := fake(t, "apply", "0")
	e.Env["FAKE_HANG"] = "1"
	e.InterruptGrace = time.Minute // a kill would come too late for the test's deadline
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var got []Event
	err := e.Apply(ctx, "x.tfplan", func(ev Event) {
		got = append(got, ev)
		cancel()
	})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "tofu apply interrupted") {
		t.Errorf("Apply = %v, want an interruption that is context.Canceled", err)
	}
	if len(got) != 1 || got[0].Type != EventApplyStart {
		t.Errorf("events = %+v, want the one apply_start", got)
	}
	if s := readLog(t, logDir, "interrupted"); strings.TrimSpace(s) != "yes" {
		t.Errorf("the process was not interrupted: %q", s)
	}
}

func TestFind(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		on       []string
		wantPath string
		wantKind string
	}{
		{"both: tofu first", []string{"tofu", "terraform"}, "/bin/tofu", KindTofu},
		{"only terraform", []string{"terraform"}, "/bin/terraform", KindTerraform},
		{"only tofu", []string{"tofu"}, "/bin/tofu", KindTofu},
		{"none", nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			look := func(name string) (string, error) {
				if slices.Contains(tt.on, name) {
					return "/bin/" + name, nil
				}
				return "", errors.New("not found")
			}
			path, kind, err := Find(look)
			if path != tt.wantPath || kind != tt.wantKind {
				t.Errorf("Find = %q, %q; want %q, %q", path, kind, tt.wantPath, tt.wantKind)
			}
			var nf *NotFoundError
			if (tt.wantPath == "") != errors.As(err, &nf) {
				t.Errorf("Find error = %v", err)
			}
			if nf != nil && nf.Hint() == "" {
				t.Error("NotFoundError without a hint")
			}
		})
	}
}

func TestKind(t *testing.T) {
	t.Parallel()
	for bin, want := range map[string]string{
		"/usr/bin/tofu": KindTofu, "/usr/local/bin/terraform": KindTerraform,
		"terraform-1.9": KindTerraform, "/opt/x/tofu-1.12.6": KindTofu,
	} {
		if got := (&Engine{Binary: bin}).kind(); got != want {
			t.Errorf("kind of %s = %s, want %s", bin, got, want)
		}
	}
}

// TestProviderMissingClassify covers the diagnostics of OpenTofu and
// Terraform, as JSON and as the text of binaries without `init -json`.
func TestProviderMissingClassify(t *testing.T) {
	t.Parallel()
	diag := func(summary, detail string) []Event {
		return []Event{{Type: EventDiagnostic, Severity: SeverityError, Message: summary, Detail: detail}}
	}
	tests := []struct {
		name      string
		json      []Event
		text      string
		providers []string // nil with want false
		want      bool
	}{
		{
			name:      "offline: the registry does not resolve",
			json:      diag("Failed to resolve provider packages", `Could not resolve provider bpg/proxmox: could not connect to registry.opentofu.org: failed to request discovery document: Get "https://registry.opentofu.org/.well-known/terraform.json": dial tcp: lookup registry.opentofu.org: no such host`),
			providers: []string{"bpg/proxmox"}, want: true,
		},
		{
			name:      "install failed",
			json:      diag("Failed to install provider", "Error while installing bpg/proxmox v0.111.1: checksum mismatch"),
			providers: []string{"bpg/proxmox"}, want: true,
		},
		{
			name: "two providers",
			json: append(diag("Failed to query available provider packages", "Could not retrieve the list of available versions for provider bpg/proxmox: x"),
				diag("Failed to query available provider packages", "Could not retrieve the list of available versions for provider hashicorp/null: y")...),
			providers: []string{"bpg/proxmox", "hashicorp/null"}, want: true,
		},
		{
			name: "a warning is not a failure",
			json: []Event{{Type: EventDiagnostic, Severity: SeverityWarning, Message: "Failed to install provider"}},
		},
		{
			name: "another error",
			json: diag("Unsupported block type", "Blocks of type \"resourc\" are not expected here."),
		},
		{
			name:      "terraform text",
			text:      "exit status 1\n\nError: Failed to query available provider packages\n\nCould not retrieve the list of available versions for provider\nbpg/proxmox: could not connect to registry.terraform.io: Failed to request\ndiscovery document\n",
			providers: []string{"bpg/proxmox"}, want: true,
		},
		{
			name: "text of another error",
			text: "exit status 1\n\nError: Unsupported block type\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var pm *ProviderMissingError
			if tt.text != "" {
				pm = providerMissingText("tofu", tt.text)
			} else {
				pm = providerMissing("tofu", tt.json)
			}
			if (pm != nil) != tt.want {
				t.Fatalf("classified %v, want %v", pm, tt.want)
			}
			if pm == nil {
				return
			}
			if diff := cmp.Diff(tt.providers, pm.Providers); diff != "" {
				t.Errorf("providers (-want +got):\n%s", diff)
			}
			if !strings.Contains(pm.Error(), "provider "+strings.Join(tt.providers, ", ")+" cannot be installed") {
				t.Errorf("error %q does not name the provider", pm)
			}
		})
	}
}
