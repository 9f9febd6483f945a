package app

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
)

// screen collects what the pseudo-terminal shows.
type screen struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// waitFor polls the screen until it shows want after position from, or fails.
func (s *screen) waitFor(t *testing.T, from int, want string) int {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		out := s.String()
		if i := strings.Index(out[min(from, len(out)):], want); i >= 0 {
			return from + i + len(want)
		}
		if time.Now().After(deadline) {
			tail := out[min(from, len(out)):]
			if len(tail) > 2000 {
				tail = "…" + tail[len(tail)-2000:]
			}
			t.Fatalf("the console never showed %q; screen:\n%s", want, tail)
		}
		<-tick.C
	}
}

// TestConsoleThroughPTY drives the real binary on a pseudo-terminal the way
// a person would: /init a workspace against the simulator, /sync, /status,
// create a VM, start it, list it, /exit.
func TestConsoleThroughPTY(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	srv, fp := simTLS(t, pvesim.Options{TaskDuration: 20 * time.Millisecond})

	dir, home := t.TempDir(), t.TempDir()
	cmd := exec.Command(bin)
	cmd.Dir = dir
	cmd.Env = []string{"HOME=" + home, "TERM=xterm", "NO_COLOR=1", "PROXMOX_VE_API_TOKEN=" + pvesim.DefaultToken, "PATH=" + os.Getenv("PATH")}
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 50, Cols: 160})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tty.Close() }()
	var scr screen
	go func() { _, _ = io.Copy(&scr, tty) }()
	typeLine := func(s string) { _, _ = tty.Write([]byte(s + "\r")) }

	pos := scr.waitFor(t, 0, "no workspace here: /init creates one")
	pos = scr.waitFor(t, pos, "proxmox-mpc> ")
	typeLine("/init --endpoint " + srv.URL + " --fingerprint " + fp + " --token-env PROXMOX_VE_API_TOKEN --yes")
	pos = scr.waitFor(t, pos, "Initialized workspace")
	pos = scr.waitFor(t, pos, "Next: run `proxmox-mpc sync`")
	typeLine("/sync")
	pos = scr.waitFor(t, pos, "Synced: +17 new, ~0 changed, -0 removed")
	typeLine("/status")
	pos = scr.waitFor(t, pos, "reachable, PVE 9.1")
	pos = scr.waitFor(t, pos, "Changes    none on the server since the last sync")
	typeLine("create vm --name pty-01 --memory 1G --disk 4G --cores 1 --live")
	pos = scr.waitFor(t, pos, "pty-01")
	typeLine("start vm pty-01")
	pos = scr.waitFor(t, pos, "start vm/")
	pos = scr.waitFor(t, pos, "OK")
	typeLine("get vms -l name=pty-01")
	pos = scr.waitFor(t, pos, "pty-01")
	pos = scr.waitFor(t, pos, "running")
	typeLine("/exit")
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("console exited with %v; screen:\n%s", err, scr.String()[pos:])
		}
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("console did not exit after /exit; screen:\n%s", scr.String()[pos:])
	}
	// started outside any workspace, the history is the user's
	if _, err := os.Stat(home + "/.config/proxmox-mpc/history"); err != nil {
		t.Errorf("no console history: %v", err)
	}
	if _, err := os.Stat(dir + "/.proxmox-mpc/state.db"); err != nil {
		t.Errorf("no state in the new workspace: %v", err)
	}
}

// BenchmarkConsolePrompt10k: start of the console binary on a
// pseudo-terminal in a workspace holding 10,000 synced guests, until the
// prompt shows (target < 150 ms), and one Tab completion of a guest name
// (target < 20 ms).
func BenchmarkConsolePrompt10k(b *testing.B) {
	bin := buildBinary(b)
	srv, fp := largeSim(b, 10000)
	dir := b.TempDir()
	if err := os.Mkdir(dir+"/.proxmox-mpc", 0o700); err != nil {
		b.Fatal(err)
	}
	env := []string{"HOME=" + b.TempDir(), "TERM=xterm", "NO_COLOR=1", "PROXMOX_VE_ENDPOINT=" + srv.URL, "PROXMOX_VE_API_TOKEN=" + pvesim.DefaultToken, "PATH=" + os.Getenv("PATH")}
	sync := exec.Command(bin, "sync", "--fingerprint", fp)
	sync.Dir, sync.Env = dir, env
	if out, err := sync.CombinedOutput(); err != nil {
		b.Fatalf("sync: %v\n%s", err, out)
	}
	var cold, warm time.Duration
	b.ResetTimer()
	for b.Loop() {
		cmd := exec.Command(bin)
		cmd.Dir, cmd.Env = dir, env
		tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 50, Cols: 160})
		if err != nil {
			b.Fatal(err)
		}
		var scr screen
		go func() { _, _ = io.Copy(&scr, tty) }()
		waitScreen(b, &scr, 0, "]> ")
		b.StopTimer()
		pos := len(scr.String())
		t0 := time.Now()
		_, _ = tty.Write([]byte("describe vm app-0010\t\t"))
		waitScreen(b, &scr, pos, "app-00100")
		cold += time.Since(t0)
		_, _ = tty.Write([]byte("\x15"))
		time.Sleep(50 * time.Millisecond) // let the line clear before the next measure
		pos = len(scr.String())
		t1 := time.Now()
		_, _ = tty.Write([]byte("describe vm app-0020\t\t"))
		waitScreen(b, &scr, pos, "app-00200")
		warm += time.Since(t1)
		_, _ = tty.Write([]byte("\x15/exit\r"))
		_ = cmd.Wait()
		_ = tty.Close()
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(cold.Microseconds())/1000/float64(b.N), "ms-first-completion")
	b.ReportMetric(float64(warm.Microseconds())/1000/float64(b.N), "ms-completion")
}

func waitScreen(tb testing.TB, s *screen, from int, want string) {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(s.String()[min(from, len(s.String())):], want) {
		if time.Now().After(deadline) {
			tb.Fatalf("never showed %q", want)
		}
		time.Sleep(time.Millisecond)
	}
}
