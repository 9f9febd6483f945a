package console

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// historyLimit is how many lines the history keeps (readline's file too).
const historyLimit = 1000

// history is the console's list of typed lines: those of the history file
// at start, then this session's. /history prints it.
type history struct {
	mu    sync.Mutex
	lines []string
}

// loadHistory reads path (one entry per line, readline's format); a
// missing file is an empty history.
func loadHistory(path string) (*history, error) {
	h := &history{}
	if path == "" {
		return h, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return h, nil
	}
	if err != nil {
		return h, fmt.Errorf("read history %s: %w", path, err)
	}
	defer func() { _ = f.Close() }() // read only
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), maxLineBytes)
	for sc.Scan() {
		h.add(sc.Text())
	}
	if err := sc.Err(); err != nil {
		return h, fmt.Errorf("read history %s: %w", path, err)
	}
	return h, nil
}

// add appends a non-blank line, dropping the oldest beyond historyLimit.
func (h *history) add(line string) {
	line = strings.TrimSpace(line)
	if line == "" {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lines = append(h.lines, line)
	if over := len(h.lines) - historyLimit; over > 0 {
		h.lines = append(h.lines[:0:0], h.lines[over:]...)
	}
}

// print writes the history numbered from 1, oldest first.
func (h *history) print(w io.Writer) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, l := range h.lines {
		fmt.Fprintf(w, "%5d  %s\n", i+1, l)
	}
}

// ensureHistoryFile creates the history file's folder (0700) and the file
// (0600) so readline, which creates files 0666 less umask, appends to a
// private file.
func ensureHistoryFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create history folder: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("create history file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("create history file: %w", err)
	}
	return nil
}
