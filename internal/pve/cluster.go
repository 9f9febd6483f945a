package pve

import (
	"context"
	"fmt"
	"net/url"
)

// Version is GET /version (and /nodes/{node}/version).
type Version struct {
	Version string `json:"version"`
	Release string `json:"release"`
	RepoID  string `json:"repoid"`
	Console string `json:"console,omitempty"`
}

// Version reads the PVE version of the endpoint.
func (c *Client) Version(ctx context.Context) (*Version, error) {
	var out Version
	if err := c.Get(ctx, "/version", nil, &out); err != nil {
		return nil, fmt.Errorf("read version: %w", err)
	}
	return &out, nil
}

// NodeVersion reads the PVE version of one node.
func (c *Client) NodeVersion(ctx context.Context, node string) (*Version, error) {
	var out Version
	if err := c.Get(ctx, "/nodes/"+seg(node)+"/version", nil, &out); err != nil {
		return nil, fmt.Errorf("read version of node %s: %w", node, err)
	}
	return &out, nil
}

// ClusterStatusEntry is a row of GET /cluster/status: one "cluster" row
// (Name, Quorate, Nodes, Version) and one "node" row per member.
type ClusterStatusEntry struct {
	Type    string `json:"type"` // "cluster" | "node"
	ID      string `json:"id"`
	Name    string `json:"name"`
	NodeID  Int    `json:"nodeid,omitempty"`
	IP      string `json:"ip,omitempty"`
	Online  Bool   `json:"online,omitempty"`
	Local   Bool   `json:"local,omitempty"`
	Level   string `json:"level,omitempty"`
	Quorate Bool   `json:"quorate,omitempty"`
	Nodes   Int    `json:"nodes,omitempty"`
	Version Int    `json:"version,omitempty"`
}

// ClusterStatus reads GET /cluster/status.
func (c *Client) ClusterStatus(ctx context.Context) ([]ClusterStatusEntry, error) {
	var out []ClusterStatusEntry
	if err := c.Get(ctx, "/cluster/status", nil, &out); err != nil {
		return nil, fmt.Errorf("read cluster status: %w", err)
	}
	return out, nil
}

// Resource is a row of GET /cluster/resources. Type tells rows apart:
// "node", "qemu", "lxc", "storage", "pool", "sdn", "network".
type Resource struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Node       string `json:"node,omitempty"`
	VMID       Int    `json:"vmid,omitempty"`
	Name       string `json:"name,omitempty"`
	Status     string `json:"status,omitempty"`
	Tags       string `json:"tags,omitempty"`
	Pool       string `json:"pool,omitempty"`
	Template   Bool   `json:"template,omitempty"`
	HAState    string `json:"hastate,omitempty"`
	Lock       string `json:"lock,omitempty"`
	Level      string `json:"level,omitempty"`
	CPU        Float  `json:"cpu,omitempty"`
	MaxCPU     Float  `json:"maxcpu,omitempty"`
	Mem        Int    `json:"mem,omitempty"`
	MaxMem     Int    `json:"maxmem,omitempty"`
	Disk       Int    `json:"disk,omitempty"`
	MaxDisk    Int    `json:"maxdisk,omitempty"`
	DiskRead   Int    `json:"diskread,omitempty"`
	DiskWrite  Int    `json:"diskwrite,omitempty"`
	NetIn      Int    `json:"netin,omitempty"`
	NetOut     Int    `json:"netout,omitempty"`
	Uptime     Int    `json:"uptime,omitempty"`
	Storage    string `json:"storage,omitempty"`
	Content    string `json:"content,omitempty"`
	PluginType string `json:"plugintype,omitempty"`
	Shared     Bool   `json:"shared,omitempty"`
	SDN        string `json:"sdn,omitempty"`
	CgroupMode Int    `json:"cgroup-mode,omitempty"`
}

// ClusterResources lists cluster resources; typ filters ("vm", "node",
// "storage", "sdn"; "" = all).
func (c *Client) ClusterResources(ctx context.Context, typ string) ([]Resource, error) {
	var q url.Values
	if typ != "" {
		q = url.Values{"type": {typ}}
	}
	var out []Resource
	if err := c.Get(ctx, "/cluster/resources", q, &out); err != nil {
		return nil, fmt.Errorf("list cluster resources: %w", err)
	}
	return out, nil
}

// NextID asks for the next free VMID.
func (c *Client) NextID(ctx context.Context) (int, error) {
	var id Int
	if err := c.Get(ctx, "/cluster/nextid", nil, &id); err != nil {
		return 0, fmt.Errorf("get next vmid: %w", err)
	}
	return int(id), nil
}

// CheckID asks whether vmid is free (GET /cluster/nextid?vmid=N); a taken
// id is a 400 *APIError with Params["vmid"].
func (c *Client) CheckID(ctx context.Context, vmid int) error {
	var id Int
	if err := c.Get(ctx, "/cluster/nextid", url.Values{"vmid": {fmt.Sprint(vmid)}}, &id); err != nil {
		return fmt.Errorf("check vmid %d: %w", vmid, err)
	}
	return nil
}

// Permissions reads the caller's privileges: path → privilege → propagate
// (1/0).
func (c *Client) Permissions(ctx context.Context) (map[string]map[string]int, error) {
	var raw map[string]map[string]Int
	if err := c.Get(ctx, "/access/permissions", nil, &raw); err != nil {
		return nil, fmt.Errorf("read permissions: %w", err)
	}
	out := make(map[string]map[string]int, len(raw))
	for p, privs := range raw {
		m := make(map[string]int, len(privs))
		for k, v := range privs {
			m[k] = int(v)
		}
		out[p] = m
	}
	return out, nil
}

// PoolMember is a guest or storage in a pool.
type PoolMember struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Node    string `json:"node,omitempty"`
	VMID    Int    `json:"vmid,omitempty"`
	Storage string `json:"storage,omitempty"`
	Name    string `json:"name,omitempty"`
}

// Pool is a row of GET /pools.
type Pool struct {
	PoolID  string       `json:"poolid"`
	Comment string       `json:"comment,omitempty"`
	Members []PoolMember `json:"members,omitempty"`
}

// Pools lists resource pools.
func (c *Client) Pools(ctx context.Context) ([]Pool, error) {
	var out []Pool
	if err := c.Get(ctx, "/pools", nil, &out); err != nil {
		return nil, fmt.Errorf("list pools: %w", err)
	}
	return out, nil
}
