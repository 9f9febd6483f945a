package terraform

import (
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/proxmox-mpc/proxmox-mpc/internal/iac"
)

// Code is what Read found in a terraform/ folder.
type Code struct {
	Guests   []Guest           // sorted by address
	Imports  map[string]string // resource address → import ID ("node/vmid")
	Files    map[string]string // resource address → file name
	Other    int               // resources of other types (kept, not read)
	Warnings []*Error          // things read but not represented in the model
}

// Guest is a guest read from code, with its resource address
// ("proxmox_virtual_environment_vm.web_01").
type Guest struct {
	Address string
	iac.Guest
}

// Errors are all the problems Read found; it is the error Read returns.
type Errors []*Error

// Error lists the problems, one a line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Hint returns the hint of the first problem that has one.
func (es Errors) Hint() string {
	for _, e := range es {
		if e.HintText != "" {
			return e.HintText
		}
	}
	return ""
}

const (
	literalHint = "proxmox-mpc reads literal values only; use a literal or keep this resource out of terraform/"
	syntaxHint  = "fix the syntax error; `tofu fmt` shows it too"
)

// Read parses Terraform files (name → content) and reads every
// proxmox_virtual_environment_vm and _container resource back into the
// model, including hand edits: any attribute order, single-line blocks,
// comments, attributes the writer would not emit. Values must be literals.
// Other blocks (terraform, provider, variable, ...) are ignored and other
// resource types counted. The error, when not nil, is an Errors.
func Read(files map[string][]byte) (*Code, error) {
	names := sortedNames(files)
	// Files are independent: read them in parallel, merge in name order.
	results := make([]fileResult, len(names))
	forEach(len(names), func(i int) { results[i] = readFile(names[i], files[names[i]]) })
	return merge(names, results)
}

// merge combines the files' results (names sorted, results[i] read from
// names[i]) into the Code and runs the checks across files.
func merge(names []string, results []fileResult) (*Code, error) {
	code := &Code{}
	var errs, warns []*Error
	nGuests, nImports := 0, 0
	for _, res := range results {
		nGuests += len(res.guests)
		nImports += len(res.imports)
	}
	if nGuests > 0 {
		code.Guests = make([]Guest, 0, nGuests)
	}
	code.Imports = make(map[string]string, nImports)
	code.Files = make(map[string]string, nGuests)
	for i, res := range results {
		errs = append(errs, res.errs...)
		warns = append(warns, res.warns...)
		code.Other += res.other
		for _, imp := range res.imports {
			code.Imports[imp[0]] = imp[1]
		}
		for _, g := range res.guests {
			if prev, dup := code.Files[g.Address]; dup {
				errs = append(errs, &Error{File: names[i], Line: g.line, Col: 1, Summary: fmt.Sprintf("resource %s is also defined in %s", g.Address, prev), HintText: "rename one of them"})
				continue
			}
			code.Files[g.Address] = names[i]
			code.Guests = append(code.Guests, g.Guest)
		}
	}
	for i := range code.Guests {
		g := &code.Guests[i]
		id, ok := code.Imports[g.Address]
		if !ok {
			continue
		}
		node, vmid, _ := strings.Cut(id, "/")
		n, err := strconv.Atoi(vmid)
		if err != nil || node == "" {
			continue // reported by readImport
		}
		if g.VMID == 0 {
			g.VMID = n
		}
	}
	slices.SortFunc(code.Guests, func(a, b Guest) int { return strings.Compare(a.Address, b.Address) })
	code.Warnings = warns
	if len(errs) > 0 {
		return code, Errors(errs)
	}
	return code, nil
}

type fileResult struct {
	guests      []lineGuest
	imports     [][2]string // address, id
	other       int
	errs, warns []*Error
}

type lineGuest struct {
	Guest
	line int
}

func readFile(name string, src []byte) fileResult {
	var res fileResult
	d := &decoder{}
	f, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
	if diags.HasErrors() {
		res.errs = diagErrors(diags, syntaxHint)
		return res
	}
	body, ok := f.Body.(*hclsyntax.Body)
	if !ok {
		return res
	}
	for _, b := range body.Blocks {
		switch b.Type {
		case "import":
			if addr, id, ok := d.readImport(b); ok {
				res.imports = append(res.imports, [2]string{addr, id})
			}
		case "resource":
			if len(b.Labels) != 2 {
				continue
			}
			switch b.Labels[0] {
			case TypeVM, TypeCT:
				g := d.readResource(b)
				g.Address = b.Labels[0] + "." + b.Labels[1]
				res.guests = append(res.guests, lineGuest{Guest: g, line: b.DefRange().Start.Line})
			default:
				res.other++
			}
		}
	}
	res.errs, res.warns = d.errs, d.warns
	return res
}

type decoder struct {
	errs, warns []*Error
}

func (d *decoder) readImport(b *hclsyntax.Block) (addr, id string, ok bool) {
	to, idAttr := b.Body.Attributes["to"], b.Body.Attributes["id"]
	if to == nil || idAttr == nil {
		d.errs = append(d.errs, errAt(b.DefRange(), "an import block needs `to` and `id`", "incomplete import block"))
		return "", "", false
	}
	tr, diags := hcl.AbsTraversalForExpr(to.Expr)
	if diags.HasErrors() || len(tr) != 2 {
		d.errs = append(d.errs, errAt(to.Expr.Range(), "write to = <type>.<name>", "import: `to` is not a resource address"))
		return "", "", false
	}
	attr, isAttr := tr[1].(hcl.TraverseAttr)
	if !isAttr {
		d.errs = append(d.errs, errAt(to.Expr.Range(), "write to = <type>.<name>", "import: `to` is not a resource address"))
		return "", "", false
	}
	addr = tr.RootName() + "." + attr.Name
	v, ok := d.value(idAttr, cty.String)
	if !ok || v.IsNull() {
		return "", "", false
	}
	s := v.AsString()
	if tr.RootName() == TypeVM || tr.RootName() == TypeCT {
		node, vmid, found := strings.Cut(s, "/")
		if _, err := strconv.Atoi(vmid); !found || node == "" || err != nil {
			d.errs = append(d.errs, errAt(idAttr.Expr.Range(), `the import ID of a guest is "<node>/<vmid>", e.g. "pve/100"`, "import: id %q is not <node>/<vmid>", s))
			return "", "", false
		}
	}
	return addr, s, true
}

// value evaluates a literal attribute and converts it to ty.
func (d *decoder) value(a *hclsyntax.Attribute, ty cty.Type) (cty.Value, bool) {
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() {
		d.errs = append(d.errs, errAt(a.Expr.Range(), literalHint, "%s: not a literal value", a.Name))
		return cty.NilVal, false
	}
	if !v.IsWhollyKnown() {
		d.errs = append(d.errs, errAt(a.Expr.Range(), literalHint, "%s: not a literal value", a.Name))
		return cty.NilVal, false
	}
	out, err := convert.Convert(v, ty)
	if err != nil {
		d.errs = append(d.errs, errAt(a.Expr.Range(), "", "%s: want %s: %v", a.Name, ty.FriendlyName(), err))
		return cty.NilVal, false
	}
	return out, true
}

// body reads one block body, remembering what it used.
type body struct {
	d          *decoder
	b          *hclsyntax.Body
	parent     *body    // nil for a resource body
	name       string   // block type, or the resource address for a resource body
	used       []string // attribute names read
	usedBlocks []bool   // blocks read, by index in b.Blocks; nil until one is
}

func (d *decoder) open(b *hclsyntax.Body, address string) *body {
	return &body{d: d, b: b, name: address}
}

// path is the body's path for messages: the resource address, then the
// block types.
func (r *body) path() string {
	if r.parent == nil {
		return r.name
	}
	return r.parent.path() + "." + r.name
}

func (r *body) use(name string) {
	if !r.isUsed(name) {
		r.used = append(r.used, name)
	}
}

func (r *body) isUsed(name string) bool {
	return slices.Contains(r.used, name)
}

// literal returns the value of a plain literal of type ty without
// evaluating the expression: a quoted string without interpolation, a
// number or a bool, known and not null. For these, Expr.Value gives the same
// value (a one-part template renders its literal, which the parser already
// normalised as cty.StringVal does) and converting to ty changes nothing.
func literal(e hclsyntax.Expression, ty cty.Type) (cty.Value, bool) {
	var v cty.Value
	switch e := e.(type) {
	case *hclsyntax.LiteralValueExpr:
		v = e.Val
	case *hclsyntax.TemplateExpr:
		if len(e.Parts) != 1 {
			return cty.NilVal, false
		}
		l, ok := e.Parts[0].(*hclsyntax.LiteralValueExpr)
		if !ok {
			return cty.NilVal, false
		}
		v = l.Val
	default:
		return cty.NilVal, false
	}
	if v.Type() != ty || !v.IsKnown() || v.IsNull() || v.IsMarked() {
		return cty.NilVal, false
	}
	return v, true
}

func (r *body) attr(name string, ty cty.Type) (cty.Value, bool) {
	if r == nil {
		return cty.NilVal, false
	}
	a := r.b.Attributes[name]
	if a == nil {
		return cty.NilVal, false
	}
	r.use(name)
	if v, ok := literal(a.Expr, ty); ok {
		return v, true
	}
	v, ok := r.d.value(a, ty)
	if !ok || v.IsNull() {
		return cty.NilVal, false
	}
	return v, true
}

func (r *body) str(name, def string) string {
	v, ok := r.attr(name, cty.String)
	if !ok {
		return def
	}
	return v.AsString()
}

func (r *body) boolean(name string, def bool) bool {
	v, ok := r.attr(name, cty.Bool)
	if !ok {
		return def
	}
	return v.True()
}

func (r *body) float(name string, def float64) float64 {
	v, ok := r.attr(name, cty.Number)
	if !ok {
		return def
	}
	f, _ := v.AsBigFloat().Float64()
	return f
}

func (r *body) integer(name string, def int) int {
	v, ok := r.attr(name, cty.Number)
	if !ok {
		return def
	}
	bf := v.AsBigFloat()
	i, acc := bf.Int64()
	if acc != big.Exact || i > 1<<31 || i < -(1<<31) {
		a := r.b.Attributes[name]
		r.d.errs = append(r.d.errs, errAt(a.Expr.Range(), "", "%s: want a whole number", name))
		return def
	}
	return int(i)
}

func (r *body) list(name string) []string {
	if r == nil {
		return nil
	}
	// A tuple of plain string literals needs no evaluation.
	if a := r.b.Attributes[name]; a != nil {
		if t, ok := a.Expr.(*hclsyntax.TupleConsExpr); ok {
			out := make([]string, 0, len(t.Exprs))
			for _, e := range t.Exprs {
				v, ok := literal(e, cty.String)
				if !ok {
					out = nil
					break
				}
				out = append(out, v.AsString())
			}
			if out != nil {
				r.use(name)
				if len(out) == 0 {
					return nil
				}
				return out
			}
		}
	}
	v, ok := r.attr(name, cty.List(cty.String))
	if !ok || v.LengthInt() == 0 {
		return nil
	}
	out := make([]string, 0, v.LengthInt())
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() {
			continue
		}
		out = append(out, e.AsString())
	}
	return out
}

func (r *body) blocks(typ string) []*body {
	if r == nil {
		return nil
	}
	var out []*body
	for i, b := range r.b.Blocks {
		if b.Type == typ {
			if r.usedBlocks == nil {
				r.usedBlocks = make([]bool, len(r.b.Blocks))
			}
			r.usedBlocks[i] = true
			out = append(out, &body{d: r.d, b: b.Body, parent: r, name: typ})
		}
	}
	return out
}

// block returns the only block of typ, or nil.
func (r *body) block(typ string) *body {
	bs := r.blocks(typ)
	if len(bs) == 0 {
		return nil
	}
	if len(bs) > 1 {
		r.d.errs = append(r.d.errs, errAt(bs[1].b.SrcRange, "keep one", "%s: more than one %s block", r.path(), typ))
	}
	return bs[0]
}

// done warns about every attribute and block that was not read, in this
// body and the bodies opened from it.
func (r *body) done(children ...*body) {
	if r == nil {
		return
	}
	unused := false
	for name := range r.b.Attributes {
		if !r.isUsed(name) {
			unused = true
			break
		}
	}
	if unused {
		for _, a := range sortedAttrs(r.b) {
			if !r.isUsed(a.Name) {
				r.d.warns = append(r.d.warns, errAt(a.NameRange, "proxmox-mpc keeps it in the code but does not manage it", "%s.%s is not represented in the model", r.path(), a.Name))
			}
		}
	}
	for i, b := range r.b.Blocks {
		if r.usedBlocks == nil || !r.usedBlocks[i] {
			r.d.warns = append(r.d.warns, errAt(b.TypeRange, "proxmox-mpc keeps it in the code but does not manage it", "%s: block %s is not represented in the model", r.path(), b.Type))
		}
	}
	for _, c := range children {
		c.done()
	}
}

func (d *decoder) readResource(b *hclsyntax.Block) Guest {
	r := d.open(b.Body, b.Labels[0]+"."+b.Labels[1])
	g := iac.Guest{Kind: iac.KindVM}
	if b.Labels[0] == TypeCT {
		g.Kind = iac.KindCT
	}
	if r.b.Attributes["node_name"] == nil {
		d.errs = append(d.errs, errAt(b.DefRange(), `add node_name = "<node>"`, "%s: missing node_name", r.path()))
	}
	var opened []*body
	// lifecycle first: ignored attributes change the defaults.
	ignored := map[string]bool{}
	for _, lb := range r.blocks("lifecycle") {
		opened = append(opened, lb)
		// prevent_destroy is a literal bool in Terraform too.
		if lb.boolean("prevent_destroy", false) {
			g.PreventDestroy = true
		}
		a := lb.b.Attributes["ignore_changes"]
		if a == nil {
			continue
		}
		lb.use("ignore_changes")
		exprs, diags := hcl.ExprList(a.Expr)
		if diags.HasErrors() {
			d.errs = append(d.errs, errAt(a.Expr.Range(), "list attribute names, e.g. [scsi_hardware]", "ignore_changes: not a list of attribute names"))
			continue
		}
		for _, e := range exprs {
			tr, diags := hcl.AbsTraversalForExpr(e)
			if diags.HasErrors() {
				d.errs = append(d.errs, errAt(e.Range(), "list attribute names, e.g. [scsi_hardware]", "ignore_changes: not an attribute name"))
				continue
			}
			name := tr.RootName()
			if len(tr) > 1 {
				d.warns = append(d.warns, errAt(e.Range(), "", "ignore_changes: only %s is kept in the model", name))
			}
			if !ignored[name] {
				ignored[name] = true
				g.Ignore = append(g.Ignore, iac.IgnoredAttr{Attr: name, Reason: iac.IgnoreReason(name)})
			}
		}
	}
	g.Node = r.str("node_name", "")
	g.Description = r.str("description", "")
	g.Tags = r.list("tags")
	g.Template = r.boolean("template", false)
	g.Protection = r.boolean("protection", false)
	g.Started = r.boolean("started", true)
	g.HookScript = r.str("hook_script_file_id", "")
	if sb := r.block("startup"); sb != nil {
		opened = append(opened, sb)
		g.Startup = &iac.Startup{Order: sb.integer("order", -1), Up: sb.integer("up_delay", -1), Down: sb.integer("down_delay", -1)}
	}
	if g.Kind == iac.KindCT {
		opened = append(opened, d.readCT(r, &g, ignored)...)
	} else {
		opened = append(opened, d.readVM(r, &g, ignored)...)
	}
	r.done(opened...)
	return Guest{Guest: g}
}

func (d *decoder) readVM(r *body, g *iac.Guest, ignored map[string]bool) []*body {
	var opened []*body
	open := func(b *body) *body {
		if b != nil {
			opened = append(opened, b)
		}
		return b
	}
	g.VMID = r.integer("vm_id", 0)
	g.Name = r.str("name", "")
	g.Pool = r.str("pool_id", "")
	g.OnBoot = r.boolean("on_boot", true)
	vm := &iac.VM{
		BIOS:      r.str("bios", "seabios"),
		Machine:   r.str("machine", ""),
		Tablet:    r.boolean("tablet_device", true),
		ACPI:      r.boolean("acpi", true),
		Hotplug:   r.str("hotplug", ""),
		KVMArgs:   r.str("kvm_arguments", ""),
		Keyboard:  r.str("keyboard_layout", ""),
		BootOrder: r.list("boot_order"),
	}
	def := func(attr, v string) string {
		if ignored[attr] {
			return ""
		}
		return v
	}
	vm.SCSIHardware = r.str("scsi_hardware", def("scsi_hardware", "virtio-scsi-pci"))
	if ab := open(r.block("agent")); ab != nil {
		vm.Agent = &iac.Agent{Enabled: ab.boolean("enabled", false), Trim: ab.boolean("trim", false), Type: ab.str("type", "virtio")}
	}
	cb := open(r.block("cpu"))
	vm.CPU = iac.VMCPU{
		Cores: cb.integer("cores", 1), Sockets: cb.integer("sockets", 1), Type: cb.str("type", "qemu64"),
		Flags: cb.list("flags"), Limit: cb.float("limit", 0), Units: cb.integer("units", 0), NUMA: cb.boolean("numa", false),
		Affinity: cb.str("affinity", ""), VCPUs: cb.integer("hotplugged", 0),
	}
	mb := open(r.block("memory"))
	dedicated := 512
	if ignored["memory"] {
		dedicated = 0
	}
	vm.Memory = iac.VMMemory{
		DedicatedMiB: mb.integer("dedicated", dedicated), FloatingMiB: mb.integer("floating", 0), Shares: mb.integer("shared", 0),
		Hugepages: mb.str("hugepages", ""), KeepHugepages: mb.boolean("keep_hugepages", false),
	}
	for _, db := range r.blocks("disk") {
		open(db)
		vm.Disks = append(vm.Disks, iac.Disk{
			Interface: db.str("interface", ""), Datastore: db.str("datastore_id", "local-lvm"), SizeGiB: db.integer("size", 0),
			Format: db.str("file_format", ""), Cache: db.str("cache", "none"), Discard: db.str("discard", "ignore"),
			AIO: db.str("aio", "io_uring"), Serial: db.str("serial", ""), IOThread: db.boolean("iothread", false),
			SSD: db.boolean("ssd", false), Backup: db.boolean("backup", true), Replicate: db.boolean("replicate", true),
		})
	}
	if eb := open(r.block("efi_disk")); eb != nil {
		vm.EFIDisk = &iac.EFIDisk{Datastore: eb.str("datastore_id", "local-lvm"), Type: eb.str("type", "2m"), PreEnrolledKeys: eb.boolean("pre_enrolled_keys", false)}
	}
	if tb := open(r.block("tpm_state")); tb != nil {
		vm.TPM = &iac.TPM{Datastore: tb.str("datastore_id", "local-lvm"), Version: tb.str("version", "v2.0")}
	}
	if cdb := open(r.block("cdrom")); cdb != nil {
		vm.CDROM = &iac.CDROM{Interface: cdb.str("interface", "ide3"), FileID: cdb.str("file_id", "")}
	}
	for _, nb := range r.blocks("network_device") {
		open(nb)
		vm.NICs = append(vm.NICs, iac.NIC{
			Model: nb.str("model", "virtio"), MAC: nb.str("mac_address", ""), Bridge: nb.str("bridge", "vmbr0"),
			Firewall: nb.boolean("firewall", false), VLAN: nb.integer("vlan_id", 0), MTU: nb.integer("mtu", 0),
			Queues: nb.integer("queues", 0), Rate: nb.float("rate_limit", 0), Trunks: nb.str("trunks", ""),
			LinkDown: nb.boolean("disconnected", false),
		})
	}
	if ib := open(r.block("initialization")); ib != nil {
		ci := &iac.CloudInit{Interface: ib.str("interface", "")}
		dsDefault := "local-lvm"
		if ci.Interface == "" {
			dsDefault = ""
		}
		ci.Datastore = ib.str("datastore_id", dsDefault)
		ci.Type = ib.str("type", "")
		if v, ok := ib.attr("upgrade", cty.Bool); ok {
			b := v.True()
			ci.Upgrade = &b
		}
		ci.UserData = ib.str("user_data_file_id", "")
		ci.NetworkData = ib.str("network_data_file_id", "")
		ci.MetaData = ib.str("meta_data_file_id", "")
		ci.VendorData = ib.str("vendor_data_file_id", "")
		if dns := open(ib.block("dns")); dns != nil {
			ci.DNSDomain = dns.str("domain", "")
			ci.DNSServers = dns.list("servers")
		}
		for _, ipb := range ib.blocks("ip_config") {
			open(ipb)
			ci.IPConfigs = append(ci.IPConfigs, readIPConfig(ipb, open))
		}
		if ub := open(ib.block("user_account")); ub != nil {
			ci.User = ub.str("username", "")
			ci.SSHKeys = ub.list("keys")
		}
		vm.CloudInit = ci
	}
	vm.OSType = def("operating_system", "other")
	if ob := open(r.block("operating_system")); ob != nil {
		vm.OSType = ob.str("type", "other")
	}
	for _, sb := range r.blocks("serial_device") {
		open(sb)
		vm.Serial = append(vm.Serial, sb.str("device", "socket"))
	}
	if vb := open(r.block("vga")); vb != nil {
		vm.VGA = &iac.VGA{Type: vb.str("type", ""), MemoryMiB: vb.integer("memory", 0), Clipboard: vb.str("clipboard", "")}
	}
	g.VM = vm
	return opened
}

func readIPConfig(b *body, open func(*body) *body) iac.IPConfig {
	var ip iac.IPConfig
	if v4 := open(b.block("ipv4")); v4 != nil {
		ip.IPv4Addr, ip.IPv4GW = v4.str("address", ""), v4.str("gateway", "")
	}
	if v6 := open(b.block("ipv6")); v6 != nil {
		ip.IPv6Addr, ip.IPv6GW = v6.str("address", ""), v6.str("gateway", "")
	}
	return ip
}

func (d *decoder) readCT(r *body, g *iac.Guest, ignored map[string]bool) []*body {
	var opened []*body
	open := func(b *body) *body {
		if b != nil {
			opened = append(opened, b)
		}
		return b
	}
	// vm_id is not written for containers that exist (ADOPTION §5: their
	// VMID comes from the import block) but is for ones the code creates.
	g.VMID = r.integer("vm_id", 0)
	g.OnBoot = r.boolean("start_on_boot", true)
	ct := &iac.CT{Unprivileged: r.boolean("unprivileged", false)}
	con := open(r.block("console"))
	ct.Console = iac.Console{Enabled: con.boolean("enabled", true), Mode: con.str("type", "tty"), TTYCount: con.integer("tty_count", 2)}
	cb := open(r.block("cpu"))
	ct.Cores, ct.Limit, ct.Units, ct.Arch = cb.integer("cores", 1), cb.float("limit", 0), cb.integer("units", 0), cb.str("architecture", "amd64")
	mb := open(r.block("memory"))
	dedicated := 512
	if ignored["memory"] {
		dedicated = 0
	}
	ct.MemoryMiB, ct.SwapMiB = mb.integer("dedicated", dedicated), mb.integer("swap", 0)
	db := open(r.block("disk"))
	ct.RootFS = iac.RootFS{
		Datastore: db.str("datastore_id", "local"), SizeGiB: db.integer("size", 4), MountOptions: db.list("mount_options"),
		ACL: db.boolean("acl", false), Quota: db.boolean("quota", false), Replicate: db.boolean("replicate", true),
	}
	if fb := open(r.block("features")); fb != nil {
		ct.Features = &iac.Features{Nesting: fb.boolean("nesting", false), FUSE: fb.boolean("fuse", false),
			Keyctl: fb.boolean("keyctl", false), Mknod: fb.boolean("mknod", false), Mount: fb.list("mount")}
	}
	var ips []iac.IPConfig
	if ib := open(r.block("initialization")); ib != nil {
		g.Name = ib.str("hostname", "")
		if dns := open(ib.block("dns")); dns != nil {
			ct.DNSDomain = dns.str("domain", "")
			ct.DNSServers = dns.list("servers")
		}
		for _, ipb := range ib.blocks("ip_config") {
			open(ipb)
			ips = append(ips, readIPConfig(ipb, open))
		}
	}
	for _, m := range r.blocks("mount_point") {
		open(m)
		ct.MountPoints = append(ct.MountPoints, iac.MountPoint{
			Volume: m.str("volume", ""), Path: m.str("path", ""), Size: m.str("size", ""), ReadOnly: m.boolean("read_only", false),
			Backup: m.boolean("backup", false), ACL: m.boolean("acl", false), Quota: m.boolean("quota", false),
			Shared: m.boolean("shared", false), Replicate: m.boolean("replicate", true), MountOptions: m.list("mount_options"),
		})
	}
	for i, nb := range r.blocks("network_interface") {
		open(nb)
		n := iac.CTNIC{
			Name: nb.str("name", ""), Bridge: nb.str("bridge", "vmbr0"), MAC: nb.str("mac_address", ""),
			Firewall: nb.boolean("firewall", false), VLAN: nb.integer("vlan_id", 0), MTU: nb.integer("mtu", 0),
			Rate: nb.float("rate_limit", 0), LinkDown: !nb.boolean("enabled", true),
		}
		if i < len(ips) {
			n.IP = ips[i]
		}
		ct.NICs = append(ct.NICs, n)
	}
	if len(ips) > len(ct.NICs) {
		d.warns = append(d.warns, errAt(r.b.SrcRange, "write one ip_config per network_interface, in order", "%s: %d ip_config blocks for %d network interfaces", r.path(), len(ips), len(ct.NICs)))
	}
	if ob := open(r.block("operating_system")); ob != nil {
		ct.TemplateFileID = ob.str("template_file_id", "") // creation-only, not in PVE
		ct.OSType = ob.str("type", "unmanaged")
	}
	g.CT = ct
	return opened
}

var _ error = Errors(nil)
