package engine

import (
	"cmp"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/proxmox-mpc/proxmox-mpc/internal/iac"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac/terraform"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// Severity of a validation issue.
type Severity string

// Severities.
const (
	SevError   Severity = "error"
	SevWarning Severity = "warning"
)

// Validation checks, the Check of an Issue.
const (
	CheckCode      = "code"      // reading the code: syntax, literals, references
	CheckSchema    = "schema"    // the bpg/proxmox provider schema
	CheckDuplicate = "duplicate" // VMIDs or names used twice in the code
	CheckNode      = "node"      // node_name not in the cluster
	CheckCapacity  = "capacity"  // memory / CPU overcommit of a node
	CheckStorage   = "storage"   // datastore missing on the node or too small
	CheckBridge    = "bridge"    // bridge missing on the node
	CheckTemplate  = "template"  // container template or ISO missing
	CheckProtected = "protected" // a guest tagged protected replaced or deleted
	CheckSecret    = "secret"    // a token or password written into the workspace
	CheckTLS       = "tls"       // TLS verification turned off
	CheckState     = "state"     // what the checks could not see
)

// Issue is one validation finding, at a place in the workspace's files.
type Issue struct {
	Severity Severity `json:"severity"`
	Check    string   `json:"check"`
	File     string   `json:"file,omitempty"` // relative to the workspace root
	Line     int      `json:"line,omitempty"`
	Address  string   `json:"address,omitempty"`
	Message  string   `json:"message"`
	Hint     string   `json:"hint,omitempty"`
}

// ValidateInputs is what validate reads.
type ValidateInputs struct {
	// Terraform is terraform/ (*.tf), keyed by path relative to the
	// workspace root ("terraform/web.tf"), as workspace.ReadDir returns it.
	Terraform map[string][]byte
	// Inventory is the last synced state (state.Store.Inventory); nil when
	// there has been no sync: the checks against it are then skipped.
	Inventory *state.Inventory
	// Managed reports whether a live guest is managed by the code (it was
	// in the last sync), as for a plan.
	Managed func(vmid int) bool
	// Scan are the files the secrets scan reads (terraform/ and ansible/),
	// keyed by path relative to the workspace root.
	Scan map[string][]byte
	// ConfigFile and Config are the workspace config's path and content;
	// Insecure is its `insecure` setting.
	ConfigFile string
	Config     []byte
	Insecure   bool
}

// ValidateOptions tune the policy checks.
type ValidateOptions struct {
	// MemoryOvercommit and CPUOvercommit are the largest allowed ratios
	// of the memory (cores) of a node's guests in the code to the node's
	// memory (CPUs); 0 means 1.0 and 4.0.
	MemoryOvercommit float64
	CPUOvercommit    float64
}

// Report is the result of Validate.
type Report struct {
	Issues   []Issue `json:"issues"`
	Errors   int     `json:"errors"`
	Warnings int     `json:"warnings"`
	Guests   int     `json:"guests"` // guests read from the code
}

// Validate checks the workspace's code: reading it (syntax, literals,
// references), the provider schema, duplicates, and — against the last
// synced state — nodes, capacity, storages, bridges, templates and
// protected guests; then the secrets scan and the TLS setting. Issues are
// sorted by file and line.
func Validate(in ValidateInputs, opts ValidateOptions) Report {
	if opts.MemoryOvercommit <= 0 {
		opts.MemoryOvercommit = 1.0
	}
	if opts.CPUOvercommit <= 0 {
		opts.CPUOvercommit = 4.0
	}
	v := &validator{in: in, opts: opts, loc: newLocator(in.Terraform)}
	code := v.readCode()
	if code != nil {
		v.rep.Guests = len(code.Guests)
		v.duplicates(code)
		if in.Inventory == nil {
			v.add(Issue{Severity: SevWarning, Check: CheckState,
				Message: "no synced state: the node, capacity, storage, bridge, template and protected-guest checks were skipped",
				Hint:    "run `proxmox-mpc sync` first"})
		} else {
			v.inventoryChecks(code)
		}
	}
	v.secrets()
	v.tls()
	slices.SortStableFunc(v.rep.Issues, func(a, b Issue) int {
		if (a.File == "") != (b.File == "") {
			if a.File == "" {
				return 1
			}
			return -1
		}
		return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
	})
	if v.rep.Issues == nil {
		v.rep.Issues = []Issue{}
	}
	return v.rep
}

type validator struct {
	in      ValidateInputs
	opts    ValidateOptions
	loc     *locator
	rep     Report
	readErr bool // the code had errors: checks that need all of it are skipped
}

func (v *validator) add(is Issue) {
	if is.Severity == SevError {
		v.rep.Errors++
	} else {
		v.rep.Warnings++
	}
	v.rep.Issues = append(v.rep.Issues, is)
}

// at adds an issue located at the resource address (and, when found, at
// its nested block / attribute).
func (v *validator) at(sev Severity, check, address string, where locPath, hint, format string, args ...any) {
	file, line := v.loc.find(address, where)
	v.add(Issue{Severity: sev, Check: check, File: file, Line: line, Address: address, Message: fmt.Sprintf(format, args...), Hint: hint})
}

// readCode reads the code and runs the schema check, reporting every
// problem of both once.
func (v *validator) readCode() *terraform.Code {
	code, err := terraform.Read(v.in.Terraform)
	seen := map[string]bool{}
	report := func(check string, es []*terraform.Error) {
		for _, e := range es {
			key := fmt.Sprintf("%s:%d:%d:%s", e.File, e.Line, e.Col, e.Summary)
			if seen[key] {
				continue
			}
			seen[key] = true
			v.add(Issue{Severity: SevError, Check: check, File: e.File, Line: e.Line, Message: e.Summary, Hint: e.HintText})
		}
	}
	if err != nil {
		v.readErr = true
		es, ok := err.(terraform.Errors) //nolint:errorlint // Read returns Errors itself
		if !ok {
			v.add(Issue{Severity: SevError, Check: CheckCode, Message: err.Error()})
			return nil
		}
		report(CheckCode, es)
	}
	report(CheckSchema, terraform.CheckSchema(v.in.Terraform))
	if code != nil {
		for _, w := range code.Warnings {
			v.add(Issue{Severity: SevWarning, Check: CheckCode, File: w.File, Line: w.Line, Message: w.Summary, Hint: w.HintText})
		}
	}
	return code
}

// duplicates reports VMIDs and names used by more than one resource.
func (v *validator) duplicates(code *terraform.Code) {
	byID := map[int][]string{}
	byName := map[string][]string{}
	for _, g := range code.Guests {
		if g.VMID != 0 {
			byID[g.VMID] = append(byID[g.VMID], g.Address)
		}
		if g.Name != "" {
			k := string(g.Kind) + "/" + g.Name
			byName[k] = append(byName[k], g.Address)
		}
	}
	for _, g := range code.Guests {
		if as := byID[g.VMID]; g.VMID != 0 && len(as) > 1 {
			v.at(SevError, CheckDuplicate, g.Address, locPath{attr: "vm_id"},
				"give each resource its own vm_id (or leave vm_id out: PVE picks a free one)",
				"vmid %d is also used by %s", g.VMID, strings.Join(others(as, g.Address), ", "))
		}
		if as := byName[string(g.Kind)+"/"+g.Name]; g.Name != "" && len(as) > 1 {
			v.at(SevWarning, CheckDuplicate, g.Address, locPath{attr: "name"},
				"rename one of them: commands that take a name (`set`, `start`, ...) cannot tell them apart",
				"%s name %q is also used by %s", kindNoun(g.Kind), g.Name, strings.Join(others(as, g.Address), ", "))
		}
	}
}

func others(as []string, self string) []string {
	out := make([]string, 0, len(as)-1)
	for _, a := range as {
		if a != self {
			out = append(out, a)
		}
	}
	return out
}

func kindNoun(k iac.Kind) string {
	if k == iac.KindCT {
		return "container"
	}
	return "VM"
}

// site is where guests put things: a node, and the storages, bridges and
// volumes it sees.
type site struct {
	node     *state.Node
	storages map[string]*state.Storage
	bridges  map[string]bool
}

func (v *validator) inventoryChecks(code *terraform.Code) {
	inv := v.in.Inventory
	sites := map[string]*site{}
	for i := range inv.Nodes {
		n := &inv.Nodes[i]
		sites[n.Name] = &site{node: n, storages: map[string]*state.Storage{}, bridges: map[string]bool{}}
	}
	for i := range inv.Storages {
		s := &inv.Storages[i]
		if st := sites[s.Node]; st != nil {
			st.storages[s.Name] = s
		}
	}
	for _, n := range inv.Networks {
		if st := sites[n.Node]; st != nil {
			st.bridges[n.Name] = true
		}
	}
	volumes := map[string]bool{} // node/volid, "/volid" for shared storage
	for _, vol := range inv.Volumes {
		volumes[vol.Node+"/"+vol.Volid] = true
	}

	type load struct{ memMiB, cores int }
	loads := map[string]*load{}
	for _, g := range code.Guests {
		st := sites[g.Node]
		if st == nil {
			v.at(SevError, CheckNode, g.Address, locPath{attr: "node_name"},
				"use one of the cluster's nodes: "+strings.Join(nodeNames(inv), ", "),
				"node %q is not in the cluster", g.Node)
			continue
		}
		v.bridgesOf(&g, st)
		v.templatesOf(&g, volumes)
		for _, p := range placements(&g.Guest) {
			if p.datastore == "" || st.storages[p.datastore] != nil {
				continue
			}
			v.at(SevError, CheckStorage, g.Address, p.where,
				"use one of the storages of "+g.Node+": "+strings.Join(storageNames(st), ", "),
				"storage %q does not exist on node %s", p.datastore, g.Node)
		}
		if g.Template {
			continue // templates never run
		}
		l := loads[g.Node]
		if l == nil {
			l = &load{}
			loads[g.Node] = l
		}
		mem, cores := demand(&g.Guest)
		l.memMiB += mem
		l.cores += cores
		if limit := float64(st.node.MemoryBytes) * v.opts.MemoryOvercommit; st.node.MemoryBytes > 0 && float64(l.memMiB)*(1<<20) > limit && float64(l.memMiB-mem)*(1<<20) <= limit {
			v.at(SevError, CheckCapacity, g.Address, locPath{block: "memory", attr: "dedicated"},
				fmt.Sprintf("lower the memory of the guests on %s, place some on another node, or allow more with --memory-overcommit", g.Node),
				"node %s is overcommitted: the guests of the code have %d MiB of memory, more than %.2g × its %d MiB",
				g.Node, l.memMiB, v.opts.MemoryOvercommit, st.node.MemoryBytes>>20)
		}
		if limit := float64(st.node.CPUs) * v.opts.CPUOvercommit; st.node.CPUs > 0 && float64(l.cores) > limit && float64(l.cores-cores) <= limit {
			v.at(SevError, CheckCapacity, g.Address, locPath{block: "cpu", attr: "cores"},
				fmt.Sprintf("lower the cores of the guests on %s, place some on another node, or allow more with --cpu-overcommit", g.Node),
				"node %s is overcommitted: the guests of the code have %d cores, more than %.2g × its %d CPUs",
				g.Node, l.cores, v.opts.CPUOvercommit, st.node.CPUs)
		}
	}
	if v.readErr {
		v.add(Issue{Severity: SevWarning, Check: CheckState,
			Message: "the storage-space and protected-guest checks need the whole plan and were skipped",
			Hint:    "fix the errors above, then validate again"})
		return
	}
	in := Inputs{Code: code, Live: inv.Guests, Managed: v.in.Managed}
	plan := in.Plan(time.Time{})
	v.protected(plan)
	v.space(plan, sites)
}

func nodeNames(inv *state.Inventory) []string {
	out := make([]string, 0, len(inv.Nodes))
	for _, n := range inv.Nodes {
		out = append(out, n.Name)
	}
	slices.Sort(out)
	return out
}

func storageNames(st *site) []string {
	out := make([]string, 0, len(st.storages))
	for n := range st.storages {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// demand is the memory (MiB) and cores a guest asks of its node.
func demand(g *iac.Guest) (memMiB, cores int) {
	switch {
	case g.Kind == iac.KindCT && g.CT != nil:
		return g.CT.MemoryMiB, g.CT.Cores
	case g.VM != nil:
		return g.VM.Memory.DedicatedMiB, g.VM.CPU.Cores * max(g.VM.CPU.Sockets, 1)
	}
	return 0, 0
}

func (v *validator) bridgesOf(g *terraform.Guest, st *site) {
	var bridges []string
	block := "network_device"
	switch {
	case g.Kind == iac.KindCT && g.CT != nil:
		block = "network_interface"
		for _, n := range g.CT.NICs {
			bridges = append(bridges, n.Bridge)
		}
	case g.VM != nil:
		for _, n := range g.VM.NICs {
			if n.Model == "" {
				bridges = append(bridges, "") // a gap in the list
				continue
			}
			bridges = append(bridges, n.Bridge)
		}
	}
	for i, b := range bridges {
		if b == "" || st.bridges[b] {
			continue
		}
		have := make([]string, 0, len(st.bridges))
		for n := range st.bridges {
			if strings.HasPrefix(n, "vmbr") {
				have = append(have, n)
			}
		}
		slices.Sort(have)
		v.at(SevError, CheckBridge, g.Address, locPath{block: block, index: i, attr: "bridge"},
			fmt.Sprintf("use a bridge of %s (%s), or create %s on the node first", g.Node, strings.Join(have, ", "), b),
			"bridge %q does not exist on node %s", b, g.Node)
	}
}

func (v *validator) templatesOf(g *terraform.Guest, volumes map[string]bool) {
	has := func(volid string) bool { return volumes[g.Node+"/"+volid] || volumes["/"+volid] }
	if g.Kind == iac.KindCT && g.CT != nil && g.CT.TemplateFileID != "" && !has(g.CT.TemplateFileID) {
		v.at(SevError, CheckTemplate, g.Address, locPath{block: "operating_system", attr: "template_file_id"},
			"download it first (`pveam download STORAGE TEMPLATE` on the node), or run `proxmox-mpc get templates` for the ones there are",
			"container template %s is not on node %s", g.CT.TemplateFileID, g.Node)
	}
	if g.VM != nil && g.VM.CDROM != nil {
		if id := g.VM.CDROM.FileID; id != "" && id != "none" && id != "cdrom" && !has(id) {
			v.at(SevError, CheckTemplate, g.Address, locPath{block: "cdrom", attr: "file_id"},
				"upload the ISO to a storage of the node, or run `proxmox-mpc get templates` for the ISOs there are",
				"ISO %s is not on node %s", id, g.Node)
		}
	}
}

// placement is something a guest puts on a datastore.
type placement struct {
	key       string // disk interface, "rootfs", "mpN", "efi_disk", ...
	datastore string
	sizeGiB   float64 // 0 = unknown or negligible
	where     locPath
}

func placements(g *iac.Guest) []placement {
	var out []placement
	switch {
	case g.Kind == iac.KindCT && g.CT != nil:
		ct := g.CT
		out = append(out, placement{key: "rootfs", datastore: ct.RootFS.Datastore, sizeGiB: float64(ct.RootFS.SizeGiB), where: locPath{block: "disk", attr: "datastore_id"}})
		for i, mp := range ct.MountPoints {
			if strings.HasPrefix(mp.Volume, "/") {
				continue // a bind mount of a host path
			}
			ds, _, _ := strings.Cut(mp.Volume, ":")
			out = append(out, placement{key: "mp" + strconv.Itoa(i), datastore: ds, sizeGiB: parseGiB(mp.Size), where: locPath{block: "mount_point", index: i, attr: "volume"}})
		}
	case g.VM != nil:
		vm := g.VM
		for _, d := range vm.Disks {
			out = append(out, placement{key: d.Interface, datastore: d.Datastore, sizeGiB: float64(d.SizeGiB), where: locPath{block: "disk", key: d.Interface, attr: "datastore_id"}})
		}
		if vm.EFIDisk != nil {
			out = append(out, placement{key: "efi_disk", datastore: vm.EFIDisk.Datastore, where: locPath{block: "efi_disk", attr: "datastore_id"}})
		}
		if vm.TPM != nil {
			out = append(out, placement{key: "tpm_state", datastore: vm.TPM.Datastore, where: locPath{block: "tpm_state", attr: "datastore_id"}})
		}
		if vm.CloudInit != nil {
			out = append(out, placement{key: "initialization", datastore: vm.CloudInit.Datastore, where: locPath{block: "initialization", attr: "datastore_id"}})
		}
	}
	return out
}

// parseGiB reads a PVE size ("16G", "512M", "1T", "8") in GiB; 0 when it
// is not one.
func parseGiB(s string) float64 {
	if s == "" {
		return 0
	}
	mult := 1.0
	switch s[len(s)-1] {
	case 'T', 't':
		mult, s = 1024, s[:len(s)-1]
	case 'G', 'g':
		s = s[:len(s)-1]
	case 'M', 'm':
		mult, s = 1.0/1024, s[:len(s)-1]
	case 'K', 'k':
		mult, s = 1.0/(1024*1024), s[:len(s)-1]
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || !(n >= 0) { // NaN too
		return 0
	}
	return n * mult
}

// space checks that the disks the plan creates or grows fit in the free
// space of their storage (shared storages count once).
func (v *validator) space(plan Plan, sites map[string]*site) {
	type need struct {
		st      *state.Storage
		gib     float64
		address string
		where   locPath
		node    string
		warned  bool
	}
	needs := map[string]*need{}
	for _, c := range plan.Changes {
		if c.Desired == nil || c.Action == NoOp {
			continue
		}
		st := sites[c.Desired.Node]
		if st == nil {
			continue
		}
		had := map[string]placement{}
		if c.Action == Update && c.Live != nil {
			live := iac.FromState(*c.Live)
			for _, p := range placements(&live) {
				had[p.key] = p
			}
		}
		for _, p := range placements(c.Desired) {
			s := st.storages[p.datastore]
			if s == nil || p.sizeGiB == 0 {
				continue
			}
			grow := p.sizeGiB
			if old, ok := had[p.key]; ok && old.datastore == p.datastore {
				grow -= old.sizeGiB
			}
			if grow <= 0 {
				continue
			}
			key := s.Name
			if !s.Shared {
				key = s.Node + "/" + s.Name
			}
			n := needs[key]
			if n == nil {
				n = &need{st: s, node: c.Desired.Node}
				needs[key] = n
			}
			n.gib += grow
			n.address, n.where = c.Address, p.where
			free := float64(s.TotalBytes-s.UsedBytes) / (1 << 30)
			if s.TotalBytes > 0 && n.gib > free && !n.warned {
				n.warned = true
				v.at(SevError, CheckStorage, n.address, n.where,
					"free space on the storage, use another storage, or make the disks smaller",
					"storage %s on %s is too small: the plan needs %.0f GiB more on it, %.0f GiB are free", s.Name, n.node, n.gib, free)
			}
		}
	}
}

// protected reports guests tagged `protected` that the plan replaces or
// deletes.
func (v *validator) protected(plan Plan) {
	for _, c := range plan.Changes {
		if c.Action != Replace && c.Action != Delete {
			continue
		}
		tagged := c.Live != nil && slices.Contains(c.Live.Tags, "protected") || c.Desired != nil && slices.Contains(c.Desired.Tags, "protected")
		if !tagged {
			continue
		}
		if c.Action == Delete {
			v.add(Issue{Severity: SevError, Check: CheckProtected, Address: c.Address,
				Message: fmt.Sprintf("%s %q (%d) is tagged protected, and the plan deletes it: its resource was removed from the code", kindNoun(c.Kind), c.Name, c.VMID),
				Hint:    "restore its resource in terraform/ (`proxmox-mpc sync` writes it again); to delete it on purpose, remove the tag on the server first"})
			continue
		}
		var forcing []string
		for _, a := range c.Attrs {
			if a.Disruption == Recreate || a.Disruption == DataLoss {
				forcing = append(forcing, a.Path)
			}
		}
		where := locPath{}
		if len(forcing) > 0 {
			where = pathLoc(forcing[0])
		}
		v.at(SevError, CheckProtected, c.Address, where,
			"undo the change of "+strings.Join(forcing, ", ")+" in the code, or remove the tag on the server first if the guest may really be destroyed",
			"%s %q (%d) is tagged protected, and the plan replaces it (destroys and creates it again)", kindNoun(c.Kind), c.Name, c.VMID)
	}
}

// pathLoc turns a plan attribute path into a place in the resource
// ("network_device[1].bridge", "disk[scsi0].size", "cpu.cores").
func pathLoc(path string) locPath {
	head, attr, ok := strings.Cut(path, ".")
	if !ok {
		return locPath{attr: path}
	}
	if strings.Contains(attr, ".") {
		return locPath{block: root(head)}
	}
	p := locPath{block: root(head), attr: attr}
	if i := strings.IndexByte(head, '['); i >= 0 && strings.HasSuffix(head, "]") {
		idx := head[i+1 : len(head)-1]
		if n, err := strconv.Atoi(idx); err == nil {
			p.index = n
		} else {
			p.key = idx
		}
	}
	return p
}

// locPath is a place inside a resource block: an attribute of the
// resource, or of its index-th (or interface-keyed) nested block.
type locPath struct {
	block string
	index int
	key   string // a disk's interface
	attr  string
}

// locator finds resource blocks (and attributes in them) in the code,
// parsing a file only when a finding needs it.
type locator struct {
	files  map[string][]byte
	byAddr map[string]*hclsyntax.Block
	files2 map[string]string // address → file
	parsed bool
}

func newLocator(files map[string][]byte) *locator { return &locator{files: files} }

func (l *locator) parse() {
	l.parsed = true
	l.byAddr, l.files2 = map[string]*hclsyntax.Block{}, map[string]string{}
	for name, src := range l.files {
		f, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
		if diags.HasErrors() || f == nil {
			continue
		}
		body, ok := f.Body.(*hclsyntax.Body)
		if !ok {
			continue
		}
		for _, b := range body.Blocks {
			if b.Type == "resource" && len(b.Labels) == 2 {
				addr := b.Labels[0] + "." + b.Labels[1]
				if _, dup := l.byAddr[addr]; !dup {
					l.byAddr[addr], l.files2[addr] = b, name
				}
			}
		}
	}
}

// find returns the file and line of p in the resource address: the
// attribute when it is there, else the nested block, else the resource.
func (l *locator) find(address string, p locPath) (string, int) {
	if address == "" {
		return "", 0
	}
	if !l.parsed {
		l.parse()
	}
	b, ok := l.byAddr[address]
	if !ok {
		return "", 0
	}
	file, line := l.files2[address], b.DefRange().Start.Line
	body := b.Body
	if p.block != "" {
		nested := nthBlock(body, p)
		if nested == nil {
			return file, line
		}
		body, line = nested.Body, nested.DefRange().Start.Line
	}
	if a, ok := body.Attributes[p.attr]; ok && p.attr != "" {
		line = a.SrcRange.Start.Line
	}
	return file, line
}

func nthBlock(body *hclsyntax.Body, p locPath) *hclsyntax.Block {
	n := 0
	for _, b := range body.Blocks {
		if b.Type != p.block {
			continue
		}
		if p.key != "" {
			if a, ok := b.Body.Attributes["interface"]; ok {
				if val, diags := a.Expr.Value(nil); !diags.HasErrors() && val.Type().FriendlyName() == "string" && val.IsKnown() && !val.IsNull() && val.AsString() == p.key {
					return b
				}
			}
			continue
		}
		if n == p.index {
			return b
		}
		n++
	}
	return nil
}

// RenderValidation writes the report for a person: one
// `file:line: error|warning: message` line per issue with its hint
// indented below, then the counts.
func RenderValidation(w io.Writer, rep Report, color bool) error {
	p := printer{color: color}
	var b strings.Builder
	for _, is := range rep.Issues {
		if is.File != "" {
			b.WriteString(p.paint(ansiBoldCode, is.File))
			if is.Line > 0 {
				b.WriteString(":" + strconv.Itoa(is.Line))
			}
			b.WriteString(": ")
		}
		if is.Severity == SevError {
			b.WriteString(p.paint(ansiRedCode, "error"))
		} else {
			b.WriteString(p.paint(ansiYellowCode, "warning"))
		}
		b.WriteString(": " + is.Message + "\n")
		if is.Hint != "" {
			b.WriteString("    " + p.paint(ansiGrayCode, "hint: "+is.Hint) + "\n")
		}
	}
	if len(rep.Issues) > 0 {
		b.WriteString("\n")
	}
	b.WriteString(ValidationSummary(rep) + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// ValidationSummary is "2 errors, 1 warning", or "No problems found in N
// guests.".
func ValidationSummary(rep Report) string {
	if rep.Errors == 0 && rep.Warnings == 0 {
		return fmt.Sprintf("No problems found (%d %s checked).", rep.Guests, plural(rep.Guests, "guest", "guests"))
	}
	return fmt.Sprintf("%d %s, %d %s", rep.Errors, plural(rep.Errors, "error", "errors"), rep.Warnings, plural(rep.Warnings, "warning", "warnings"))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

const (
	ansiBoldCode   = "1"
	ansiRedCode    = "31"
	ansiYellowCode = "33"
	ansiGrayCode   = "90"
)

type printer struct{ color bool }

func (p printer) paint(code, s string) string {
	if !p.color {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// Secrets scan.

var (
	// tokenRe is a PVE API token with its secret: USER@REALM!ID=SECRET.
	tokenRe = regexp.MustCompile(`[A-Za-z0-9._-]+@[A-Za-z0-9._-]+![A-Za-z0-9._-]+[=:][A-Za-z0-9-]{8,}`)
	// passwordRe is a password setting: `password = ...`, `cipassword: ...`,
	// `ansible_become_password: ...`.
	passwordRe = regexp.MustCompile(`(?i)(?:^|[^A-Za-z0-9_])([A-Za-z0-9_]*pass(?:word|wd)|cipassword)"?\s*[=:]\s*(.*)$`)
)

// notLiteral are the starts of a value that is not a secret written out:
// references, templates, vault-encrypted values, nothing.
var notLiteral = []string{"var.", "local.", "data.", "module.", "random_password.", "ephemeral.", "each.", "sensitive(", "lookup(",
	"${", "{{", "!vault", "$ANSIBLE_VAULT", "null", "~", "|", ">", "[", "{", "(known after apply)"}

// secrets scans the workspace files for API tokens and passwords written
// in plain text.
func (v *validator) secrets() {
	names := make([]string, 0, len(v.in.Scan))
	for n := range v.in.Scan {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		src := v.in.Scan[name]
		if slices.Contains(src, 0) {
			continue // binary
		}
		ansible := strings.HasPrefix(name, "ansible/")
		for i, line := range strings.Split(string(src), "\n") {
			v.scanLine(name, i+1, line, ansible)
		}
	}
}

func (v *validator) scanLine(file string, n int, line string, ansible bool) {
	trim := strings.TrimSpace(line)
	if strings.HasPrefix(trim, "#") || strings.HasPrefix(trim, "//") {
		return
	}
	if tokenRe.MatchString(line) || strings.Contains(line, "PVEAPIToken=") {
		v.add(Issue{Severity: SevError, Check: CheckSecret, File: file, Line: n,
			Message: "a Proxmox VE API token with its secret is written here",
			Hint:    "remove it: proxmox-mpc and the provider read the token from PROXMOX_VE_API_TOKEN; revoke this token in PVE (Datacenter → Permissions → API Tokens), since it may already be in git history"})
		return
	}
	m := passwordRe.FindStringSubmatch(line)
	if m == nil {
		return
	}
	val := strings.TrimSpace(m[2])
	val = strings.TrimSpace(strings.TrimSuffix(val, ","))
	unq := strings.Trim(val, `"'`)
	if unq == "" || strings.HasPrefix(val, "=") {
		return
	}
	for _, p := range notLiteral {
		if strings.HasPrefix(val, p) || strings.HasPrefix(unq, p) {
			return
		}
	}
	hint := "read it from a variable marked sensitive (`" + m[1] + " = var." + strings.ToLower(m[1]) + "`), set with TF_VAR_" + strings.ToLower(m[1]) + " in the environment, so the value stays out of git"
	if ansible {
		hint = "encrypt it with `ansible-vault encrypt_string`, or read it from the environment with `{{ lookup('env', 'NAME') }}`"
	}
	v.add(Issue{Severity: SevError, Check: CheckSecret, File: file, Line: n,
		Message: fmt.Sprintf("a password is written in plain text (%s)", m[1]), Hint: hint})
}

// tls warns when the workspace turns TLS verification off.
func (v *validator) tls() {
	if !v.in.Insecure {
		return
	}
	line := 0
	for i, l := range strings.Split(string(v.in.Config), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "insecure:") {
			line = i + 1
			break
		}
	}
	v.add(Issue{Severity: SevWarning, Check: CheckTLS, File: v.in.ConfigFile, Line: line,
		Message: "TLS certificate verification is off (insecure: true): anyone on the network path can read the API token",
		Hint:    "pin the server's certificate instead: put its SHA-256 fingerprint (`proxmox-mpc test-connection` shows it) in `fingerprint:` and remove `insecure: true`"})
}
