package pvesim

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// task is a worker task with a UPID. It runs until end; then its effect is
// applied once (lazily, by advance) and it is "stopped".
type task struct {
	upid    string
	node    string
	pid     int
	pstart  int
	start   time.Time
	typ     string
	id      string
	user    string
	end     time.Time
	done    bool
	stopped time.Time // when it was marked done
	exit    string    // exitstatus once done
	log     []string  // lines before the final TASK line
	// failWith makes the task end with this error (injected or a real failure known up front).
	failWith string
	// effect runs at completion; an error text makes the task fail.
	effect func(at time.Time) string
	// onFail runs at completion when the task failed (e.g. to drop a half-created guest).
	onFail func()
}

// startTask registers a task on node and returns it. Caller holds s.mu for writing.
func (s *Sim) startTask(now time.Time, nodeName, typ, id, user string, effect func(at time.Time) string) *task {
	c := s.c
	c.pid += 1 + int(hash32(uint64(c.pid))%97)
	n := c.nodeByName[nodeName]
	pstart := int(now.Sub(n.boot).Seconds()*100) + 1
	t := &task{
		node: nodeName, pid: 0x10000 + c.pid, pstart: pstart, start: now, typ: typ, id: id, user: user,
		end: now.Add(s.taskDur), effect: effect,
	}
	t.upid = formatUPID(t)
	if c.taskFailRate > 0 && c.taskRNG.Float64() < c.taskFailRate {
		t.failWith = "simulated task failure (" + typ + ")"
	}
	c.tasks[t.upid] = t
	n.tasks = append(n.tasks, t)
	c.running = append(c.running, t)
	if c.nextDue.IsZero() || t.end.Before(c.nextDue) {
		c.nextDue = t.end
	}
	// A task of no duration finishes when the request that started it is
	// done (serve), not here: the handler still has to attach its onFail
	// cleanup, which a failure must run.
	s.log.Info("task started", "upid", t.upid, "node", nodeName)
	return t
}

func formatUPID(t *task) string {
	return fmt.Sprintf("UPID:%s:%08X:%08X:%08X:%s:%s:%s:", t.node, t.pid, t.pstart, t.start.Unix(), t.typ, t.id, t.user)
}

type parsedUPID struct {
	node, typ, id, user string
	pid, pstart         int64
	start               int64
}

// parseUPID parses UPID:node:pid:pstart:starttime:type:id:user: .
func parseUPID(s string) (parsedUPID, bool) {
	var p parsedUPID
	parts := strings.Split(s, ":")
	if len(parts) != 9 || parts[0] != "UPID" || parts[8] != "" || parts[1] == "" {
		return p, false
	}
	var err error
	if p.pid, err = strconv.ParseInt(parts[2], 16, 64); err != nil {
		return p, false
	}
	if p.pstart, err = strconv.ParseInt(parts[3], 16, 64); err != nil {
		return p, false
	}
	if p.start, err = strconv.ParseInt(parts[4], 16, 64); err != nil {
		return p, false
	}
	p.node, p.typ, p.id, p.user = parts[1], parts[5], parts[6], parts[7]
	return p, true
}

// syncTasks completes due tasks. It takes the write lock only when needed.
func (s *Sim) syncTasks(now time.Time) {
	s.mu.RLock()
	due := !s.c.nextDue.IsZero() && !now.Before(s.c.nextDue)
	s.mu.RUnlock()
	if due {
		s.mu.Lock()
		s.advanceLocked(now)
		s.mu.Unlock()
	}
}

// advanceLocked completes every task whose end is not after now, oldest
// first. Caller holds s.mu for writing.
func (s *Sim) advanceLocked(now time.Time) {
	c := s.c
	if c.nextDue.IsZero() || now.Before(c.nextDue) {
		return
	}
	sort.SliceStable(c.running, func(i, j int) bool { return c.running[i].end.Before(c.running[j].end) })
	keep := c.running[:0]
	for _, t := range c.running {
		if now.Before(t.end) {
			keep = append(keep, t)
			continue
		}
		s.finish(t, t.end)
	}
	for i := len(keep); i < len(c.running); i++ {
		c.running[i] = nil
	}
	c.running = keep
	c.nextDue = time.Time{}
	for _, t := range c.running {
		if c.nextDue.IsZero() || t.end.Before(c.nextDue) {
			c.nextDue = t.end
		}
	}
}

func (s *Sim) finish(t *task, at time.Time) {
	msg := t.failWith
	if msg == "" && t.effect != nil {
		msg = t.effect(at)
	}
	t.done, t.stopped = true, at
	if msg == "" {
		t.exit = "OK"
	} else {
		t.exit = msg
		if t.onFail != nil {
			t.onFail()
		}
	}
	s.log.Info("task finished", "upid", t.upid, "status", t.exit)
}

func (t *task) logLines() []string {
	lines := append([]string(nil), t.log...)
	if t.done {
		if t.exit == "OK" {
			lines = append(lines, "TASK OK")
		} else {
			lines = append(lines, "TASK ERROR: "+t.exit)
		}
	}
	return lines
}

func taskRow(t *task) map[string]any {
	row := map[string]any{
		"upid": t.upid, "node": t.node, "pid": t.pid, "pstart": t.pstart, "starttime": t.start.Unix(),
		"type": t.typ, "id": t.id, "user": t.user,
	}
	if user, tok, ok := strings.Cut(t.user, "!"); ok {
		row["user"], row["tokenid"] = user, tok
	}
	return row
}

// --- handlers ---

func (s *Sim) lookupTask(c *call) (*task, *apiError) {
	upid := c.vars["upid"]
	p, ok := parseUPID(upid)
	if !ok {
		return nil, paramErr1("upid", "unable to parse worker upid")
	}
	if p.node != c.vars["node"] {
		return nil, paramErr1("upid", "no such task")
	}
	t, ok := s.c.tasks[upid]
	if !ok {
		return nil, paramErr1("upid", "no such task")
	}
	return t, nil
}

func (s *Sim) hTaskIndex(c *call) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, err := s.lookupTask(c); err != nil {
		return nil, err
	}
	return []map[string]string{{"name": "log"}, {"name": "status"}}, nil
}

func (s *Sim) hTaskStatus(c *call) (any, error) {
	s.syncTasks(c.now)
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, err := s.lookupTask(c)
	if err != nil {
		return nil, err
	}
	row := taskRow(t)
	if t.done {
		row["status"] = "stopped"
		row["exitstatus"] = t.exit
	} else {
		row["status"] = "running"
	}
	return row, nil
}

func (s *Sim) hTaskLog(c *call) (any, error) {
	s.syncTasks(c.now)
	start, perr := c.intParam("start", 0)
	if perr != nil {
		return nil, perr
	}
	limit, perr := c.intParam("limit", 50)
	if perr != nil {
		return nil, perr
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, err := s.lookupTask(c)
	if err != nil {
		return nil, err
	}
	lines := t.logLines()
	out := []map[string]any{}
	for i := start; i < len(lines) && (limit <= 0 || len(out) < limit); i++ {
		if i < 0 {
			continue
		}
		out = append(out, map[string]any{"n": i + 1, "t": lines[i]})
	}
	return envelope{data: out, total: len(lines), hasTotal: true}, nil
}

func (s *Sim) hTaskStop(c *call) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked(c.now)
	t, err := s.lookupTask(c)
	if err != nil {
		return nil, err
	}
	if !t.done {
		t.failWith = "unexpected status"
		t.log = append(t.log, "received interrupt")
		t.effect = nil
		t.end = c.now
		if c.now.Before(s.c.nextDue) || s.c.nextDue.IsZero() {
			s.c.nextDue = c.now
		}
		s.advanceLocked(c.now)
	}
	return nil, nil
}

func (s *Sim) hTasks(c *call) (any, error) {
	s.syncTasks(c.now)
	start, perr := c.intParam("start", 0)
	if perr != nil {
		return nil, perr
	}
	limit, perr := c.intParam("limit", 50)
	if perr != nil {
		return nil, perr
	}
	vmid, _ := c.param("vmid")
	source, _ := c.param("source")
	if source == "" {
		source = "archive"
	}
	typeFilter, _ := c.param("typefilter")
	userFilter, _ := c.param("userfilter")
	onlyErrors := c.flag("errors")
	s.mu.RLock()
	defer s.mu.RUnlock()
	n, err := s.c.findNode(c.vars["node"])
	if err != nil {
		return nil, err
	}
	var rows []map[string]any
	matched := 0
	for i := len(n.tasks) - 1; i >= 0; i-- {
		t := n.tasks[i]
		switch {
		case source == "archive" && !t.done, source == "active" && t.done:
			continue
		case vmid != "" && t.id != vmid:
			continue
		case typeFilter != "" && t.typ != typeFilter:
			continue
		case userFilter != "" && !strings.Contains(t.user, userFilter):
			continue
		case onlyErrors && (!t.done || t.exit == "OK"):
			continue
		}
		matched++
		if matched <= start || (limit > 0 && len(rows) >= limit) {
			continue
		}
		row := taskRow(t)
		if t.done {
			row["status"] = t.exit
			row["endtime"] = t.stopped.Unix()
		}
		rows = append(rows, row)
	}
	if rows == nil {
		rows = []map[string]any{}
	}
	return envelope{data: rows, total: matched, hasTotal: true}, nil
}

func (s *Sim) hClusterTasks(c *call) (any, error) {
	s.syncTasks(c.now)
	s.mu.RLock()
	defer s.mu.RUnlock()
	var all []*task
	for _, n := range s.c.nodes {
		all = append(all, n.tasks...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].start.After(all[j].start) })
	rows := []map[string]any{}
	for _, t := range all {
		row := taskRow(t)
		if t.done {
			row["status"] = t.exit
			row["endtime"] = t.stopped.Unix()
		}
		rows = append(rows, row)
	}
	return rows, nil
}
