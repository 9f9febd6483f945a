package pve

import (
	"context"
	"fmt"
	"net/url"
)

// Node is a row of GET /nodes.
type Node struct {
	Node           string `json:"node"`
	Status         string `json:"status"` // "online" | "offline" | "unknown"
	ID             string `json:"id,omitempty"`
	Type           string `json:"type,omitempty"`
	Level          string `json:"level,omitempty"`
	SSLFingerprint string `json:"ssl_fingerprint,omitempty"`
	CPU            Float  `json:"cpu,omitempty"`
	MaxCPU         Int    `json:"maxcpu,omitempty"`
	Mem            Int    `json:"mem,omitempty"`
	MaxMem         Int    `json:"maxmem,omitempty"`
	Disk           Int    `json:"disk,omitempty"`
	MaxDisk        Int    `json:"maxdisk,omitempty"`
	Uptime         Int    `json:"uptime,omitempty"`
}

// Nodes lists cluster nodes.
func (c *Client) Nodes(ctx context.Context) ([]Node, error) {
	var out []Node
	if err := c.Get(ctx, "/nodes", nil, &out); err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	return out, nil
}

// MemUsage is a total/used/free triple in bytes.
type MemUsage struct {
	Total Int `json:"total"`
	Used  Int `json:"used"`
	Free  Int `json:"free"`
	Avail Int `json:"avail,omitempty"`
}

// CPUInfo is the cpuinfo member of a node status.
type CPUInfo struct {
	Model   string `json:"model"`
	MHz     Float  `json:"mhz"`
	Sockets Int    `json:"sockets"`
	Cores   Int    `json:"cores"`
	CPUs    Int    `json:"cpus"`
	HVM     Bool   `json:"hvm"`
	UserHz  Int    `json:"user_hz,omitempty"`
	Flags   string `json:"flags,omitempty"`
}

// NodeStatus is GET /nodes/{node}/status.
type NodeStatus struct {
	CPU        Float    `json:"cpu"`
	Wait       Float    `json:"wait"`
	Idle       Float    `json:"idle"`
	Uptime     Int      `json:"uptime"`
	PVEVersion string   `json:"pveversion"`
	Kversion   string   `json:"kversion"`
	LoadAvg    []Text   `json:"loadavg"`
	CPUInfo    CPUInfo  `json:"cpuinfo"`
	Memory     MemUsage `json:"memory"`
	Swap       MemUsage `json:"swap"`
	RootFS     MemUsage `json:"rootfs"`
	KSM        struct {
		Shared Int `json:"shared"`
	} `json:"ksm"`
}

// NodeStatus reads the status of node.
func (c *Client) NodeStatus(ctx context.Context, node string) (*NodeStatus, error) {
	var out NodeStatus
	if err := c.Get(ctx, "/nodes/"+seg(node)+"/status", nil, &out); err != nil {
		return nil, fmt.Errorf("read status of node %s: %w", node, err)
	}
	return &out, nil
}

// Storage is a row of GET /nodes/{node}/storage.
type Storage struct {
	Storage      string `json:"storage"`
	Type         string `json:"type"`
	Content      string `json:"content"`
	Active       Bool   `json:"active"`
	Enabled      Bool   `json:"enabled"`
	Shared       Bool   `json:"shared"`
	Used         Int    `json:"used"`
	Total        Int    `json:"total"`
	Avail        Int    `json:"avail"`
	UsedFraction Float  `json:"used_fraction"`
}

// Storage lists the storages of node.
func (c *Client) Storage(ctx context.Context, node string) ([]Storage, error) {
	var out []Storage
	if err := c.Get(ctx, "/nodes/"+seg(node)+"/storage", nil, &out); err != nil {
		return nil, fmt.Errorf("list storage of node %s: %w", node, err)
	}
	return out, nil
}

// StorageItem is a row of GET /nodes/{node}/storage/{storage}/content.
type StorageItem struct {
	Volid     string `json:"volid"`
	Content   string `json:"content"`
	Format    string `json:"format"`
	Size      Int    `json:"size"`
	Used      Int    `json:"used,omitempty"`
	CTime     Int    `json:"ctime,omitempty"`
	VMID      Int    `json:"vmid,omitempty"`
	Parent    string `json:"parent,omitempty"`
	Notes     string `json:"notes,omitempty"`
	Protected Bool   `json:"protected,omitempty"`
	Subtype   string `json:"subtype,omitempty"`
}

// StorageContent lists the volumes on a storage; content filters by type
// ("images", "iso", "vztmpl", "backup", ...; "" = all).
func (c *Client) StorageContent(ctx context.Context, node, storage, content string) ([]StorageItem, error) {
	var q url.Values
	if content != "" {
		q = url.Values{"content": {content}}
	}
	var out []StorageItem
	if err := c.Get(ctx, "/nodes/"+seg(node)+"/storage/"+seg(storage)+"/content", q, &out); err != nil {
		return nil, fmt.Errorf("list content of storage %s on %s: %w", storage, node, err)
	}
	return out, nil
}

// NetworkInterface is a row of GET /nodes/{node}/network.
type NetworkInterface struct {
	Iface           string   `json:"iface"`
	Type            string   `json:"type"`
	Method          string   `json:"method,omitempty"`
	Method6         string   `json:"method6,omitempty"`
	Address         string   `json:"address,omitempty"`
	Netmask         Text     `json:"netmask,omitempty"`
	CIDR            string   `json:"cidr,omitempty"`
	Gateway         string   `json:"gateway,omitempty"`
	Address6        string   `json:"address6,omitempty"`
	Netmask6        Text     `json:"netmask6,omitempty"`
	CIDR6           string   `json:"cidr6,omitempty"`
	Gateway6        string   `json:"gateway6,omitempty"`
	Comments        string   `json:"comments,omitempty"`
	BridgePorts     string   `json:"bridge_ports,omitempty"`
	BridgeSTP       Text     `json:"bridge_stp,omitempty"`
	BridgeFD        Text     `json:"bridge_fd,omitempty"`
	BridgeVLANAware Bool     `json:"bridge_vlan_aware,omitempty"`
	BridgeVIDs      string   `json:"bridge_vids,omitempty"`
	VLANID          Int      `json:"vlan-id,omitempty"`
	VLANRawDevice   string   `json:"vlan-raw-device,omitempty"`
	Slaves          string   `json:"slaves,omitempty"`
	BondMode        string   `json:"bond_mode,omitempty"`
	MTU             Int      `json:"mtu,omitempty"`
	Active          Bool     `json:"active,omitempty"`
	Autostart       Bool     `json:"autostart,omitempty"`
	Exists          Bool     `json:"exists,omitempty"`
	Priority        Int      `json:"priority,omitempty"`
	Families        []string `json:"families,omitempty"`
	Options         []string `json:"options,omitempty"`
}

// Network lists the network interfaces of node.
func (c *Client) Network(ctx context.Context, node string) ([]NetworkInterface, error) {
	var out []NetworkInterface
	if err := c.Get(ctx, "/nodes/"+seg(node)+"/network", nil, &out); err != nil {
		return nil, fmt.Errorf("list network of node %s: %w", node, err)
	}
	return out, nil
}
