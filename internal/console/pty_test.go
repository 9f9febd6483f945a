//go:build unix

package console

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
)

// expectTimeout is how long a pty test waits for expected output before
// failing; it bounds a hang, it is not a performance assertion.
const expectTimeout = 20 * time.Second

// helperEnv makes the test binary run TestHelperConsole as the child
// process on the pseudo-terminal.
const helperEnv = "PMC_CONSOLE_HELPER"

// TestHelperConsole is not a test: it is the console process that
// TestConsoleOnPTY drives. It runs Run on the process's real terminal
// (the pty) with a fake executor.
func TestHelperConsole(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		return
	}
	exec := func(ctx context.Context, args []string, stdout, _ io.Writer) int {
		if args[0] == "slow" {
			fmt.Fprintln(stdout, "SLOW started")
			<-ctx.Done()
			fmt.Fprintln(stdout, "SLOW cancelled:", ctx.Err())
			return 130
		}
		fmt.Fprintf(stdout, "EXEC%q\n", args)
		return 0
	}
	code := Run(context.Background(), Options{
		IO:       iostreams.System(),
		Exec:     exec,
		Commands: func() []string { return []string{"get", "slow", "sync"} },
		Complete: func(_ context.Context, args []string, _ string) []string {
			return []string{"vms", "web-01", "db-01"}
		},
		HistoryFile: os.Getenv("PMC_CONSOLE_HISTORY"),
		Prompt:      "pmc> ",
		Welcome:     "WELCOME to the test console",
	})
	fmt.Printf("EXIT %d\n", code)
	os.Exit(0)
}

// term is the parent's side of a pseudo-terminal: everything the child
// writes is collected, and expect waits for text after the last match.
type term struct {
	t    testing.TB
	ptmx *os.File
	mu   sync.Mutex
	buf  bytes.Buffer
	pos  int
	more chan struct{}
	done chan struct{}
}

func newTerm(t testing.TB, ptmx *os.File) *term {
	tm := &term{t: t, ptmx: ptmx, more: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(tm.done)
		b := make([]byte, 4096)
		for {
			n, err := ptmx.Read(b)
			if n > 0 {
				tm.mu.Lock()
				tm.buf.Write(b[:n])
				tm.mu.Unlock()
				select {
				case tm.more <- struct{}{}:
				default:
				}
			}
			if err != nil {
				return
			}
		}
	}()
	return tm
}

func (tm *term) expect(s string) {
	tm.t.Helper()
	timer := time.NewTimer(expectTimeout)
	defer timer.Stop()
	for {
		tm.mu.Lock()
		rest := tm.buf.String()[tm.pos:]
		if i := strings.Index(rest, s); i >= 0 {
			tm.pos += i + len(s)
			tm.mu.Unlock()
			return
		}
		tm.mu.Unlock()
		select {
		case <-tm.more:
		case <-tm.done:
			tm.mu.Lock()
			rest := tm.buf.String()[tm.pos:]
			tm.mu.Unlock()
			if !strings.Contains(rest, s) {
				tm.t.Fatalf("terminal closed before %q appeared; after the last match it showed:\n%q", s, rest)
			}
		case <-timer.C:
			tm.mu.Lock()
			rest := tm.buf.String()[tm.pos:]
			tm.mu.Unlock()
			tm.t.Fatalf("waited %s for %q; after the last match the terminal showed:\n%q", expectTimeout, s, rest)
		}
	}
}

func (tm *term) send(s string) {
	tm.t.Helper()
	if _, err := tm.ptmx.WriteString(s); err != nil {
		tm.t.Fatalf("type %q: %v", s, err)
	}
}

func TestConsoleOnPTY(t *testing.T) {
	t.Parallel()
	histFile := filepath.Join(t.TempDir(), "ws", ".proxmox-mpc", "history")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperConsole$")
	cmd.Env = append(os.Environ(), helperEnv+"=1", "PMC_CONSOLE_HISTORY="+histFile, "TERM=xterm", "NO_COLOR=1", "GORACE=atexit_sleep_ms=0")
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 120})
	if err != nil {
		t.Fatalf("start the console on a pty: %v", err)
	}
	tm := newTerm(t, ptmx)
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		_ = ptmx.Close()
		<-tm.done
	})

	tm.expect("WELCOME to the test console")
	tm.expect("pmc> ")

	// a command and Enter reach the executor with the line's words
	tm.send("get vms -o json\r")
	tm.expect(`EXEC["get" "vms" "-o" "json"]`)
	tm.expect("pmc> ")

	// Ctrl-C while a command runs cancels that command only
	tm.send("slow\r")
	tm.expect("SLOW started")
	tm.send("\x03")
	tm.expect("SLOW cancelled: context canceled")
	tm.expect("pmc> ")

	// Ctrl-C while typing clears the line
	tm.send("abc\x03")
	tm.expect("pmc> ")
	tm.send("sync\r")
	tm.expect(`EXEC["sync"]`)
	tm.expect("pmc> ")

	// Tab completes the command name and then an argument
	tm.send("ge\td\t\r")
	tm.expect(`EXEC["get" "db-01"]`)
	tm.expect("pmc> ")

	// Ctrl-D on an empty line leaves with 0
	tm.send("\x04")
	tm.expect("EXIT 0")
	if err := cmd.Wait(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("wait for the console: %v", err)
		}
		t.Errorf("console process: %v", err)
	}

	st, err := os.Stat(histFile)
	if err != nil {
		t.Fatalf("history file: %v", err)
	}
	if mode := st.Mode().Perm(); mode != 0o600 {
		t.Errorf("history file mode = %o, want 600", mode)
	}
	dirSt, err := os.Stat(filepath.Dir(histFile))
	if err != nil {
		t.Fatal(err)
	}
	if mode := dirSt.Mode().Perm(); mode != 0o700 {
		t.Errorf("history folder mode = %o, want 700", mode)
	}
	b, err := os.ReadFile(histFile)
	if err != nil {
		t.Fatal(err)
	}
	want := "get vms -o json\nslow\nsync\nget db-01\n"
	if string(b) != want {
		t.Errorf("history file = %q, want %q", b, want)
	}
}
