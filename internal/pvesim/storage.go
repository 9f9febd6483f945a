package pvesim

import (
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// storageKey names where a storage's volumes live: per node, or shared.
func storageKey(st *storageDef, node string) string {
	if st.shared {
		return "/" + st.name
	}
	return node + "/" + st.name
}

// guestVolumes lists the disk volumes of a guest's applied config.
func (s *Sim) guestVolumes(g *guest, fn func(key, storage, volid string, size int64)) {
	for k, v := range g.conf {
		if !isDiskKey(k) || strings.Contains(v, "media=cdrom") {
			continue
		}
		vol := volumeOf(v)
		stName, _, ok := strings.Cut(vol, ":")
		if !ok {
			continue
		}
		st := s.c.storage(stName)
		if st == nil {
			continue
		}
		fn(storageKey(st, g.node), stName, vol, diskSize(v))
	}
}

// imageUsage sums guest image sizes per storage key.
func (s *Sim) imageUsage() map[string]int64 {
	out := map[string]int64{}
	for _, g := range s.c.guests {
		s.guestVolumes(g, func(key, _, _ string, size int64) { out[key] += size })
	}
	return out
}

func (s *Sim) storageUsed(st *storageDef, node string, usage map[string]int64) int64 {
	key := storageKey(st, node)
	used := st.used + usage[key]
	for _, v := range s.c.volumes[key] {
		used += v.size
	}
	if used > st.total {
		used = st.total
	}
	return used
}

func (s *Sim) storageEntry(st *storageDef, node string, usage map[string]int64) map[string]any {
	used := s.storageUsed(st, node, usage)
	return map[string]any{
		"storage": st.name, "type": st.typ, "content": st.content, "shared": b2i(st.shared),
		"active": 1, "enabled": 1, "total": st.total, "used": used, "avail": st.total - used,
		"used_fraction": float64(used) / float64(st.total),
	}
}

func (s *Sim) hStorageList(c *call) (any, error) {
	s.syncTasks(c.now)
	s.mu.RLock()
	defer s.mu.RUnlock()
	n, err := s.c.findNode(c.vars["node"])
	if err != nil {
		return nil, err
	}
	content, _ := c.param("content")
	only, _ := c.param("storage")
	usage := s.imageUsage()
	out := []map[string]any{}
	for _, st := range s.c.storages {
		if only != "" && st.name != only {
			continue
		}
		if content != "" && !hasContent(st, content) {
			continue
		}
		out = append(out, s.storageEntry(st, n.name, usage))
	}
	return out, nil
}

func hasContent(st *storageDef, want string) bool {
	for _, w := range splitList(want) {
		found := false
		for _, have := range strings.Split(st.content, ",") {
			if have == w {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func (s *Sim) findStorage(c *call) (*storageDef, *apiError) {
	if _, err := s.c.findNode(c.vars["node"]); err != nil {
		return nil, err
	}
	st := s.c.storage(c.vars["storage"])
	if st == nil {
		return nil, errf("storage '%s' does not exist", c.vars["storage"])
	}
	return st, nil
}

func (s *Sim) hStorageIndex(c *call) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, err := s.findStorage(c); err != nil {
		return nil, err
	}
	var out []map[string]string
	for _, d := range []string{"content", "status"} {
		out = append(out, map[string]string{"subdir": d})
	}
	return out, nil
}

func (s *Sim) hStorageStatus(c *call) (any, error) {
	s.syncTasks(c.now)
	s.mu.RLock()
	defer s.mu.RUnlock()
	st, err := s.findStorage(c)
	if err != nil {
		return nil, err
	}
	e := s.storageEntry(st, c.vars["node"], s.imageUsage())
	delete(e, "storage")
	delete(e, "used_fraction")
	return e, nil
}

// contentRows lists a storage's volumes on node: static content plus guest images.
func (s *Sim) contentRows(st *storageDef, node string) []map[string]any {
	key := storageKey(st, node)
	var rows []map[string]any
	for _, v := range s.c.volumes[key] {
		row := map[string]any{"volid": v.volid, "content": v.content, "format": v.format, "size": v.size, "ctime": v.ctime}
		if v.vmid != 0 {
			row["vmid"] = v.vmid
			row["subtype"] = "qemu"
			if strings.Contains(v.volid, "-lxc-") {
				row["subtype"] = "lxc"
			}
		}
		rows = append(rows, row)
	}
	if hasContent(st, "images") || hasContent(st, "rootdir") {
		for _, vmid := range s.c.vmids {
			g := s.c.guests[vmid]
			if !st.shared && g.node != node {
				continue
			}
			ctime := int64(0)
			if m, ok := optValue(g.conf["meta"], "ctime"); ok {
				ctime = int64(atoiDef(m, 0))
			}
			s.guestVolumes(g, func(k, _, volid string, size int64) {
				if k != key {
					return
				}
				content := "images"
				if g.kind == kindLXC {
					content = "rootdir"
				}
				format := "raw"
				if strings.HasSuffix(volid, ".qcow2") {
					format = "qcow2"
				}
				rows = append(rows, map[string]any{
					"volid": volid, "content": content, "format": format, "size": size, "used": size / 100 * 37,
					"ctime": ctime, "vmid": g.vmid,
				})
			})
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i]["volid"].(string) < rows[j]["volid"].(string) })
	return rows
}

func (s *Sim) hStorageContent(c *call) (any, error) {
	s.syncTasks(c.now)
	s.mu.RLock()
	defer s.mu.RUnlock()
	st, err := s.findStorage(c)
	if err != nil {
		return nil, err
	}
	content, _ := c.param("content")
	vmid, _ := c.param("vmid")
	out := []map[string]any{}
	for _, row := range s.contentRows(st, c.vars["node"]) {
		if content != "" && row["content"] != content {
			continue
		}
		if vmid != "" {
			if v, ok := row["vmid"].(int); !ok || strconv.Itoa(v) != vmid {
				continue
			}
		}
		out = append(out, row)
	}
	return out, nil
}

func (s *Sim) hStorageVolume(c *call) (any, error) {
	s.syncTasks(c.now)
	s.mu.RLock()
	defer s.mu.RUnlock()
	st, err := s.findStorage(c)
	if err != nil {
		return nil, err
	}
	vol := c.vars["volume"]
	if v, uerr := url.PathUnescape(vol); uerr == nil {
		vol = v
	}
	if !strings.Contains(vol, ":") {
		vol = st.name + ":" + vol
	}
	for _, row := range s.contentRows(st, c.vars["node"]) {
		if row["volid"] != vol {
			continue
		}
		size := row["size"].(int64)
		used := size
		if u, ok := row["used"].(int64); ok {
			used = u
		}
		_, name, _ := strings.Cut(vol, ":")
		path := "/dev/pve/" + name
		if st.path != "" {
			path = st.path + "/" + name
		}
		return map[string]any{"format": row["format"], "size": size, "used": used, "path": path}, nil
	}
	return nil, errf("no such volume '%s'", vol)
}

func (s *Sim) hStorageConfigList(*call) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []map[string]any{}
	for _, st := range s.c.storages {
		row := map[string]any{"storage": st.name, "type": st.typ, "content": st.content, "shared": b2i(st.shared), "digest": "0000000000000000000000000000000000000000"}
		if st.path != "" {
			row["path"] = st.path
		}
		if st.typ == "lvmthin" {
			row["thinpool"], row["vgname"] = "data", "pve"
		}
		out = append(out, row)
	}
	return out, nil
}
