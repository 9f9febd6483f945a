package pve

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// UPID is a parsed PVE task id:
// UPID:node:PID(hex8):PSTART(hex8-9):STARTTIME(hex8):type:id:user:
type UPID struct {
	Node      string
	PID       int
	PStart    int
	StartTime time.Time
	Type      string
	ID        string // may be empty
	User      string // USER@REALM, or USER@REALM!TOKENID for token callers
}

// upidRE is pve-common's UPID.pm pattern.
var upidRE = regexp.MustCompile(`^UPID:([a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):([0-9A-Fa-f]{8}):([^:\s]+):([^:\s]*):([^:\s]+):$`)

// ParseUPID parses a task id.
func ParseUPID(s string) (UPID, error) {
	m := upidRE.FindStringSubmatch(s)
	if m == nil {
		return UPID{}, fmt.Errorf("invalid UPID %.80q: want UPID:node:pid:pstart:starttime:type:id:user", s)
	}
	pid, _ := strconv.ParseInt(m[3], 16, 64)
	pstart, _ := strconv.ParseInt(m[4], 16, 64)
	st, _ := strconv.ParseInt(m[5], 16, 64)
	return UPID{
		Node:      m[1],
		PID:       int(pid),
		PStart:    int(pstart),
		StartTime: time.Unix(st, 0).UTC(),
		Type:      m[6],
		ID:        m[7],
		User:      m[8],
	}, nil
}

// String formats the UPID as PVE does (upper-case hex).
func (u UPID) String() string {
	return fmt.Sprintf("UPID:%s:%08X:%08X:%08X:%s:%s:%s:", u.Node, u.PID, u.PStart, u.StartTime.Unix(), u.Type, u.ID, u.User)
}

// Task is a row of GET /nodes/{node}/tasks. Status is "OK", "WARNINGS: n"
// or the error text once the task has ended, "" (or "running") while it
// runs.
type Task struct {
	UPID      string `json:"upid"`
	Node      string `json:"node"`
	Type      string `json:"type"`
	ID        string `json:"id"`
	User      string `json:"user"`
	TokenID   string `json:"tokenid,omitempty"`
	Status    string `json:"status,omitempty"`
	PID       Int    `json:"pid"`
	PStart    Int    `json:"pstart"`
	StartTime Int    `json:"starttime"`
	EndTime   Int    `json:"endtime,omitempty"`
}

// TaskStatus is GET /nodes/{node}/tasks/{upid}/status.
type TaskStatus struct {
	UPID       string `json:"upid"`
	Node       string `json:"node"`
	Type       string `json:"type"`
	ID         string `json:"id"`
	User       string `json:"user"`
	TokenID    string `json:"tokenid,omitempty"`
	Status     string `json:"status"` // "running" | "stopped"
	ExitStatus string `json:"exitstatus,omitempty"`
	PID        Int    `json:"pid"`
	PStart     Int    `json:"pstart"`
	StartTime  Int    `json:"starttime"`
}

// Running reports whether the task has not stopped yet.
func (s *TaskStatus) Running() bool { return s.Status != "stopped" }

// Succeeded reports a stopped task with exit status "OK" or "WARNINGS: n".
func (s *TaskStatus) Succeeded() bool {
	return s.Status == "stopped" && TaskExitOK(s.ExitStatus)
}

// TaskExitOK reports whether a task exit status counts as success.
func TaskExitOK(exit string) bool {
	return exit == "OK" || strings.HasPrefix(exit, "WARNINGS:")
}

// TaskLogLine is one line of a task log.
type TaskLogLine struct {
	N Int    `json:"n"`
	T string `json:"t"`
}

// Tasks lists recent tasks of node (limit <= 0 means the server default).
func (c *Client) Tasks(ctx context.Context, node string, limit int) ([]Task, error) {
	q := url.Values{}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out []Task
	if err := c.Get(ctx, "/nodes/"+seg(node)+"/tasks", q, &out); err != nil {
		return nil, fmt.Errorf("list tasks of node %s: %w", node, err)
	}
	return out, nil
}

func taskPath(upid string) (string, error) {
	u, err := ParseUPID(upid)
	if err != nil {
		return "", err
	}
	return "/nodes/" + seg(u.Node) + "/tasks/" + seg(upid), nil
}

// TaskStatus reads the status of a task; the node comes from the UPID.
func (c *Client) TaskStatus(ctx context.Context, upid string) (*TaskStatus, error) {
	p, err := taskPath(upid)
	if err != nil {
		return nil, err
	}
	var out TaskStatus
	if err := c.Get(ctx, p+"/status", nil, &out); err != nil {
		return nil, fmt.Errorf("read task status: %w", err)
	}
	return &out, nil
}

// TaskLog reads limit lines of a task log from line start (0-based).
func (c *Client) TaskLog(ctx context.Context, upid string, start, limit int) ([]TaskLogLine, error) {
	lines, _, err := c.taskLog(ctx, upid, start, limit)
	return lines, err
}

func (c *Client) taskLog(ctx context.Context, upid string, start, limit int) ([]TaskLogLine, int, error) {
	p, err := taskPath(upid)
	if err != nil {
		return nil, 0, err
	}
	q := url.Values{}
	q.Set("start", strconv.Itoa(max(start, 0)))
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out []TaskLogLine
	total := -1
	if err := c.call(ctx, "GET", p+"/log", q, &out, &total); err != nil {
		return nil, 0, fmt.Errorf("read task log: %w", err)
	}
	return out, total, nil
}

// logTailLines is how many log lines a TaskError carries.
const logTailLines = 10

// TaskLogTail returns the last n lines of a task log.
func (c *Client) TaskLogTail(ctx context.Context, upid string, n int) ([]string, error) {
	const page = 500
	lines, total, err := c.taskLog(ctx, upid, 0, page)
	if err != nil {
		return nil, err
	}
	if total > page && total > len(lines) {
		if more, _, err := c.taskLog(ctx, upid, total-n, n); err == nil {
			lines = more
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.T
	}
	return out, nil
}

// WaitOptions tune WaitTask.
type WaitOptions struct {
	Interval   time.Duration    // poll interval; default 500ms, the first poll is immediate
	OnProgress func(TaskStatus) // called with every polled status
}

// maxPollFailures is how many polls in a row may fail with a network
// error before WaitTask gives up.
const maxPollFailures = 3

// WaitTask polls a task until it stops or ctx is done. An empty upid means
// the call completed synchronously and returns a stopped "OK" status. A
// task whose exit status is not "OK" or "WARNINGS: n" returns its status
// and a *TaskError with the tail of its log.
func (c *Client) WaitTask(ctx context.Context, upid string, opt WaitOptions) (*TaskStatus, error) {
	if upid == "" {
		return &TaskStatus{Status: "stopped", ExitStatus: "OK"}, nil
	}
	if _, err := ParseUPID(upid); err != nil {
		return nil, err
	}
	interval := opt.Interval
	if interval <= 0 {
		interval = 500 * time.Millisecond
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	failures := 0
	for {
		st, err := c.TaskStatus(ctx, upid)
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, ctx.Err()
		case err != nil:
			var ne *NetworkError
			if !errors.As(err, &ne) {
				return nil, err
			}
			if failures++; failures >= maxPollFailures {
				return nil, err
			}
		default:
			failures = 0
			if opt.OnProgress != nil {
				opt.OnProgress(*st)
			}
			if !st.Running() {
				if TaskExitOK(st.ExitStatus) {
					return st, nil
				}
				te := &TaskError{UPID: upid, ExitStatus: st.ExitStatus}
				if tail, err := c.TaskLogTail(ctx, upid, logTailLines); err == nil {
					te.LogTail = tail
				}
				return st, te
			}
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-ticker.C:
		}
	}
}
