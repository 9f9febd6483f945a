package engine

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"
)

// RenderOptions tune Render.
type RenderOptions struct {
	Color bool // ANSI colours (the caller decides: terminal, NO_COLOR, --no-color)
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
)

type painter bool

func (p painter) wrap(code, s string) string {
	if !p || s == "" {
		return s
	}
	return code + s + ansiReset
}

// symbol colours an action symbol: + green, ~ yellow, - red.
func (p painter) symbol(sym string) string {
	switch sym {
	case "+":
		return p.wrap(ansiGreen, sym)
	case "~":
		return p.wrap(ansiYellow, sym)
	case "-":
		return p.wrap(ansiRed, sym)
	case "-/+":
		return p.wrap(ansiRed, "-") + "/" + p.wrap(ansiGreen, "+")
	}
	return sym
}

// disruptionLabel is the class as the header shows it.
func disruptionLabel(d Disruption) string {
	switch d {
	case Hotplug:
		return "hotplug, no restart"
	case Reboot:
		return "needs reboot"
	case StopStart:
		return "stop-start"
	case Recreate:
		return "guest recreated"
	case DataLoss:
		return "data loss"
	}
	return "no disruption"
}

func (p painter) label(d Disruption) string {
	s := disruptionLabel(d)
	switch d {
	case Reboot, StopStart:
		return p.wrap(ansiYellow, s)
	case Recreate, DataLoss:
		return p.wrap(ansiRed, s)
	}
	return s
}

// Render writes the plan as terraform does: one block per guest with its
// disruption class, attribute changes nested by block, then the summary.
func Render(w io.Writer, plan Plan, opts RenderOptions) error {
	bw := bufio.NewWriter(w)
	p := painter(opts.Color)
	if len(plan.Changes) == 0 {
		fmt.Fprintln(bw, p.wrap(ansiBold, "No changes.")+p.wrap(ansiBold, " Your infrastructure matches the configuration."))
		return bw.Flush()
	}
	used := map[Action]bool{}
	for _, c := range plan.Changes {
		used[c.Action] = true
	}
	fmt.Fprintln(bw, "Resource actions are indicated with the following symbols:")
	for _, l := range []struct {
		a        Action
		sym, txt string
	}{{Create, "+", "create"}, {Update, "~", "update in-place"}, {Delete, "-", "destroy"}, {Replace, "-/+", "destroy and then create replacement"}} {
		if used[l.a] {
			fmt.Fprintf(bw, "%s%s %s\n", strings.Repeat(" ", 5-len(l.sym)), p.symbol(l.sym), l.txt)
		}
	}
	fmt.Fprintln(bw)
	fmt.Fprintln(bw, "proxmox-mpc will perform the following actions:")
	for _, c := range plan.Changes {
		fmt.Fprintln(bw)
		renderGuest(bw, p, c)
	}
	fmt.Fprintln(bw)
	fmt.Fprintln(bw, SummaryLine(plan.Summary()))
	return bw.Flush()
}

// SummaryLine is terraform's plan summary; a replacement counts as one to
// add and one to destroy, as in terraform.
func SummaryLine(s Summary) string {
	change := fmt.Sprintf("%d to change", s.Change)
	switch {
	case s.NeedsReboot == 1:
		change += " (1 needs reboot)"
	case s.NeedsReboot > 1:
		change += fmt.Sprintf(" (%d need reboot)", s.NeedsReboot)
	}
	return fmt.Sprintf("Plan: %d to add, %s, %d to destroy.", s.Add+s.Replace, change, s.Destroy+s.Replace)
}

func actionSymbol(a Action) string {
	switch a {
	case Create:
		return "+"
	case Delete:
		return "-"
	case Replace:
		return "-/+"
	}
	return "~"
}

func renderGuest(w *bufio.Writer, p painter, c GuestChange) {
	var verb string
	switch c.Action {
	case Create:
		verb = "will be created"
	case Delete:
		verb = "will be destroyed"
	case Replace:
		verb = "must be replaced"
	default:
		verb = "will be updated in-place"
	}
	typ, name, _ := strings.Cut(c.Address, ".")
	fmt.Fprintf(w, "  %s (%s)\n", p.wrap(ansiBold, "# "+c.Address+" "+verb), p.label(c.Disruption))
	if c.VMID != 0 && c.Action != Create {
		fmt.Fprintf(w, "  # vmid %d on %s\n", c.VMID, c.Node)
	}
	fmt.Fprintf(w, "%s resource %q %q {\n", pad(p, actionSymbol(c.Action), 0), typ, name)
	root := buildTree(c.Attrs)
	renderNode(w, p, root, 1, c.Action)
	fmt.Fprintf(w, "%s}\n", strings.Repeat(" ", 4))
}

// pad right-aligns a symbol in a 3-column field after 4*depth spaces.
func pad(p painter, sym string, depth int) string {
	return strings.Repeat(" ", 4*depth+3-len(sym)) + p.symbol(sym)
}

// node is a block of the rendered resource.
type node struct {
	name     string // block type
	key      string // "scsi0" of disk[scsi0], "" for a plain block
	attrs    []leaf
	children []*node
	index    map[string]*node
}

type leaf struct {
	name string
	ch   AttrChange
}

// buildTree nests attribute changes by their block path, keeping the
// order in which blocks first appear.
func buildTree(attrs []AttrChange) *node {
	root := &node{index: map[string]*node{}}
	for _, a := range attrs {
		segs := splitPath(a.Path)
		n := root
		for _, s := range segs[:len(segs)-1] {
			child, ok := n.index[s]
			if !ok {
				name, key, _ := strings.Cut(s, "[")
				child = &node{name: name, key: strings.TrimSuffix(key, "]"), index: map[string]*node{}}
				n.index[s] = child
				n.children = append(n.children, child)
			}
			n = child
		}
		n.attrs = append(n.attrs, leaf{name: segs[len(segs)-1], ch: a})
	}
	return root
}

// splitPath splits on dots outside brackets.
func splitPath(path string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(path); i++ {
		switch path[i] {
		case '[':
			depth++
		case ']':
			depth--
		case '.':
			if depth == 0 {
				out = append(out, path[start:i])
				start = i + 1
			}
		}
	}
	return append(out, path[start:])
}

// symbolOf is the symbol of one attribute change.
func symbolOf(a AttrChange, action Action) string {
	switch {
	case action == Create, a.Old == "":
		return "+"
	case action == Delete, a.New == "":
		return "-"
	}
	return "~"
}

// blockSymbol is + when everything in the block is added, - when
// everything is removed, ~ otherwise.
func blockSymbol(n *node, action Action) string {
	sym := ""
	var walk func(n *node)
	walk = func(n *node) {
		for _, l := range n.attrs {
			s := symbolOf(l.ch, action)
			switch {
			case sym == "":
				sym = s
			case sym != s:
				sym = "~"
			}
		}
		for _, c := range n.children {
			walk(c)
		}
	}
	walk(n)
	if sym == "" {
		return "~"
	}
	return sym
}

func renderNode(w *bufio.Writer, p painter, n *node, depth int, action Action) {
	width := 0
	for _, l := range n.attrs {
		width = max(width, len(l.name))
	}
	for _, l := range n.attrs {
		a := l.ch
		sym := symbolOf(a, action)
		var val string
		switch sym {
		case "+":
			val = a.New
		case "-":
			val = a.Old + " -> null"
			if action == Delete {
				val = a.Old
			}
		default:
			val = a.Old + " -> " + a.New
		}
		fmt.Fprintf(w, "%s %-*s = %s%s\n", pad(p, sym, depth), width, l.name, val, attrNote(p, a, action))
	}
	for _, c := range n.children {
		head := c.name + " {"
		if c.key != "" {
			head += " # [" + c.key + "]"
		}
		fmt.Fprintf(w, "%s %s\n", pad(p, blockSymbol(c, action), depth), head)
		renderNode(w, p, c, depth+1, action)
		fmt.Fprintf(w, "%s}\n", strings.Repeat(" ", 4*depth+4))
	}
}

// attrNote is the comment after an attribute: why it forces replacement,
// or its disruption class when that is more than none.
func attrNote(p painter, a AttrChange, action Action) string {
	if action == Create || action == Delete {
		return ""
	}
	switch {
	case strings.HasPrefix(a.Reason, "forces replacement"):
		return " " + p.wrap(ansiRed, "# forces replacement")
	case a.Reason == ReasonShrink || a.Reason == ReasonVMIDInUse:
		return " " + p.wrap(ansiRed, "# error: "+a.Reason)
	case a.Disruption == None:
		return ""
	}
	return " # " + p.label(a.Disruption) + ": " + a.Reason
}

// View is the JSON form of a plan (-o json): the plan, its summary and
// its findings.
type View struct {
	FormatVersion int           `json:"format_version"`
	Changes       []GuestChange `json:"changes"`
	Unchanged     int           `json:"unchanged"`
	CreatedAt     time.Time     `json:"created_at"`
	CodeHash      string        `json:"code_hash"`
	Summary       SummaryView   `json:"summary"`
	Findings      []Finding     `json:"findings"`
}

// SummaryView is the JSON form of Summary.
type SummaryView struct {
	Add         int    `json:"add"`
	Change      int    `json:"change"`
	Replace     int    `json:"replace"`
	Destroy     int    `json:"destroy"`
	NeedsReboot int    `json:"needs_reboot"`
	Text        string `json:"text"`
}

// View returns the plan's JSON form.
func (p Plan) View() View {
	s := p.Summary()
	v := View{
		FormatVersion: FormatVersion, Changes: p.Changes, Unchanged: p.NoOps, CreatedAt: p.CreatedAt, CodeHash: p.CodeHash,
		Summary:  SummaryView{Add: s.Add, Change: s.Change, Replace: s.Replace, Destroy: s.Destroy, NeedsReboot: s.NeedsReboot, Text: SummaryLine(s)},
		Findings: p.Findings(),
	}
	if v.Changes == nil {
		v.Changes = []GuestChange{}
	}
	if v.Findings == nil {
		v.Findings = []Finding{}
	}
	return v
}

// Finding is a problem in a plan that stops it from being applied.
type Finding struct {
	Severity string `json:"severity"` // "error"
	Address  string `json:"address"`
	VMID     int    `json:"vmid"`
	Path     string `json:"path,omitempty"`
	Summary  string `json:"summary"`
	Hint     string `json:"hint,omitempty"`
}

// Findings lists the changes the plan cannot make: a disk shrink, a VMID
// held by a guest of the other kind.
func (p Plan) Findings() []Finding {
	var out []Finding
	for _, c := range p.Changes {
		for _, a := range c.Attrs {
			switch a.Reason {
			case ReasonShrink:
				out = append(out, Finding{Severity: "error", Address: c.Address, VMID: c.VMID, Path: a.Path,
					Summary: fmt.Sprintf("%s: %s shrinks from %s to %s GiB: %s", c.Address, a.Path, a.Old, a.New, ReasonShrink),
					Hint:    "set the size back to at least " + a.Old + " in the code; to get a smaller disk, add a new one and move the data"})
			case ReasonVMIDInUse:
				out = append(out, Finding{Severity: "error", Address: c.Address, VMID: c.VMID, Path: a.Path,
					Summary: fmt.Sprintf("%s: vmid %s is used by a guest of the other kind on the server", c.Address, a.New),
					Hint:    "give the resource a free vm_id, or fix its import block"})
			}
		}
	}
	return out
}
