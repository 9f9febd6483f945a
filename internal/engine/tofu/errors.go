package tofu

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// NotFoundError is returned by Find when neither tofu nor terraform is on
// PATH.
type NotFoundError struct {
	Tried []string // the names looked up, in order
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("no %s on PATH", strings.Join(e.Tried, " or "))
}

// Hint says how to get one, or to do without.
func (e *NotFoundError) Hint() string {
	return "install OpenTofu (https://opentofu.org/docs/intro/install/) or Terraform, or use `--engine native`"
}

// ProviderMissingError is returned by Init when a provider the code
// requires cannot be installed: no network to the registry, no mirror that
// has it, or no such version.
type ProviderMissingError struct {
	Binary    string   // "tofu" or "terraform"
	Providers []string // as tofu names them: "bpg/proxmox"; empty when it did not say
	Summary   string   // tofu's summary: "Failed to query available provider packages"
	Detail    string   // tofu's explanation
}

func (e *ProviderMissingError) Error() string {
	what := "a required provider"
	if len(e.Providers) > 0 {
		what = "provider " + strings.Join(e.Providers, ", ")
	}
	msg := fmt.Sprintf("%s init: %s cannot be installed", e.Binary, what)
	if e.Detail != "" {
		msg += ": " + firstLine(e.Detail)
	}
	return msg
}

// Hint gives the ways to get the provider without this machine reaching
// the registry, and the way around it.
func (e *ProviderMissingError) Hint() string {
	b := e.Binary
	if b == "" {
		b = "tofu"
	}
	return fmt.Sprintf("run `%s init` in terraform/ once with network access, or copy the provider in with "+
		"`%s providers mirror DIR` on a connected machine and a provider_installation { filesystem_mirror { path = \"DIR\" } } "+
		"block in the CLI configuration (TF_CLI_CONFIG_FILE); or use `--engine native`", b, b)
}

// CommandError is a tofu command that failed, with the error diagnostics
// it printed.
type CommandError struct {
	Binary      string  // "tofu" or "terraform"
	Command     string  // "plan", "apply", "destroy", "init"
	Diagnostics []Event // the diagnostics of severity error, in order
	Err         error   // what running it returned
}

func (e *CommandError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", e.Binary, e.Command)
	if len(e.Diagnostics) == 0 {
		fmt.Fprintf(&b, ": %s", firstLine(e.Err.Error()))
		return b.String()
	}
	for i, d := range e.Diagnostics {
		sep := ": "
		if i > 0 {
			sep = "; "
		}
		b.WriteString(sep)
		b.WriteString(d.Message)
		if d.Detail != "" {
			b.WriteString(": " + firstLine(d.Detail))
		}
		switch {
		case d.File != "":
			fmt.Fprintf(&b, " (%s:%d)", d.File, d.Line)
		case d.Address != "":
			fmt.Fprintf(&b, " (%s)", d.Address)
		}
	}
	return b.String()
}

func (e *CommandError) Unwrap() error { return e.Err }

// providerSummaries are the summaries of the init diagnostics that mean a
// provider could not be installed, in OpenTofu 1.6-1.12 and Terraform 1.x.
var providerSummaries = []string{
	"Failed to query available provider packages",
	"Failed to resolve provider packages",
	"Failed to install provider",
	"Failed to install provider from shared cache",
	"Failed to install providers",
	"Invalid provider registry host",
}

// providerInDetail finds the provider a diagnostic's detail names: "for
// provider bpg/proxmox:", "Could not resolve provider bpg/proxmox:",
// "Error while installing bpg/proxmox v0.111.1:".
var providerInDetail = regexp.MustCompile(`(?:provider|installing|importing) ([A-Za-z0-9][A-Za-z0-9._-]*(?:/[A-Za-z0-9._-]+){1,2})`)

// providerMissing builds a ProviderMissingError from init's error
// diagnostics, or returns nil when none of them is about installing a
// provider.
func providerMissing(binary string, diags []Event) *ProviderMissingError {
	var pm *ProviderMissingError
	for _, d := range diags {
		if d.Severity != SeverityError || !slices.Contains(providerSummaries, d.Message) {
			continue
		}
		if pm == nil {
			pm = &ProviderMissingError{Binary: binary, Summary: d.Message, Detail: d.Detail}
		}
		if m := providerInDetail.FindStringSubmatch(d.Detail); m != nil && !slices.Contains(pm.Providers, m[1]) {
			pm.Providers = append(pm.Providers, m[1])
		}
	}
	return pm
}

// providerMissingText is providerMissing for the plain-text output of an
// init run without -json (binaries too old for `init -json`).
func providerMissingText(binary, out string) *ProviderMissingError {
	for _, s := range providerSummaries {
		i := strings.Index(out, "Error: "+s)
		if i < 0 {
			continue
		}
		rest := out[i+len("Error: "+s):]
		if j := strings.Index(rest, "\nError: "); j >= 0 {
			rest = rest[:j]
		}
		// The detail is wrapped at 78 columns: join it back.
		detail := strings.Join(strings.Fields(rest), " ")
		pm := &ProviderMissingError{Binary: binary, Summary: s, Detail: detail}
		if m := providerInDetail.FindStringSubmatch(detail); m != nil {
			pm.Providers = []string{m[1]}
		}
		return pm
	}
	return nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return strings.TrimSpace(s[:i])
	}
	return s
}
