package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
)

// Known secrets the simulator accepts; none may appear in any file of the
// workspace, the user's config, or any output.
const (
	e2eTokenSecret = "5c0ffee0-d00d-4bad-b0a7-13a5ec2e7e57"
	e2eToken       = "root@pam!e2e=" + e2eTokenSecret
	e2ePassword    = "Corr3ct-Horse-Battery-Staple"
)

var (
	// a PVE ticket as the simulator (and PVE) issues it: PVE:user@realm:HEXTIME::SIGNATURE
	ticketPattern = regexp.MustCompile(`PVE:[^:\s"]+:[0-9A-F]{8}::[A-Za-z0-9+/=]+`)
	// a CSRFPreventionToken: HEXTIME:SIGNATURE (base64 of an HMAC-SHA256, unpadded)
	csrfPattern      = regexp.MustCompile(`\b[0-9A-F]{8}:[A-Za-z0-9+/]{43}\b`)
	correlationLine  = regexp.MustCompile(`(?m)^correlation id: ([0-9a-f]+) \(proxmox-mpc logs --correlation ([0-9a-f]+)\)\s*$`)
	errLineCorrelate = regexp.MustCompile(`"correlation_id":"[0-9a-f]+"`)
)

// TestSecretsNeverLeak runs a workspace flow against the simulator with
// --debug, with an API token and with a ticket login (whose POSTs carry a
// CSRF token), and then greps every file of the workspace and of the
// user's config dir, and everything printed, for the secrets.
func TestSecretsNeverLeak(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	bin := buildBinary(t)
	sim, err := pvesim.New(pvesim.Options{TaskDuration: -1, Tokens: []string{e2eToken}, Users: map[string]string{"root@pam": e2ePassword}})
	if err != nil {
		t.Fatal(err)
	}
	srv, fp := serveTLS(t, sim)

	dir, home, outside := t.TempDir(), t.TempDir(), t.TempDir()
	var printed bytes.Buffer
	tokenEnv := []string{"PROXMOX_VE_API_TOKEN=" + e2eToken}
	ticketEnv := []string{"PROXMOX_VE_USERNAME=root@pam", "PROXMOX_VE_PASSWORD=" + e2ePassword}
	run := func(in string, env []string, wantOK bool, args ...string) (stdout, stderr string) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir = in
		cmd.Env = append([]string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "NO_COLOR=1", "PATH=" + os.Getenv("PATH")}, env...)
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		printed.WriteString(o.String() + e.String())
		if (err == nil) != wantOK {
			t.Fatalf("proxmox-mpc %s: err %v, want ok=%v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, wantOK, o.String(), e.String())
		}
		return o.String(), e.String()
	}

	run(dir, tokenEnv, true, "init", "--endpoint", srv.URL, "--fingerprint", fp, "--yes", "--debug")
	_, stderr := run(dir, tokenEnv, true, "sync", "--debug")
	if !strings.Contains(stderr, "pve api call") {
		t.Errorf("--debug shows no API calls on stderr:\n%s", stderr)
	}
	// ticket login, a read and a write (the POST carries the CSRF token)
	run(dir, ticketEnv, true, "get", "vms", "--debug")
	run(dir, ticketEnv, true, "start", "vm", fmt.Sprint(sim.Fixtures().StoppedVMID), "--debug")
	// outside a workspace: stderr only
	run(outside, ticketEnv, true, "--endpoint", srv.URL, "--fingerprint", fp, "get", "nodes", "--debug")

	// an error names its correlation id, and logs finds that command's records
	_, stderr = run(dir, tokenEnv, false, "describe", "vm", "no-such-guest", "--debug")
	m := correlationLine.FindStringSubmatch(stderr)
	if m == nil || m[1] != m[2] {
		t.Fatalf("the error's last line names no correlation id:\n%s", stderr)
	}
	if lines := strings.Split(strings.TrimSpace(stderr), "\n"); !correlationLine.MatchString(lines[len(lines)-1]) {
		t.Errorf("the correlation id is not the last line:\n%s", stderr)
	}
	out, _ := run(dir, tokenEnv, true, "logs", "--correlation", m[1], "-o", "json")
	var recs []map[string]any
	if err := json.Unmarshal([]byte(out), &recs); err != nil || len(recs) == 0 {
		t.Errorf("logs --correlation %s: %v\n%s", m[1], err, out)
	}
	out, _ = run(dir, tokenEnv, true, "logs", "--grep", "/access/ticket", "-o", "json")
	if !strings.Contains(out, "/access/ticket") {
		t.Errorf("the ticket login is not in the workspace logs:\n%s", out)
	}

	// the workspace log has every API call, each with a correlation id
	logs, err := filepath.Glob(filepath.Join(dir, ".proxmox-mpc", "logs", "*.log"))
	if err != nil || len(logs) == 0 {
		t.Fatalf("no log files in the workspace: %v", err)
	}
	var logText strings.Builder
	for _, p := range logs {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		logText.Write(data)
	}
	for _, line := range strings.Split(strings.TrimSpace(logText.String()), "\n") {
		if strings.Contains(line, `"msg":"pve api call"`) && !errLineCorrelate.MatchString(line) {
			t.Errorf("an API call logged without a correlation id: %s", line)
		}
	}

	// the secrets: nowhere
	check := func(where, text string) {
		t.Helper()
		for name, secret := range map[string]string{"token secret": e2eTokenSecret, "password": e2ePassword} {
			if strings.Contains(text, secret) {
				t.Errorf("%s: the %s leaked", where, name)
			}
		}
		if m := ticketPattern.FindString(text); m != "" {
			t.Errorf("%s: a ticket leaked: %.40s…", where, m)
		}
		if m := csrfPattern.FindString(text); m != "" {
			t.Errorf("%s: a CSRF token leaked: %.14s…", where, m)
		}
	}
	check("stdout/stderr", printed.String())
	for _, root := range []string{dir, home, outside} {
		err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			check(p, string(data))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
