package pve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
)

// GuestKind is the API path segment of a guest type.
type GuestKind string

// Guest kinds.
const (
	KindVM GuestKind = "qemu"
	KindCT GuestKind = "lxc"
)

func (k GuestKind) valid() error {
	if k != KindVM && k != KindCT {
		return fmt.Errorf("unknown guest kind %q: want %q or %q", string(k), KindVM, KindCT)
	}
	return nil
}

// noun is "vm" or "ct", for error text.
func (k GuestKind) noun() string {
	if k == KindCT {
		return "ct"
	}
	return "vm"
}

// seg escapes one path segment ("!" in token UPIDs becomes %21).
func seg(s string) string { return url.PathEscape(s) }

func guestBase(node string, kind GuestKind) string {
	return "/nodes/" + seg(node) + "/" + string(kind)
}

func guestPath(node string, kind GuestKind, vmid int) string {
	return guestBase(node, kind) + "/" + strconv.Itoa(vmid)
}

// GuestSummary is a row of GET /nodes/{node}/qemu or /lxc.
type GuestSummary struct {
	VMID      Int    `json:"vmid"`
	Name      string `json:"name"`
	Status    string `json:"status"`
	Type      string `json:"type,omitempty"` // "lxc" in container lists
	Tags      string `json:"tags,omitempty"`
	Lock      string `json:"lock,omitempty"`
	Template  Bool   `json:"template,omitempty"`
	QMPStatus string `json:"qmpstatus,omitempty"`
	CPU       Float  `json:"cpu"`
	CPUs      Float  `json:"cpus"`
	Mem       Int    `json:"mem"`
	MaxMem    Int    `json:"maxmem"`
	Disk      Int    `json:"disk"`
	MaxDisk   Int    `json:"maxdisk"`
	Swap      Int    `json:"swap,omitempty"`
	MaxSwap   Int    `json:"maxswap,omitempty"`
	DiskRead  Int    `json:"diskread"`
	DiskWrite Int    `json:"diskwrite"`
	NetIn     Int    `json:"netin"`
	NetOut    Int    `json:"netout"`
	Uptime    Int    `json:"uptime"`
	PID       Int    `json:"pid,omitempty"`
}

// Guests lists the VMs or containers of node.
func (c *Client) Guests(ctx context.Context, node string, kind GuestKind) ([]GuestSummary, error) {
	if err := kind.valid(); err != nil {
		return nil, err
	}
	var out []GuestSummary
	if err := c.Get(ctx, guestBase(node, kind), nil, &out); err != nil {
		return nil, fmt.Errorf("list %ss on %s: %w", kind.noun(), node, err)
	}
	return out, nil
}

// GuestConfig is a guest configuration: every key as a string (numbers as
// spelled without exponent, booleans 0/1, nested values as compact JSON),
// with the digest apart.
type GuestConfig struct {
	Digest string
	Values map[string]string
}

var _ json.Unmarshaler = (*GuestConfig)(nil)

// UnmarshalJSON implements json.Unmarshaler.
func (g *GuestConfig) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	g.Values = make(map[string]string, len(m))
	for k, raw := range m {
		raw = bytes.TrimSpace(raw)
		var v string
		if len(raw) > 0 && (raw[0] == '[' || raw[0] == '{') {
			var buf bytes.Buffer
			if err := json.Compact(&buf, raw); err != nil {
				return fmt.Errorf("config key %s: %w", k, err)
			}
			v = buf.String()
		} else {
			s, err := DecodeText(raw)
			if err != nil {
				return fmt.Errorf("config key %s: %w", k, err)
			}
			v = s
		}
		if k == "digest" {
			g.Digest = v
			continue
		}
		g.Values[k] = v
	}
	return nil
}

// Keys returns the config keys in sorted order.
func (g *GuestConfig) Keys() []string {
	keys := make([]string, 0, len(g.Values))
	for k := range g.Values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// GuestConfig reads the (pending-applied) configuration of a guest.
func (c *Client) GuestConfig(ctx context.Context, node string, kind GuestKind, vmid int) (*GuestConfig, error) {
	if err := kind.valid(); err != nil {
		return nil, err
	}
	var out GuestConfig
	if err := c.Get(ctx, guestPath(node, kind, vmid)+"/config", nil, &out); err != nil {
		return nil, fmt.Errorf("read config of %s %d: %w", kind.noun(), vmid, err)
	}
	if out.Values == nil {
		out.Values = map[string]string{}
	}
	return &out, nil
}

// GuestHA is the "ha" member of a guest status.
type GuestHA struct {
	Managed Bool   `json:"managed"`
	State   string `json:"state,omitempty"`
	Group   string `json:"group,omitempty"`
}

// GuestStatus is GET .../status/current.
type GuestStatus struct {
	VMID           Int     `json:"vmid"`
	Name           string  `json:"name"`
	Status         string  `json:"status"`
	QMPStatus      string  `json:"qmpstatus,omitempty"`
	Lock           string  `json:"lock,omitempty"`
	Tags           string  `json:"tags,omitempty"`
	Template       Bool    `json:"template,omitempty"`
	Agent          Bool    `json:"agent,omitempty"`
	HA             GuestHA `json:"ha"`
	CPU            Float   `json:"cpu"`
	CPUs           Float   `json:"cpus"`
	Mem            Int     `json:"mem"`
	MaxMem         Int     `json:"maxmem"`
	FreeMem        Int     `json:"freemem,omitempty"`
	Balloon        Int     `json:"balloon,omitempty"`
	Disk           Int     `json:"disk"`
	MaxDisk        Int     `json:"maxdisk"`
	Swap           Int     `json:"swap,omitempty"`
	MaxSwap        Int     `json:"maxswap,omitempty"`
	DiskRead       Int     `json:"diskread"`
	DiskWrite      Int     `json:"diskwrite"`
	NetIn          Int     `json:"netin"`
	NetOut         Int     `json:"netout"`
	Uptime         Int     `json:"uptime"`
	PID            Int     `json:"pid,omitempty"`
	RunningQEMU    string  `json:"running-qemu,omitempty"`
	RunningMachine string  `json:"running-machine,omitempty"`
}

// GuestStatus reads the current status of a guest.
func (c *Client) GuestStatus(ctx context.Context, node string, kind GuestKind, vmid int) (*GuestStatus, error) {
	if err := kind.valid(); err != nil {
		return nil, err
	}
	var out GuestStatus
	if err := c.Get(ctx, guestPath(node, kind, vmid)+"/status/current", nil, &out); err != nil {
		return nil, fmt.Errorf("read status of %s %d: %w", kind.noun(), vmid, err)
	}
	return &out, nil
}

// PendingItem is a row of GET .../pending. Value and Pending are nil when
// absent. Delete is set for a pending delete (PVE sends 1, or 2 for force).
type PendingItem struct {
	Key     string  `json:"key"`
	Value   *string `json:"value,omitempty"`
	Pending *string `json:"pending,omitempty"`
	Delete  Bool    `json:"delete,omitempty"`
}

var _ json.Unmarshaler = (*PendingItem)(nil)

// UnmarshalJSON accepts numbers as well as strings for value and pending.
func (p *PendingItem) UnmarshalJSON(b []byte) error {
	var w struct {
		Key     Text            `json:"key"`
		Value   json.RawMessage `json:"value"`
		Pending json.RawMessage `json:"pending"`
		Delete  Bool            `json:"delete"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*p = PendingItem{Key: string(w.Key), Delete: w.Delete}
	var err error
	if p.Value, err = optText(w.Value); err != nil {
		return fmt.Errorf("pending %s value: %w", p.Key, err)
	}
	if p.Pending, err = optText(w.Pending); err != nil {
		return fmt.Errorf("pending %s: %w", p.Key, err)
	}
	return nil
}

func optText(raw json.RawMessage) (*string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	s, err := DecodeText(raw)
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// GuestPending lists config changes that wait for a restart.
func (c *Client) GuestPending(ctx context.Context, node string, kind GuestKind, vmid int) ([]PendingItem, error) {
	if err := kind.valid(); err != nil {
		return nil, err
	}
	var out []PendingItem
	if err := c.Get(ctx, guestPath(node, kind, vmid)+"/pending", nil, &out); err != nil {
		return nil, fmt.Errorf("read pending changes of %s %d: %w", kind.noun(), vmid, err)
	}
	return out, nil
}

// guestActions are the status/{action} endpoints (reset is qemu only).
var guestActions = map[string]bool{"start": true, "stop": true, "shutdown": true, "reboot": true, "suspend": true, "resume": true, "reset": true}

// GuestAction runs start|stop|shutdown|reboot|suspend|resume (|reset for
// VMs) and returns the task UPID ("" if the server finished at once).
func (c *Client) GuestAction(ctx context.Context, node string, kind GuestKind, vmid int, action string) (string, error) {
	if err := kind.valid(); err != nil {
		return "", err
	}
	if !guestActions[action] || (action == "reset" && kind != KindVM) {
		return "", fmt.Errorf("unknown %s action %q", kind.noun(), action)
	}
	var upid string
	if err := c.Post(ctx, guestPath(node, kind, vmid)+"/status/"+action, nil, &upid); err != nil {
		return "", fmt.Errorf("%s %s %d: %w", action, kind.noun(), vmid, err)
	}
	return upid, nil
}

// UpdateConfig changes a guest config: POST (async, returns a UPID or ""
// when the server finished within its delay) or PUT (sync, ""). Containers
// only have PUT, so async is ignored for them. Pass digest= for optimistic
// locking and delete=k1,k2 to remove keys.
func (c *Client) UpdateConfig(ctx context.Context, node string, kind GuestKind, vmid int, form url.Values, async bool) (string, error) {
	if err := kind.valid(); err != nil {
		return "", err
	}
	p := guestPath(node, kind, vmid) + "/config"
	var upid string
	var err error
	if async && kind == KindVM {
		err = c.Post(ctx, p, form, &upid)
	} else {
		err = c.Put(ctx, p, form, &upid)
	}
	if err != nil {
		return "", fmt.Errorf("update config of %s %d: %w", kind.noun(), vmid, err)
	}
	return upid, nil
}

// CreateGuest creates a VM or container (form must carry vmid) and returns
// the task UPID.
func (c *Client) CreateGuest(ctx context.Context, node string, kind GuestKind, form url.Values) (string, error) {
	if err := kind.valid(); err != nil {
		return "", err
	}
	var upid string
	if err := c.Post(ctx, guestBase(node, kind), form, &upid); err != nil {
		return "", fmt.Errorf("create %s %s on %s: %w", kind.noun(), form.Get("vmid"), node, err)
	}
	return upid, nil
}

// DeleteGuest destroys a guest (query e.g. purge=1,
// destroy-unreferenced-disks=1) and returns the task UPID or "".
func (c *Client) DeleteGuest(ctx context.Context, node string, kind GuestKind, vmid int, query url.Values) (string, error) {
	if err := kind.valid(); err != nil {
		return "", err
	}
	var upid string
	if err := c.Delete(ctx, guestPath(node, kind, vmid), query, &upid); err != nil {
		return "", fmt.Errorf("delete %s %d: %w", kind.noun(), vmid, err)
	}
	return upid, nil
}

// Clone clones VM vmid (form: newid, name, target, full, storage, ...).
func (c *Client) Clone(ctx context.Context, node string, vmid int, form url.Values) (string, error) {
	return c.CloneGuest(ctx, node, KindVM, vmid, form)
}

// CloneGuest clones a VM or container (containers take hostname, not name).
func (c *Client) CloneGuest(ctx context.Context, node string, kind GuestKind, vmid int, form url.Values) (string, error) {
	if err := kind.valid(); err != nil {
		return "", err
	}
	var upid string
	if err := c.Post(ctx, guestPath(node, kind, vmid)+"/clone", form, &upid); err != nil {
		return "", fmt.Errorf("clone %s %d: %w", kind.noun(), vmid, err)
	}
	return upid, nil
}

// Migrate moves a guest to another node (form: target, online=1,
// with-local-disks=1 for VMs; restart=1 for containers).
func (c *Client) Migrate(ctx context.Context, node string, kind GuestKind, vmid int, form url.Values) (string, error) {
	if err := kind.valid(); err != nil {
		return "", err
	}
	var upid string
	if err := c.Post(ctx, guestPath(node, kind, vmid)+"/migrate", form, &upid); err != nil {
		return "", fmt.Errorf("migrate %s %d to %s: %w", kind.noun(), vmid, form.Get("target"), err)
	}
	return upid, nil
}

// Resize grows a disk: size is absolute ("32G") or relative ("+10G"); a
// bare number is bytes. Returns the task UPID or "" (older servers resize
// synchronously).
func (c *Client) Resize(ctx context.Context, node string, kind GuestKind, vmid int, disk, size string) (string, error) {
	if err := kind.valid(); err != nil {
		return "", err
	}
	form := url.Values{"disk": {disk}, "size": {size}}
	var upid string
	if err := c.Put(ctx, guestPath(node, kind, vmid)+"/resize", form, &upid); err != nil {
		return "", fmt.Errorf("resize %s of %s %d: %w", disk, kind.noun(), vmid, err)
	}
	return upid, nil
}

// Snapshot is a row of GET .../snapshot; the row named "current" is the
// live state.
type Snapshot struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Parent      string `json:"parent,omitempty"`
	SnapTime    Int    `json:"snaptime,omitempty"`
	VMState     Bool   `json:"vmstate,omitempty"`
	Running     Bool   `json:"running,omitempty"`
}

// Snapshots lists a guest's snapshots.
func (c *Client) Snapshots(ctx context.Context, node string, kind GuestKind, vmid int) ([]Snapshot, error) {
	if err := kind.valid(); err != nil {
		return nil, err
	}
	var out []Snapshot
	if err := c.Get(ctx, guestPath(node, kind, vmid)+"/snapshot", nil, &out); err != nil {
		return nil, fmt.Errorf("list snapshots of %s %d: %w", kind.noun(), vmid, err)
	}
	return out, nil
}

// CreateSnapshot snapshots a guest under name.
func (c *Client) CreateSnapshot(ctx context.Context, node string, kind GuestKind, vmid int, name string) (string, error) {
	return c.CreateSnapshotForm(ctx, node, kind, vmid, url.Values{"snapname": {name}})
}

// CreateSnapshotForm snapshots a guest with a full form (snapname,
// description, vmstate=1).
func (c *Client) CreateSnapshotForm(ctx context.Context, node string, kind GuestKind, vmid int, form url.Values) (string, error) {
	if err := kind.valid(); err != nil {
		return "", err
	}
	var upid string
	if err := c.Post(ctx, guestPath(node, kind, vmid)+"/snapshot", form, &upid); err != nil {
		return "", fmt.Errorf("snapshot %s %d as %s: %w", kind.noun(), vmid, form.Get("snapname"), err)
	}
	return upid, nil
}

// RollbackSnapshot rolls a guest back to snapshot name.
func (c *Client) RollbackSnapshot(ctx context.Context, node string, kind GuestKind, vmid int, name string) (string, error) {
	if err := kind.valid(); err != nil {
		return "", err
	}
	var upid string
	if err := c.Post(ctx, guestPath(node, kind, vmid)+"/snapshot/"+seg(name)+"/rollback", nil, &upid); err != nil {
		return "", fmt.Errorf("roll %s %d back to %s: %w", kind.noun(), vmid, name, err)
	}
	return upid, nil
}

// DeleteSnapshot deletes snapshot name of a guest.
func (c *Client) DeleteSnapshot(ctx context.Context, node string, kind GuestKind, vmid int, name string) (string, error) {
	if err := kind.valid(); err != nil {
		return "", err
	}
	var upid string
	if err := c.Delete(ctx, guestPath(node, kind, vmid)+"/snapshot/"+seg(name), nil, &upid); err != nil {
		return "", fmt.Errorf("delete snapshot %s of %s %d: %w", name, kind.noun(), vmid, err)
	}
	return upid, nil
}

// AgentIP is an address reported by the QEMU guest agent.
type AgentIP struct {
	Address string `json:"ip-address"`
	Type    string `json:"ip-address-type"` // "ipv4" | "ipv6" (agent), "inet" | "inet6" (lxc)
	Prefix  Int    `json:"prefix"`
}

// AgentInterface is an interface reported by the guest agent (or by
// GET /lxc/{vmid}/interfaces).
type AgentInterface struct {
	Name            string    `json:"name"`
	HardwareAddress string    `json:"hardware-address"`
	IPAddresses     []AgentIP `json:"ip-addresses"`
}

// AgentInterfaces asks a VM's guest agent for its interfaces.
func (c *Client) AgentInterfaces(ctx context.Context, node string, vmid int) ([]AgentInterface, error) {
	var out struct {
		Result []AgentInterface `json:"result"`
	}
	if err := c.Get(ctx, guestPath(node, KindVM, vmid)+"/agent/network-get-interfaces", nil, &out); err != nil {
		return nil, fmt.Errorf("read agent interfaces of vm %d: %w", vmid, err)
	}
	return out.Result, nil
}

// ContainerInterfaces lists a running container's interfaces.
func (c *Client) ContainerInterfaces(ctx context.Context, node string, vmid int) ([]AgentInterface, error) {
	var out []AgentInterface
	if err := c.Get(ctx, guestPath(node, KindCT, vmid)+"/interfaces", nil, &out); err != nil {
		return nil, fmt.Errorf("read interfaces of ct %d: %w", vmid, err)
	}
	return out, nil
}
