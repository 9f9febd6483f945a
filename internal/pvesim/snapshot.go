package pvesim

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

func findSnap(g *guest, name string) *snapshot {
	for _, sn := range g.snaps {
		if sn.name == name {
			return sn
		}
	}
	return nil
}

func (s *Sim) hSnapshotList(c *call, kind string) (any, error) {
	s.syncTasks(c.now)
	s.mu.RLock()
	defer s.mu.RUnlock()
	g, err := s.c.findGuest(kind, c.vars["node"], c.vars["vmid"])
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, len(g.snaps)+1)
	for _, sn := range g.snaps {
		row := map[string]any{"name": sn.name, "description": sn.desc, "snaptime": sn.snaptime}
		if sn.parent != "" {
			row["parent"] = sn.parent
		}
		if kind == kindQemu {
			row["vmstate"] = b2i(sn.vmstate)
		}
		out = append(out, row)
	}
	cur := map[string]any{"name": "current", "description": "You are here!", "running": b2i(g.running)}
	if g.parent != "" {
		cur["parent"] = g.parent
	}
	out = append(out, cur)
	return out, nil
}

func (s *Sim) hSnapshotIndex(c *call, kind string) (any, error) {
	s.syncTasks(c.now)
	s.mu.RLock()
	defer s.mu.RUnlock()
	g, err := s.c.findGuest(kind, c.vars["node"], c.vars["vmid"])
	if err != nil {
		return nil, err
	}
	if findSnap(g, c.vars["snapname"]) == nil {
		return nil, errf("snapshot '%s' does not exist", c.vars["snapname"])
	}
	return []map[string]string{{"subdir": "config"}, {"subdir": "rollback"}}, nil
}

func (s *Sim) hSnapshotConfig(c *call, kind string) (any, error) {
	s.syncTasks(c.now)
	s.mu.RLock()
	defer s.mu.RUnlock()
	g, err := s.c.findGuest(kind, c.vars["node"], c.vars["vmid"])
	if err != nil {
		return nil, err
	}
	sn := findSnap(g, c.vars["snapname"])
	if sn == nil {
		return nil, errf("snapshot '%s' does not exist", c.vars["snapname"])
	}
	return snapConf(g, sn), nil
}

var snapNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_\-]{1,39}$`)

func (s *Sim) hSnapshotCreate(c *call, kind string) (any, error) {
	name, _ := c.param("snapname")
	if name == "" {
		return nil, missingParam("snapname")
	}
	if !snapNameRE.MatchString(name) {
		return nil, paramErr1("snapname", fmt.Sprintf("invalid format - invalid configuration ID '%s'", name))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked(c.now)
	g, err := s.c.findGuest(kind, c.vars["node"], c.vars["vmid"])
	if err != nil {
		return nil, err
	}
	if name == "current" || name == "vzdump" {
		return nil, errf("snapshot name '%s' is reserved", name)
	}
	if findSnap(g, name) != nil {
		return nil, errf("snapshot name '%s' already used", name)
	}
	if err := checkLock(g, c); err != nil {
		return nil, err
	}
	if g.tmpl {
		return nil, errf("you can't take a snapshot of a template")
	}
	desc, _ := c.param("description")
	vmstate := kind == kindQemu && c.flag("vmstate") && g.running
	vmid := g.vmid
	g.lock = "snapshot"
	g.changed()
	t := s.startTask(c.now, g.node, taskType(kind, "qmsnapshot", "vzsnapshot"), strconv.Itoa(vmid), c.caller.id(), func(at time.Time) string {
		g, ok := s.c.guests[vmid]
		if !ok {
			return "guest vanished"
		}
		g.lock = ""
		g.snaps = append(g.snaps, &snapshot{name: name, desc: desc, parent: g.parent, snaptime: at.Unix(), vmstate: vmstate, conf: copyConf(g.conf)})
		g.parent = name
		g.changed()
		return ""
	})
	t.onFail = func() {
		if g, ok := s.c.guests[vmid]; ok && g.lock == "snapshot" {
			g.lock = ""
			g.changed()
		}
	}
	t.log = []string{fmt.Sprintf("snapshotting '%s'", name)}
	return t.upid, nil
}

func (s *Sim) hSnapshotRollback(c *call, kind string) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked(c.now)
	g, err := s.c.findGuest(kind, c.vars["node"], c.vars["vmid"])
	if err != nil {
		return nil, err
	}
	name := c.vars["snapname"]
	if findSnap(g, name) == nil {
		return nil, errf("snapshot '%s' does not exist", name)
	}
	if err := checkLock(g, c); err != nil {
		return nil, err
	}
	vmid := g.vmid
	start := c.flag("start")
	g.lock = "rollback"
	g.changed()
	t := s.startTask(c.now, g.node, taskType(kind, "qmrollback", "vzrollback"), strconv.Itoa(vmid), c.caller.id(), func(at time.Time) string {
		g, ok := s.c.guests[vmid]
		if !ok {
			return "guest vanished"
		}
		defer g.changed()
		g.lock = ""
		sn := findSnap(g, name)
		if sn == nil {
			return fmt.Sprintf("snapshot '%s' does not exist", name)
		}
		g.conf = copyConf(sn.conf)
		g.pending, g.pendingDel = nil, nil
		g.parent = name
		g.running, g.paused = sn.vmstate || start, false
		if g.running {
			g.started = at
		}
		return ""
	})
	t.onFail = func() {
		if g, ok := s.c.guests[vmid]; ok && g.lock == "rollback" {
			g.lock = ""
			g.changed()
		}
	}
	return t.upid, nil
}

func (s *Sim) hSnapshotDelete(c *call, kind string) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked(c.now)
	g, err := s.c.findGuest(kind, c.vars["node"], c.vars["vmid"])
	if err != nil {
		return nil, err
	}
	name := c.vars["snapname"]
	if findSnap(g, name) == nil {
		return nil, errf("snapshot '%s' does not exist", name)
	}
	if err := checkLock(g, c); err != nil {
		return nil, err
	}
	vmid := g.vmid
	g.lock = "snapshot-delete"
	g.changed()
	t := s.startTask(c.now, g.node, taskType(kind, "qmdelsnapshot", "vzdelsnapshot"), strconv.Itoa(vmid), c.caller.id(), func(time.Time) string {
		g, ok := s.c.guests[vmid]
		if !ok {
			return "guest vanished"
		}
		defer g.changed()
		g.lock = ""
		idx := -1
		for i, sn := range g.snaps {
			if sn.name == name {
				idx = i
			}
		}
		if idx < 0 {
			return fmt.Sprintf("snapshot '%s' does not exist", name)
		}
		gone := g.snaps[idx]
		g.snaps = append(g.snaps[:idx:idx], g.snaps[idx+1:]...)
		for _, sn := range g.snaps {
			if sn.parent == name {
				sn.parent = gone.parent
			}
		}
		if g.parent == name {
			g.parent = gone.parent
		}
		return ""
	})
	t.onFail = func() {
		if g, ok := s.c.guests[vmid]; ok && g.lock == "snapshot-delete" {
			g.lock = ""
			g.changed()
		}
	}
	return t.upid, nil
}
