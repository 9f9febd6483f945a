package lifecycle

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/proxmox-mpc/proxmox-mpc/internal/inventory"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
)

// CreateRequest asks to create a VM or container.
type CreateRequest struct {
	Type       string // inventory.TypeVM or TypeCT
	Name       string // VM name or container hostname
	Node       string // "" = the online node with the most free memory
	VMID       int    // 0 = the next free id
	Cores      int    // 0 = 1
	Memory     string // "" = 2G (VM) or 512M (CT)
	Disk       string // "" = 32G (VM) or 8G (CT)
	Storage    string // "" = the node's local storage for the content with most room
	Net        string // bridge=vmbr0[,vlan=10][,model=virtio][,firewall=1][,ip=dhcp][,gw=...]; "" = bridge=vmbr0
	OSType     string // VMs: l26, win11, ...; containers: debian, ubuntu, ...
	OSTemplate string // containers: the template volume, e.g. local:vztmpl/debian-13-standard_13.1-2_amd64.tar.zst
	Start      bool
}

// CreatePlan is a create's plan and what it will create.
type CreatePlan struct {
	Plan
	Guest inventory.Guest
}

// PlanCreate validates a create (name, VMID free, node online, sizes,
// storage with the right content and room, bridge, container template
// present) and plans one POST /nodes/{node}/{qemu|lxc}.
func (s *Service) PlanCreate(ctx context.Context, req CreateRequest) (CreatePlan, error) {
	ct := req.Type == inventory.TypeCT
	if err := ValidateGuestName(req.Name); err != nil {
		return CreatePlan{}, err
	}
	if req.VMID != 0 {
		if err := ValidateVMID(req.VMID); err != nil {
			return CreatePlan{}, err
		}
	}
	cores := req.Cores
	if cores == 0 {
		cores = 1
	}
	if err := ValidateCores(cores); err != nil {
		return CreatePlan{}, err
	}
	mem, disk := req.Memory, req.Disk
	if mem == "" {
		mem = map[bool]string{false: "2G", true: "512M"}[ct]
	}
	if disk == "" {
		disk = map[bool]string{false: "32G", true: "8G"}[ct]
	}
	mib, err := ParseMemory(mem)
	if err != nil {
		return CreatePlan{}, err
	}
	size, err := ParseDiskSize(disk)
	if err != nil {
		return CreatePlan{}, err
	}
	netOpts, err := parseNetSpec(req.Net, ct)
	if err != nil {
		return CreatePlan{}, err
	}
	if ct && req.OSTemplate == "" {
		return CreatePlan{}, &ValidationError{What: "template", Problem: "missing", Fix: "pass --ostemplate STORAGE:vztmpl/NAME; `proxmox-mpc get templates` lists them"}
	}
	var notes []string
	node := req.Node
	if node == "" {
		if node, err = s.roomiestNode(ctx); err != nil {
			return CreatePlan{}, err
		}
		notes = append(notes, "goes to node "+node+" (most free memory); pass --node to choose")
	} else if err := s.checkNode(ctx, node); err != nil {
		return CreatePlan{}, err
	}
	content := map[bool]string{false: "images", true: "rootdir"}[ct]
	storage := req.Storage
	if storage == "" {
		if storage, err = s.firstStorage(ctx, node, content); err != nil {
			return CreatePlan{}, err
		}
	}
	if _, err := s.checkStorage(ctx, node, storage, content, size); err != nil {
		return CreatePlan{}, err
	}
	if err := s.checkBridge(ctx, node, netOpts.bridge); err != nil {
		return CreatePlan{}, err
	}
	if ct {
		if err := s.checkTemplate(ctx, node, req.OSTemplate); err != nil {
			return CreatePlan{}, err
		}
	}
	vmid, err := s.nextVMID(ctx, req.VMID)
	if err != nil {
		return CreatePlan{}, err
	}
	gib := strconv.FormatInt(size>>30, 10)
	form := url.Values{
		"vmid":   {strconv.Itoa(vmid)},
		"cores":  {strconv.Itoa(cores)},
		"memory": {strconv.Itoa(mib)},
		"net0":   {netOpts.value},
	}
	if ct {
		form.Set("hostname", req.Name)
		form.Set("ostemplate", req.OSTemplate)
		form.Set("rootfs", storage+":"+gib)
		form.Set("unprivileged", "1")
	} else {
		form.Set("name", req.Name)
		form.Set("scsihw", "virtio-scsi-single")
		form.Set("scsi0", storage+":"+gib+",iothread=1")
		if req.OSType == "" {
			req.OSType = "l26"
		}
	}
	if req.OSType != "" {
		form.Set("ostype", req.OSType)
	}
	if req.Start {
		form.Set("start", "1")
	}
	g := inventory.Guest{VMID: vmid, Name: req.Name, Type: req.Type, Node: node, Status: "stopped"}
	kind := map[bool]pve.GuestKind{false: pve.KindVM, true: pve.KindCT}[ct]
	p := CreatePlan{Guest: g}
	p.Verb = "create"
	for _, n := range notes {
		p.Warnings = append(p.Warnings, Notice{Guest: g, Message: n})
	}
	p.Steps = []Step{{Action: "create", Guest: g, Call: Call{Method: "POST", Path: "/nodes/" + url.PathEscape(node) + "/" + string(kind), Params: form}}}
	return p, nil
}

// netSpec is a parsed --net.
type netSpec struct {
	bridge string
	value  string // the net0 value
}

// parseNetSpec turns "bridge=vmbr0,vlan=10,..." into a net0 value.
func parseNetSpec(spec string, ct bool) (netSpec, error) {
	bad := func(problem string) error {
		return &ValidationError{What: "network", Value: spec, Problem: problem, Fix: "e.g. --net bridge=vmbr0,vlan=10" + map[bool]string{false: ",model=virtio", true: ",ip=dhcp"}[ct]}
	}
	opts := map[string]string{}
	var order []string
	for _, kv := range strings.Split(spec, ",") {
		if strings.TrimSpace(kv) == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok || v == "" {
			return netSpec{}, bad(fmt.Sprintf("%q is not key=value", kv))
		}
		if k == "tag" {
			k = "vlan"
		}
		allowed := []string{"bridge", "vlan", "firewall", "mtu", "rate"}
		if ct {
			allowed = append(allowed, "ip", "gw", "ip6", "gw6")
		} else {
			allowed = append(allowed, "model", "macaddr")
		}
		if !slices.Contains(allowed, k) {
			return netSpec{}, bad("unknown key " + k + " (known: " + strings.Join(allowed, ", ") + ")")
		}
		if _, dup := opts[k]; dup {
			return netSpec{}, bad("key " + k + " given twice")
		}
		opts[k] = v
		order = append(order, k)
	}
	if opts["bridge"] == "" {
		opts["bridge"] = "vmbr0"
	}
	if v, ok := opts["vlan"]; ok {
		if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 4094 {
			return netSpec{}, bad("vlan must be 1..4094")
		}
	}
	parts := []string{}
	if ct {
		parts = append(parts, "name=eth0")
	} else {
		model := opts["model"]
		if model == "" {
			model = "virtio"
		}
		if _, err := pve.ParseNetDevice(model); err != nil {
			return netSpec{}, bad("unknown model " + model)
		}
		first := model
		if mac := opts["macaddr"]; mac != "" {
			first += "=" + mac
		}
		parts = append(parts, first)
	}
	parts = append(parts, "bridge="+opts["bridge"])
	for _, k := range order {
		switch k {
		case "bridge", "model", "macaddr":
		case "vlan":
			parts = append(parts, "tag="+opts[k])
		default:
			parts = append(parts, k+"="+opts[k])
		}
	}
	if ct && opts["ip"] == "" {
		parts = append(parts, "ip=dhcp")
	}
	return netSpec{bridge: opts["bridge"], value: strings.Join(parts, ",")}, nil
}

// roomiestNode is the online node with the most free memory.
func (s *Service) roomiestNode(ctx context.Context) (string, error) {
	nodes, err := s.client.Nodes(ctx)
	if err != nil {
		return "", err
	}
	best, free := "", int64(-1)
	for _, n := range nodes {
		if f := int64(n.MaxMem) - int64(n.Mem); n.Status == "online" && f > free {
			best, free = n.Node, f
		}
	}
	if best == "" {
		return "", &ValidationError{What: "cluster", Problem: "no node is online", Fix: "check the cluster with `proxmox-mpc status`"}
	}
	return best, nil
}

// checkTemplate checks that volid is a container template on node.
func (s *Service) checkTemplate(ctx context.Context, node, volid string) error {
	storage, _, ok := strings.Cut(volid, ":")
	if !ok || storage == "" {
		return &ValidationError{What: "template", Value: volid, Problem: "not a volume id", Fix: "e.g. local:vztmpl/debian-13-standard_13.1-2_amd64.tar.zst"}
	}
	if _, err := s.checkStorage(ctx, node, storage, "vztmpl", 0); err != nil {
		return err
	}
	items, err := s.client.StorageContent(ctx, node, storage, "vztmpl")
	if err != nil {
		return err
	}
	names := make([]string, len(items))
	for i, it := range items {
		if it.Volid == volid {
			return nil
		}
		names[i] = it.Volid
	}
	return &ValidationError{What: "template", Value: volid, Problem: "not on storage " + storage + " of node " + node, Fix: "templates there: " + strings.Join(names, ", ")}
}
