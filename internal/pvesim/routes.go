package pvesim

import (
	"net/url"
	"strings"
)

type handlerFunc func(c *call) (any, error)

type route struct {
	method  string
	path    string
	segs    []string
	h       handlerFunc
	noAuth  bool
	priv    string // privilege checked before the handler, "" = none
	aclPath string // ACL path for 403 messages, with placeholders
}

// match finds the route for method and path. It reports whether any route
// matched the path for another method.
func (s *Sim) match(method, path string) (*route, map[string]string, bool) {
	segs := splitPath(path)
	for i, seg := range segs {
		// the path arrives escaped so that a volume ID such as
		// local:iso%2Fx.iso stays one segment
		if u, err := url.PathUnescape(seg); err == nil {
			segs[i] = u
		}
	}
	pathKnown := false
	for _, rt := range s.routes {
		if len(rt.segs) != len(segs) {
			continue
		}
		var vars map[string]string
		ok := true
		for i, p := range rt.segs {
			if len(p) > 2 && p[0] == '{' && p[len(p)-1] == '}' {
				if segs[i] == "" {
					ok = false
					break
				}
				if vars == nil {
					vars = map[string]string{}
				}
				vars[p[1:len(p)-1]] = segs[i]
				continue
			}
			if p != segs[i] {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		if rt.method != method {
			pathKnown = true
			continue
		}
		if vars == nil {
			vars = map[string]string{}
		}
		return rt, vars, true
	}
	return nil, nil, pathKnown
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

func (s *Sim) buildRoutes() []*route {
	var rs []*route
	add := func(method, path string, h handlerFunc, priv, acl string) {
		rs = append(rs, &route{method: method, path: path, segs: splitPath(path), h: h, priv: priv, aclPath: acl})
	}
	open := func(method, path string, h handlerFunc) {
		rs = append(rs, &route{method: method, path: path, segs: splitPath(path), h: h, noAuth: true})
	}
	const (
		get, post, put, del = "GET", "POST", "PUT", "DELETE"
		vmACL               = "/vms/{vmid}"
	)
	// access
	open(get, "/access/ticket", s.hAccessTicketGet)
	open(post, "/access/ticket", s.hAccessTicketPost)
	open(get, "/access/domains", s.hAccessDomains)
	add(get, "/access/permissions", s.hAccessPermissions, "", "")
	add(get, "/access/users", s.hAccessUsers, "Sys.Audit", "/access")
	// cluster
	add(get, "/version", s.hVersion, "", "")
	add(get, "/cluster/status", s.hClusterStatus, "", "")
	add(get, "/cluster/resources", s.hClusterResources, "", "")
	add(get, "/cluster/nextid", s.hNextID, "", "")
	add(get, "/cluster/tasks", s.hClusterTasks, "", "")
	add(get, "/pools", s.hPools, "", "")
	add(post, "/pools", s.hPoolCreate, "Pool.Allocate", "/pool")
	add(put, "/pools", s.hPoolUpdate, "Pool.Allocate", "/pool")
	add(get, "/pools/{poolid}", s.hPool, "", "")
	add(put, "/pools/{poolid}", s.hPoolUpdate, "Pool.Allocate", "/pool/{poolid}")
	add(del, "/pools/{poolid}", s.hPoolDelete, "Pool.Allocate", "/pool/{poolid}")
	add(get, "/storage", s.hStorageConfigList, "", "")
	// nodes
	add(get, "/nodes", s.hNodes, "", "")
	add(get, "/nodes/{node}", s.hNodeIndex, "", "")
	add(get, "/nodes/{node}/status", s.hNodeStatus, "Sys.Audit", "/nodes/{node}")
	add(get, "/nodes/{node}/version", s.hNodeVersion, "", "")
	add(get, "/nodes/{node}/network", s.hNetwork, "", "")
	add(get, "/nodes/{node}/storage", s.hStorageList, "", "")
	add(get, "/nodes/{node}/storage/{storage}", s.hStorageIndex, "", "")
	add(get, "/nodes/{node}/storage/{storage}/status", s.hStorageStatus, "", "")
	add(get, "/nodes/{node}/storage/{storage}/content", s.hStorageContent, "", "")
	add(get, "/nodes/{node}/storage/{storage}/content/{volume}", s.hStorageVolume, "", "")
	add(get, "/nodes/{node}/tasks", s.hTasks, "", "")
	add(get, "/nodes/{node}/tasks/{upid}", s.hTaskIndex, "", "")
	add(get, "/nodes/{node}/tasks/{upid}/status", s.hTaskStatus, "", "")
	add(get, "/nodes/{node}/tasks/{upid}/log", s.hTaskLog, "", "")
	add(del, "/nodes/{node}/tasks/{upid}", s.hTaskStop, "Sys.Modify", "/nodes/{node}")
	// guests, both kinds
	for _, kind := range []string{kindQemu, kindLXC} {
		k := kind
		base := "/nodes/{node}/" + k
		g := func(h func(*call, string) (any, error)) handlerFunc {
			return func(c *call) (any, error) { return h(c, k) }
		}
		add(get, base, g(s.hGuestList), "", "")
		add(post, base, g(s.hGuestCreate), "VM.Allocate", vmACL)
		add(get, base+"/{vmid}", g(s.hGuestIndex), "VM.Audit", vmACL)
		add(del, base+"/{vmid}", g(s.hGuestDestroy), "VM.Allocate", vmACL)
		add(get, base+"/{vmid}/config", g(s.hConfigGet), "VM.Audit", vmACL)
		add(put, base+"/{vmid}/config", g(s.hConfigPut), "VM.Config.Options", vmACL)
		add(get, base+"/{vmid}/pending", g(s.hPending), "VM.Audit", vmACL)
		add(get, base+"/{vmid}/status", g(s.hStatusIndex), "VM.Audit", vmACL)
		add(get, base+"/{vmid}/status/current", g(s.hStatusCurrent), "VM.Audit", vmACL)
		actions := []string{"start", "stop", "shutdown", "reboot", "suspend", "resume"}
		if k == kindQemu {
			actions = append(actions, "reset")
		}
		for _, a := range actions {
			act := a
			add(post, base+"/{vmid}/status/"+act, func(c *call) (any, error) { return s.hPower(c, k, act) }, "VM.PowerMgmt", vmACL)
		}
		add(post, base+"/{vmid}/clone", g(s.hClone), "VM.Clone", vmACL)
		add(post, base+"/{vmid}/migrate", g(s.hMigrate), "VM.Migrate", vmACL)
		add(put, base+"/{vmid}/resize", g(s.hResize), "VM.Config.Disk", vmACL)
		add(post, base+"/{vmid}/template", g(s.hTemplate), "VM.Allocate", vmACL)
		add(get, base+"/{vmid}/snapshot", g(s.hSnapshotList), "VM.Audit", vmACL)
		add(post, base+"/{vmid}/snapshot", g(s.hSnapshotCreate), "VM.Snapshot", vmACL)
		add(get, base+"/{vmid}/snapshot/{snapname}", g(s.hSnapshotIndex), "VM.Audit", vmACL)
		add(del, base+"/{vmid}/snapshot/{snapname}", g(s.hSnapshotDelete), "VM.Snapshot", vmACL)
		add(get, base+"/{vmid}/snapshot/{snapname}/config", g(s.hSnapshotConfig), "VM.Audit", vmACL)
		add(post, base+"/{vmid}/snapshot/{snapname}/rollback", g(s.hSnapshotRollback), "VM.Snapshot.Rollback", vmACL)
	}
	add(post, "/nodes/{node}/qemu/{vmid}/config", func(c *call) (any, error) { return s.hConfigPost(c) }, "VM.Config.Options", vmACL)
	add(get, "/nodes/{node}/qemu/{vmid}/agent", s.hAgentIndex, "VM.Audit", vmACL)
	add(get, "/nodes/{node}/qemu/{vmid}/agent/network-get-interfaces", s.hAgentNetwork, "VM.GuestAgent.Audit", vmACL)
	add(post, "/nodes/{node}/qemu/{vmid}/agent/ping", s.hAgentPing, "VM.GuestAgent.Audit", vmACL)
	add(get, "/nodes/{node}/lxc/{vmid}/interfaces", s.hLXCInterfaces, "VM.Audit", vmACL)
	return rs
}
