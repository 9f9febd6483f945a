//go:build unix

package console

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/creack/pty"

	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
)

// BenchmarkPromptReady measures the time from Run's start to the prompt
// on the terminal (target: under 150 ms), with a full history file.
func BenchmarkPromptReady(b *testing.B) {
	histFile := filepath.Join(b.TempDir(), "history")
	var hist strings.Builder
	for i := range historyLimit {
		fmt.Fprintf(&hist, "get vms --node pve%d -l tag=web\n", i%7)
	}
	if err := os.WriteFile(histFile, []byte(hist.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	exec := func(context.Context, []string, io.Writer, io.Writer) int { return 0 }
	b.StopTimer()
	for range b.N {
		ptmx, tty, err := pty.Open()
		if err != nil {
			b.Fatal(err)
		}
		if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 120}); err != nil {
			b.Fatal(err)
		}
		tm := newTerm(b, ptmx)
		ios, _, _, _ := iostreams.Test()
		ios.In, ios.Out, ios.ErrOut = tty, tty, tty
		ios.SetStdinTTY(true)
		ios.SetStdoutTTY(true)
		done := make(chan int, 1)
		b.StartTimer()
		go func() {
			done <- Run(b.Context(), Options{
				IO: ios, Exec: exec, HistoryFile: histFile, Prompt: "pmc> ",
				Commands: func() []string { return []string{"get"} },
			})
		}()
		tm.expect("pmc> ")
		b.StopTimer()
		tm.send("\x04")
		if code := <-done; code != 0 {
			b.Fatalf("console exit code %d", code)
		}
		_ = tty.Close()
		_ = ptmx.Close()
		<-tm.done
	}
}

// BenchmarkComplete10k measures one Tab press completing a guest name from
// a 10,000-name list (target: under 20 ms).
func BenchmarkComplete10k(b *testing.B) {
	names := make([]string, 10_000)
	for i := range names {
		names[i] = fmt.Sprintf("guest-%05d", i)
	}
	s := newSession(Options{
		IO:       &iostreams.IOStreams{},
		Commands: func() []string { return []string{"get", "start", "stop"} },
		Complete: func(context.Context, []string, string) []string { return names },
	})
	c := &completer{s: s, ctx: b.Context()}
	line := []rune("start vm guest-0999")
	for b.Loop() {
		got, n := c.Do(line, len(line))
		if len(got) != 10 || n != len("guest-0999") {
			b.Fatalf("Do = %d candidates, length %d", len(got), n)
		}
	}
}

func TestInteractiveStopsWhenContextEnds(t *testing.T) {
	t.Parallel()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 120}); err != nil {
		t.Fatal(err)
	}
	tm := newTerm(t, ptmx)
	ios, _, _, _ := iostreams.Test()
	ios.In, ios.Out, ios.ErrOut = tty, tty, tty
	ios.SetStdinTTY(true)
	ios.SetStdoutTTY(true)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		exec := func(context.Context, []string, io.Writer, io.Writer) int { return 0 }
		done <- Run(ctx, Options{IO: ios, Exec: exec, Prompt: "pmc> ", Welcome: "hello"})
	}()
	tm.expect("hello")
	tm.expect("pmc> ")
	cancel() // as SIGTERM: the console leaves while waiting for a line
	if code := <-done; code != exitInterrupted {
		t.Errorf("exit code = %d, want %d", code, exitInterrupted)
	}
	// readline's stdin reader stays blocked in read(2) on the terminal
	// (no way to interrupt it); one more byte lets it finish so the
	// terminal can close
	tm.send("\r")
	_ = tty.Close()
	_ = ptmx.Close()
	<-tm.done
}
