// Package iac holds the desired-state model of guests (VMs and containers)
// that the code generators write and the code readers read back, and the
// conversion from the live PVE configuration stored by sync.
//
// Everything here is a pure function: no files, no network, no printing.
// The rules for which live values are represented, and how, follow
// ../shared/terraform/ADOPTION.md (bpg/proxmox 0.111.1, zero-diff import).
//
// The model holds the values as the provider reads them at import: where a
// PVE key is absent and the provider reads its default, the model holds the
// default (a VM without `cores` has CPU.Cores 1). Where the provider reads an
// invalid zero value (a VM without `memory`), the model holds the zero value
// and Guest.Ignore names the attribute for lifecycle.ignore_changes.
package iac

// Kind is the guest type; the strings equal state.TypeVM and state.TypeCT.
type Kind string

// Guest kinds.
const (
	KindVM Kind = "vm"
	KindCT Kind = "ct"
)

// Guest is the desired state of one VM or container.
type Guest struct {
	Kind        Kind
	Node        string
	VMID        int
	Name        string // VM name, or CT hostname
	Description string
	Tags        []string // in PVE order
	Pool        string
	Template    bool
	Protection  bool
	OnBoot      bool
	Started     bool
	Startup     *Startup
	HookScript  string // volid of a hook script snippet
	// HA is the HA resource state (from the cluster's HA manager); it is not
	// part of the VM or container resource, so writers mention it only.
	HA *HA
	// Clone is the template a new guest is cloned from. Creation-only: never
	// known for a guest that already exists, and never written for one.
	Clone *Clone

	VM *VM // set when Kind is KindVM
	CT *CT // set when Kind is KindCT

	// Unmapped lists every live config key (or key option) that the model
	// does not represent, with the reason; writers put them in comments.
	Unmapped []Unmapped
	// Ignore lists the attributes that need lifecycle.ignore_changes.
	Ignore []IgnoredAttr
	// PreventDestroy is the code's lifecycle.prevent_destroy: destroy and
	// apply refuse to delete or replace the guest. It is never a live
	// value (FromState leaves it false) and writers do not write it.
	PreventDestroy bool
}

// Unmapped is a live config value the model does not represent.
type Unmapped struct {
	Key    string // config key, e.g. "ide0"
	Value  string // "" for secrets
	Reason string
}

// IgnoredAttr is a resource attribute that needs lifecycle.ignore_changes.
type IgnoredAttr struct {
	Attr   string // e.g. "scsi_hardware"
	Reason string
}

// Startup is the start/shutdown order (PVE `startup`).
type Startup struct {
	Order, Up, Down int // Up/Down are delays in seconds; -1 = not set
}

// HA is the HA manager state of a guest.
type HA struct {
	State string // started, stopped, ignored, ...
	Group string
}

// Clone is the source of a clone.
type Clone struct {
	VMID      int
	Node      string
	Datastore string
	Full      bool
}

// VM is the QEMU part of a guest.
type VM struct {
	BIOS         string // default seabios
	Machine      string // verbatim, "" = not set
	SCSIHardware string // default virtio-scsi-pci; "" = key absent
	OSType       string // default other; "" = key absent
	Tablet       bool   // default true
	ACPI         bool   // default true
	Hotplug      string // verbatim, "" = not set
	KVMArgs      string // `args`
	Keyboard     string
	BootOrder    []string // `boot: order=a;b;c`
	CPU          VMCPU
	Memory       VMMemory
	Agent        *Agent
	Disks        []Disk // in config key order (interface name order)
	EFIDisk      *EFIDisk
	TPM          *TPM // only a TPM the provider records (non-default)
	CDROM        *CDROM
	NICs         []NIC // index order; a gap is a zero NIC with Model ""
	CloudInit    *CloudInit
	Serial       []string // serialN values, index order
	VGA          *VGA
}

// VMCPU is the VM cpu block.
type VMCPU struct {
	Cores, Sockets int    // default 1, 1
	Type           string // default qemu64
	Flags          []string
	Limit          float64
	Units          int // 0 = not set
	NUMA           bool
	Affinity       string
	VCPUs          int // hotplugged vCPUs, 0 = not set
}

// VMMemory is the VM memory block.
type VMMemory struct {
	DedicatedMiB  int // default 512; 0 = key absent
	FloatingMiB   int // balloon; absent reads 0
	Shares        int
	Hugepages     string
	KeepHugepages bool
}

// Agent is the QEMU guest agent setting.
type Agent struct {
	Enabled bool
	Trim    bool   // fstrim_cloned_disks
	Type    string // default virtio
}

// Disk is a VM disk (not a CD-ROM, not the cloud-init drive).
type Disk struct {
	Interface string // scsi0, virtio0, sata0, ide0
	Datastore string // default local-lvm
	SizeGiB   int    // floored
	Format    string // only when the config names it
	Cache     string // default none
	Discard   string // default ignore
	AIO       string // default io_uring
	Serial    string
	IOThread  bool
	SSD       bool
	Backup    bool // default true
	Replicate bool // default true
}

// EFIDisk is the VM EFI vars disk.
type EFIDisk struct {
	Datastore       string // default local-lvm
	Type            string // default 2m
	PreEnrolledKeys bool
}

// TPM is the VM TPM state volume.
type TPM struct {
	Datastore string // default local-lvm
	Version   string // default v2.0
}

// CDROM is a CD-ROM drive on ide3 (the only one the provider records).
type CDROM struct {
	Interface string
	FileID    string // volid, "none" or "cdrom"
}

// NIC is a VM network device.
type NIC struct {
	Model    string // default virtio
	MAC      string // verbatim case
	Bridge   string // default vmbr0
	VLAN     int
	Firewall bool
	LinkDown bool
	MTU      int
	Queues   int
	Rate     float64 // MB/s
	Trunks   string  // "10;20;30"
}

// CloudInit is the cloud-init drive and its settings.
type CloudInit struct {
	Datastore  string // default local-lvm
	Interface  string
	Type       string // citype, "" = not set
	Upgrade    *bool  // ciupgrade, nil = not set
	User       string
	SSHKeys    []string // decoded, one key a line
	IPConfigs  []IPConfig
	DNSDomain  string
	DNSServers []string
	// Custom snippets (cicustom), volids.
	UserData, NetworkData, MetaData, VendorData string
}

// IPConfig is one ipconfigN (VM) or the addresses of one CT NIC.
type IPConfig struct {
	IPv4Addr, IPv4GW string // "dhcp" or CIDR
	IPv6Addr, IPv6GW string // "dhcp", "auto" or CIDR
}

// VGA is the display.
type VGA struct {
	Type      string
	MemoryMiB int
	Clipboard string
}

// CT is the LXC part of a guest.
type CT struct {
	Unprivileged bool
	OSType       string // "" = key absent
	// TemplateFileID is the template a container is created from
	// (operating_system.template_file_id): creation-only, not in PVE's
	// config, so "" for every container that already exists.
	TemplateFileID string
	Arch           string // default amd64
	Cores          int    // default 1
	Limit          float64
	Units          int
	MemoryMiB      int // default 512; 0 = key absent
	SwapMiB        int
	RootFS         RootFS
	MountPoints    []MountPoint // index order
	Features       *Features
	NICs           []CTNIC // index order
	DNSDomain      string
	DNSServers     []string
	Console        Console
}

// RootFS is the CT root disk.
type RootFS struct {
	Datastore    string // default local
	SizeGiB      int    // default 4
	MountOptions []string
	ACL, Quota   bool
	Replicate    bool // default true
}

// MountPoint is a CT mount point (mpN).
type MountPoint struct {
	Volume       string // volid, storage id or host path, verbatim
	Path         string
	Size         string // exact string, e.g. "16G"
	ReadOnly     bool
	Backup       bool
	ACL, Quota   bool
	Shared       bool
	Replicate    bool // default true
	MountOptions []string
}

// Features are the CT features.
type Features struct {
	Nesting, FUSE, Keyctl, Mknod bool
	Mount                        []string
}

// CTNIC is a CT network interface with its addresses.
type CTNIC struct {
	Name     string
	Bridge   string // default vmbr0
	MAC      string
	VLAN     int
	Firewall bool
	LinkDown bool
	MTU      int
	Rate     float64
	IP       IPConfig
}

// Console is the CT console setting.
type Console struct {
	Enabled  bool   // default true
	Mode     string // default tty
	TTYCount int    // default 2
}
