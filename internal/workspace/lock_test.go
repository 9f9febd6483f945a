package workspace

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLock(t *testing.T) {
	t.Parallel()
	w := &Workspace{Root: t.TempDir()}
	ctx := context.Background()
	unlock, err := w.Lock(ctx, "apply", false)
	if err != nil {
		t.Fatal(err)
	}
	// a second flock handle conflicts even in the same process
	_, err = w.Lock(ctx, "sync", false)
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("second Lock err = %v, want *LockedError", err)
	}
	want := fmt.Sprintf("workspace locked by PID %d (%s) since %s (apply)", os.Getpid(), le.User, le.Since)
	if le.Error() != want || le.PID != os.Getpid() || le.User == "" || le.Hint() == "" {
		t.Errorf("err = %q, want %q", le.Error(), want)
	}
	if _, err := time.Parse(time.RFC3339, le.Since); err != nil {
		t.Errorf("since %q: %v", le.Since, err)
	}

	// wait=true acquires once the holder lets go
	got := make(chan error, 1)
	go func() {
		u, err := w.Lock(ctx, "sync", true)
		if err == nil {
			err = u()
		}
		got <- err
	}()
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("waiting Lock: %v", err)
	}
	if _, err := os.Stat(filepath.Join(w.Root, Dir, LockInfoFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock.info left after unlock: %v", err)
	}
	if err := unlock(); err != nil {
		t.Errorf("second unlock: %v", err)
	}
}

func TestLockWaitCancelled(t *testing.T) {
	t.Parallel()
	w := &Workspace{Root: t.TempDir()}
	unlock, err := w.Lock(context.Background(), "apply", false)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = unlock() }()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := w.Lock(ctx, "sync", true); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// TestLockHelperProcess holds the lock in a child process when asked to.
func TestLockHelperProcess(t *testing.T) {
	root := os.Getenv("PMC_LOCK_HELPER_ROOT")
	if root == "" {
		return
	}
	w := &Workspace{Root: root}
	if _, err := w.Lock(context.Background(), "helper", false); err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	fmt.Println("LOCKED")
	// hold the lock until killed or stdin closes
	_, _ = os.Stdin.Read(make([]byte, 1))
	os.Exit(0)
}

func TestLockAcrossProcesses(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHelperProcess$")
	cmd.Env = append(os.Environ(), "PMC_LOCK_HELPER_ROOT="+root)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, _ := stdout.Read(buf)
	if !strings.Contains(string(buf[:n]), "LOCKED") {
		t.Fatalf("helper said %q", buf[:n])
	}
	w := &Workspace{Root: root}
	_, err = w.Lock(context.Background(), "apply", false)
	var le *LockedError
	if !errors.As(err, &le) || le.PID != cmd.Process.Pid || le.Operation != "helper" {
		t.Fatalf("err = %v, want locked by PID %d", err, cmd.Process.Pid)
	}
	// the holder dies without unlocking: the OS releases the lock
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = stdin.Close()
	_ = cmd.Wait()
	unlock, err := w.Lock(context.Background(), "apply", false)
	if err != nil {
		t.Fatalf("Lock after the holder died: %v", err)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
}
