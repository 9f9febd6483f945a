// Package state is the memory of a workspace: what exists on the cluster as
// the last sync saw it, what changed between syncs, and every action taken.
// It holds the Store interface and its records; the implementations are
// state/sqlite (default, embedded) and state/postgres (teams). It is the
// only package tree with SQL.
package state

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors; implementations wrap them so callers can errors.Is.
var (
	ErrNotFound = errors.New("not found")
	// ErrSchemaTooNew: the database was migrated by a newer proxmox-mpc.
	ErrSchemaTooNew = errors.New("database schema is newer than this binary")
	// ErrLocked: another process holds the database's write lock beyond the busy timeout.
	ErrLocked = errors.New("database is locked by another process")
	// ErrCorrupt: the file is not a database of ours, or fails its integrity check.
	ErrCorrupt = errors.New("database file is damaged or not a proxmox-mpc state database")
	// ErrConflict: another sync was committed after the one this write was based on.
	ErrConflict = errors.New("another sync was recorded meanwhile")
)

// Guest types, as in the rest of the program.
const (
	TypeVM = "vm"
	TypeCT = "ct"
)

// Cluster identifies the PVE endpoint a state database describes.
type Cluster struct {
	Endpoint    string `json:"endpoint"`
	Name        string `json:"name"` // cluster name, "" when standalone
	Version     string `json:"version"`
	Fingerprint string `json:"fingerprint"`
}

// Node is one cluster member.
type Node struct {
	Name            string  `json:"name"`
	Status          string  `json:"status"`
	CPUs            int     `json:"cpus"`
	CPUUsage        float64 `json:"cpu_usage"`
	MemoryBytes     int64   `json:"memory_bytes"`
	MemoryUsedBytes int64   `json:"memory_used_bytes"`
	DiskBytes       int64   `json:"disk_bytes"`
	DiskUsedBytes   int64   `json:"disk_used_bytes"`
	UptimeSeconds   int64   `json:"uptime_seconds"`
	SSLFingerprint  string  `json:"ssl_fingerprint"`
}

// Guest is one VM or container with its full configuration.
type Guest struct {
	VMID            int               `json:"vmid"`
	Type            string            `json:"type"` // TypeVM or TypeCT
	Node            string            `json:"node"`
	Name            string            `json:"name"`
	Status          string            `json:"status"`
	Tags            []string          `json:"tags"`
	Pool            string            `json:"pool"`
	Template        bool              `json:"template"`
	HAState         string            `json:"ha_state"`
	Lock            string            `json:"lock"`
	CPUs            float64           `json:"cpus"`
	MemoryBytes     int64             `json:"memory_bytes"`
	DiskBytes       int64             `json:"disk_bytes"`
	Config          map[string]string `json:"config"` // every key as PVE returns it
	Digest          string            `json:"digest"` // PVE's config digest (SHA-1)
	AgentIPs        []string          `json:"agent_ips"`
	FirstSeen       time.Time         `json:"first_seen"`
	LastSeen        time.Time         `json:"last_seen"`
	RemovedAt       *time.Time        `json:"removed_at"`
	UptimeSeconds   int64             `json:"uptime_seconds"`
	MemoryUsedBytes int64             `json:"memory_used_bytes"`
}

// Storage is one storage as seen from one node.
type Storage struct {
	Node       string   `json:"node"`
	Name       string   `json:"name"`
	Type       string   `json:"type"`
	Content    []string `json:"content"`
	Shared     bool     `json:"shared"`
	Status     string   `json:"status"`
	UsedBytes  int64    `json:"used_bytes"`
	TotalBytes int64    `json:"total_bytes"`
}

// Network is one host interface or bridge of a node.
type Network struct {
	Node      string `json:"node"`
	Name      string `json:"name"`
	Type      string `json:"type"`
	CIDR      string `json:"cidr"`
	Gateway   string `json:"gateway"`
	Ports     string `json:"ports"`
	VLANAware bool   `json:"vlan_aware"`
	Active    bool   `json:"active"`
}

// Volume is a template archive (vztmpl) or an ISO image on a storage.
type Volume struct {
	Node      string `json:"node"` // "" for shared storage
	Storage   string `json:"storage"`
	Volid     string `json:"volid"`
	Content   string `json:"content"` // "iso" or "vztmpl"
	SizeBytes int64  `json:"size_bytes"`
}

// Snapshot is one guest snapshot.
type Snapshot struct {
	VMID        int        `json:"vmid"`
	Name        string     `json:"name"`
	Parent      string     `json:"parent"`
	Description string     `json:"description"`
	Time        *time.Time `json:"time"`
	VMState     bool       `json:"vmstate"`
}

// Inventory is everything one sync saw.
type Inventory struct {
	Cluster   Cluster    `json:"cluster"`
	Nodes     []Node     `json:"nodes"`
	Guests    []Guest    `json:"guests"`
	Storages  []Storage  `json:"storages"`
	Networks  []Network  `json:"networks"`
	Volumes   []Volume   `json:"volumes"`
	Snapshots []Snapshot `json:"snapshots"`
}

// Sync outcomes.
const (
	OutcomeRunning = "running"
	OutcomeOK      = "ok"
	OutcomeFailed  = "failed"
)

// SyncRun is one discovery run.
type SyncRun struct {
	ID         int64      `json:"id"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	Outcome    string     `json:"outcome"`
	Error      string     `json:"error"`
	Added      int        `json:"added"`
	Changed    int        `json:"changed"`
	Removed    int        `json:"removed"`
	Unchanged  int        `json:"unchanged"`
}

// Change kinds.
const (
	ChangeCreated = "created"
	ChangeUpdated = "changed"
	ChangeRemoved = "removed"
)

// Change is one entry of resource_history: a resource created or removed,
// or one field of it changed (cores 2 → 4).
type Change struct {
	SyncID       int64     `json:"sync_id"`
	At           time.Time `json:"at"`
	ResourceType string    `json:"resource_type"` // "guest", "node", "storage", "network", "volume", "snapshot"
	ResourceKey  string    `json:"resource_key"`  // "guest/101", "node/pve1", "storage/pve1/local", ...
	Name         string    `json:"name"`
	Kind         string    `json:"kind"` // ChangeCreated, ChangeUpdated, ChangeRemoved
	Field        string    `json:"field"`
	Old          string    `json:"old"`
	New          string    `json:"new"`
}

// Operation is one entry of the audit journal.
type Operation struct {
	ID            int64          `json:"id"`
	StartedAt     time.Time      `json:"started_at"`
	FinishedAt    *time.Time     `json:"finished_at"`
	OSUser        string         `json:"os_user"`
	APIIdentity   string         `json:"api_identity"`
	Action        string         `json:"action"`
	Target        string         `json:"target"`
	Params        map[string]any `json:"params"`
	UPID          string         `json:"upid"`
	Outcome       string         `json:"outcome"`
	Error         string         `json:"error"`
	DurationMS    int64          `json:"duration_ms"`
	CorrelationID string         `json:"correlation_id"`
}

// GuestFilter narrows Guests; zero values match everything.
type GuestFilter struct {
	Type           string
	VMID           int
	Name           string
	IncludeRemoved bool
}

// HistoryFilter narrows History; zero values match everything.
type HistoryFilter struct {
	ResourceKey string
	SyncID      int64
	Limit       int
}

// OperationFilter narrows Operations.
type OperationFilter struct {
	Action        string
	CorrelationID string
	Since         time.Time
	Limit         int
}

// SyncWrite is everything one successful sync writes, in one transaction.
type SyncWrite struct {
	// BaseSyncID is the last successful sync the changes were computed
	// against (0 for the first); the write fails with ErrConflict when a
	// later one was committed meanwhile.
	BaseSyncID int64
	Run        SyncRun
	Inventory  Inventory
	Changes    []Change
	// Unchanged optionally names the guests (by VMID) whose stored record
	// equals the inventory's except for the volatile values — LastSeen,
	// UptimeSeconds, MemoryUsedBytes, Digest — as a sync's diff found. A
	// store may then update only those values of them; the stored result
	// is the same either way.
	Unchanged map[int]bool
}

// Info describes the database for /health and error messages.
type Info struct {
	Backend       string `json:"backend"` // "sqlite" or "postgres"
	Location      string `json:"location"`
	SchemaVersion int64  `json:"schema_version"`
	SizeBytes     int64  `json:"size_bytes"`
}

// Store is the state database. Implementations are safe for concurrent use.
type Store interface {
	// Info reports backend, location and schema version.
	Info(ctx context.Context) (Info, error)
	// Check runs the backend's integrity check.
	Check(ctx context.Context) error
	Close() error

	// BeginSync records a running sync and returns its id.
	BeginSync(ctx context.Context, startedAt time.Time) (int64, error)
	// CommitSync writes the inventory (replacing the current one, marking
	// guests that disappeared as removed), the changes and the finished run
	// in ONE transaction; nothing is written when it fails.
	CommitSync(ctx context.Context, w SyncWrite) error
	// FailSync records a run that ended in an error; the inventory is untouched.
	FailSync(ctx context.Context, id int64, finishedAt time.Time, cause string) error
	// LastSync is the newest successful run, or ErrNotFound.
	LastSync(ctx context.Context) (SyncRun, error)
	// SyncRuns lists runs, newest first.
	SyncRuns(ctx context.Context, limit int) ([]SyncRun, error)

	// Inventory returns the current inventory (removed guests excluded).
	Inventory(ctx context.Context) (Inventory, error)
	// Guests lists guests by filter, ordered by vmid.
	Guests(ctx context.Context, f GuestFilter) ([]Guest, error)
	// History lists changes, oldest first.
	History(ctx context.Context, f HistoryFilter) ([]Change, error)

	// RecordOperation appends to the audit journal and returns the id.
	RecordOperation(ctx context.Context, op Operation) (int64, error)
	// FinishOperation sets the outcome of a journaled operation.
	FinishOperation(ctx context.Context, id int64, finishedAt time.Time, outcome, errText, upid string) error
	// Operations lists journal entries, newest first.
	Operations(ctx context.Context, f OperationFilter) ([]Operation, error)

	// GeneratedFiles lists what the last code generation wrote, by path.
	GeneratedFiles(ctx context.Context) ([]GeneratedFile, error)
	// RecordGeneratedFiles stores files (replacing same paths) and forgets
	// the paths in removed, in one transaction.
	RecordGeneratedFiles(ctx context.Context, files []GeneratedFile, removed []string) error

	// CodeCacheGet returns the code cache values stored for hashes
	// (missing ones are absent, nil hashes is none) and marks them used
	// now; to keep reads cheap, an entry already used within the last
	// CodeCacheTouch is not written again.
	CodeCacheGet(ctx context.Context, hashes []string) (map[string][]byte, error)
	// CodeCachePut stores values by hash (replacing the same hashes) as
	// used at usedAt, and removes the entries not used since
	// usedAt - CodeCacheTTL, in one transaction.
	CodeCachePut(ctx context.Context, entries map[string][]byte, usedAt time.Time) error
}

// The code cache keeps what reading each Terraform file yielded, by
// content hash (see iac/terraform.Cache), so that reading a workspace's
// code parses only the files that changed. Its values are opaque here.
const (
	// CodeCacheTTL is how long an entry nobody reads or stores is kept.
	CodeCacheTTL = 30 * 24 * time.Hour
	// CodeCacheTouch is how stale an entry's last use may be before a
	// CodeCacheGet records the use.
	CodeCacheTouch = 24 * time.Hour
)

// GeneratedFile is what code generation last wrote to one workspace file
// (Path relative to the workspace root, with forward slashes): the base
// against which a person's hand edits are detected and merged.
type GeneratedFile struct {
	Path        string    `json:"path"`
	SHA256      string    `json:"sha256"`
	Content     []byte    `json:"-"`
	GeneratedAt time.Time `json:"generated_at"`
}
