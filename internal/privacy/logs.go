package privacy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

// LogsDir is the workspace's log folder inside .proxmox-mpc.
const LogsDir = "logs"

// MaxLogLines bounds the log lines RecentLogs returns (the newest win).
const MaxLogLines = 5000

// RecentLogs reads the workspace's JSON-lines log files
// (.proxmox-mpc/logs/*.log*, oldest file first) and returns the lines
// whose "time" is at or after since (lines without a readable time are
// kept), at most MaxLogLines, the newest. No log folder is no logs.
func RecentLogs(root string, since time.Time) ([]byte, error) {
	dir := filepath.Join(root, workspace.Dir, LogsDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("read logs: %w", err)
	}
	type file struct {
		path string
		mod  time.Time
	}
	var files []file
	for _, d := range entries {
		n := d.Name()
		if !d.Type().IsRegular() || !strings.Contains(n, ".log") || strings.HasSuffix(n, ".gz") {
			continue
		}
		info, err := d.Info()
		if err != nil {
			continue
		}
		if !since.IsZero() && info.ModTime().Before(since) {
			continue // nothing newer inside
		}
		files = append(files, file{filepath.Join(dir, n), info.ModTime()})
	}
	slices.SortFunc(files, func(a, b file) int {
		if c := a.mod.Compare(b.mod); c != 0 {
			return c
		}
		return strings.Compare(a.path, b.path)
	})
	var lines [][]byte
	for _, f := range files {
		if err := readLines(f.path, since, &lines); err != nil {
			return nil, err
		}
	}
	return bytes.Join(lines, nil), nil
}

func readLines(path string, since time.Time, lines *[][]byte) error {
	fh, err := os.Open(path) // #nosec G304 -- a file of the workspace's log folder
	if err != nil {
		return fmt.Errorf("read logs: %w", err)
	}
	defer func() { _ = fh.Close() }()
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if t, ok := recordTime(line); ok && t.Before(since) {
			continue
		}
		*lines = append(*lines, append(append([]byte(nil), line...), '\n'))
		if len(*lines) > 2*MaxLogLines {
			*lines = append((*lines)[:0], (*lines)[len(*lines)-MaxLogLines:]...)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read logs %s: %w", filepath.Base(path), err)
	}
	if len(*lines) > MaxLogLines {
		*lines = append((*lines)[:0], (*lines)[len(*lines)-MaxLogLines:]...)
	}
	return nil
}

// record is the part of a log record the bundle reads.
type record struct {
	Time  string `json:"time"`
	Level string `json:"level"`
}

func recordTime(line []byte) (time.Time, bool) {
	var r record
	if json.Unmarshal(line, &r) != nil || r.Time == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, r.Time)
	return t, err == nil
}

// errorRecords returns the newest n records of level ERROR in JSON-lines
// logs, as raw JSON.
func errorRecords(logs []byte, n int) []json.RawMessage {
	var out []json.RawMessage
	for line := range bytes.SplitSeq(logs, []byte{'\n'}) {
		var r record
		if json.Unmarshal(line, &r) != nil || !strings.EqualFold(r.Level, "error") {
			continue
		}
		out = append(out, json.RawMessage(slices.Clone(line)))
	}
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return out
}
