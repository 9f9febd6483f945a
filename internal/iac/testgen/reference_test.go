package testgen

// The writer before it emitted tokens directly: the same test files built
// as an hclwrite node tree and formatted by hclwrite itself (File.Bytes).
// TestWriterMatchesHCLWrite requires the fast writer to give the same bytes
// (and the same errors).

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/proxmox-mpc/proxmox-mpc/internal/discovery"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

func refGenerate(subjects []Subject) ([]File, error) {
	byNode := map[string][]Subject{}
	seen := map[string]bool{}
	for _, s := range subjects {
		if err := refValidate(s); err != nil {
			return nil, err
		}
		if seen[s.Address] {
			return nil, fmt.Errorf("generate tests: duplicate resource address %s", s.Address)
		}
		seen[s.Address] = true
		byNode[s.Node] = append(byNode[s.Node], s)
	}
	nodes := make([]string, 0, len(byNode))
	for n := range byNode {
		nodes = append(nodes, n)
	}
	slices.Sort(nodes)

	files := []File{{Path: "ansible/run.sh", Content: []byte(ansibleScript), Mode: 0o755}}
	for _, node := range nodes {
		subs := byNode[node]
		slices.SortFunc(subs, func(a, b Subject) int {
			return cmp.Or(cmp.Compare(a.VMID, b.VMID), cmp.Compare(a.Address, b.Address))
		})
		content, err := refNodeFile(node, subs)
		if err != nil {
			return nil, err
		}
		files = append(files, File{Path: "terraform/" + node + ".tftest.hcl", Content: content, Mode: 0o644})
	}
	return files, nil
}

func refValidate(s Subject) error {
	if !validNode(s.Node) {
		return fmt.Errorf("generate tests for %s: invalid node name %q", s.Address, s.Node)
	}
	want := map[string]string{"vm": ResourceVM, "ct": ResourceContainer}[s.Kind]
	if want == "" {
		return fmt.Errorf("generate tests for %s: kind %q is not vm or ct", s.Address, s.Kind)
	}
	addr, err := refParseAddress(s.Address)
	if err != nil {
		return err
	}
	if addr.RootName() != want {
		return fmt.Errorf("generate tests for %s: a %s must be a %s resource", s.Address, s.Kind, want)
	}
	if s.Cores < 0 || s.MemoryMiB < 0 {
		return fmt.Errorf("generate tests for %s: negative cores or memory", s.Address)
	}
	for _, d := range s.Disks {
		if _, err := refParseAttr(d.Attr); err != nil {
			return fmt.Errorf("generate tests for %s: %w", s.Address, err)
		}
		if d.GiB <= 0 {
			return fmt.Errorf("generate tests for %s: disk %s size %d is not positive", s.Address, d.Attr, d.GiB)
		}
	}
	return nil
}

// refParseAddress parses TYPE.NAME.
func refParseAddress(a string) (hcl.Traversal, error) {
	t, diags := hclsyntax.ParseTraversalAbs([]byte(a), "", hcl.InitialPos)
	if diags.HasErrors() || len(t) != 2 {
		return nil, fmt.Errorf("generate tests: invalid resource address %q: want TYPE.NAME", a)
	}
	if _, ok := t[1].(hcl.TraverseAttr); !ok {
		return nil, fmt.Errorf("generate tests: invalid resource address %q: want TYPE.NAME", a)
	}
	return t, nil
}

// refParseAttr parses a path such as disk[0].size into relative traversal
// steps (attribute names and number indexes only).
func refParseAttr(a string) (hcl.Traversal, error) {
	t, diags := hclsyntax.ParseTraversalAbs([]byte(a), "", hcl.InitialPos)
	if diags.HasErrors() || len(t) == 0 {
		return nil, fmt.Errorf("invalid attribute path %q", a)
	}
	rel := hcl.Traversal{hcl.TraverseAttr{Name: t.RootName()}}
	for _, step := range t[1:] {
		switch st := step.(type) {
		case hcl.TraverseAttr:
			rel = append(rel, st)
		case hcl.TraverseIndex:
			if st.Key.Type() != cty.Number {
				return nil, fmt.Errorf("invalid attribute path %q: indexes must be numbers", a)
			}
			rel = append(rel, st)
		default:
			return nil, fmt.Errorf("invalid attribute path %q", a)
		}
	}
	return rel, nil
}

// refCheck is one assertion: path (relative to the resource) equals want;
// when fallback is not nil the path is wrapped in try(path, fallback), for
// blocks the plan leaves out when they hold the provider defaults.
type refCheck struct {
	path     hcl.Traversal
	want     cty.Value
	fallback *cty.Value
	what     string
}

func refChecks(s Subject) ([]refCheck, error) {
	name := func(n string) hcl.Traversal { return hcl.Traversal{hcl.TraverseAttr{Name: n}} }
	block := func(b, attr string) hcl.Traversal {
		return hcl.Traversal{hcl.TraverseAttr{Name: b}, hcl.TraverseIndex{Key: cty.NumberIntVal(0)}, hcl.TraverseAttr{Name: attr}}
	}
	var cs []refCheck
	if s.Name != "" {
		if s.Kind == "vm" {
			cs = append(cs, refCheck{path: name("name"), want: cty.StringVal(s.Name), what: "name"})
		} else {
			cs = append(cs, refCheck{path: block("initialization", "hostname"), want: cty.StringVal(s.Name), what: "hostname"})
		}
	}
	cs = append(cs, refCheck{path: name("node_name"), want: cty.StringVal(s.Node), what: "node"})
	if s.Cores > 0 {
		d := cty.NumberIntVal(defaultCores)
		cs = append(cs, refCheck{path: block("cpu", "cores"), want: cty.NumberIntVal(int64(s.Cores)), fallback: &d, what: "cpu cores"})
	}
	if s.MemoryMiB > 0 {
		d := cty.NumberIntVal(defaultMemoryMiB)
		cs = append(cs, refCheck{path: block("memory", "dedicated"), want: cty.NumberIntVal(int64(s.MemoryMiB)), fallback: &d, what: "memory (MiB)"})
	}
	for _, disk := range s.Disks {
		p, err := refParseAttr(disk.Attr)
		if err != nil {
			return nil, fmt.Errorf("generate tests for %s: %w", s.Address, err)
		}
		cs = append(cs, refCheck{path: p, want: cty.NumberIntVal(int64(disk.GiB)), what: disk.Attr + " (GiB)"})
	}
	return cs, nil
}

func refNodeFile(node string, subs []Subject) ([]byte, error) {
	f := hclwrite.NewEmptyFile()
	body := f.Body()
	body.AppendUnstructuredTokens(refCommentTokens(
		"Generated by proxmox-mpc: plan-mode checks of the guests on node "+node+".",
		"Run from terraform/:  tofu test -test-directory=../tests/terraform",
		"The plan imports the guests, so it needs the PROXMOX_VE_* variables of providers.tf.",
	))
	body.AppendNewline()
	run := body.AppendNewBlock("run", []string{runName(node)}).Body()
	run.SetAttributeTraversal("command", hcl.Traversal{hcl.TraverseRoot{Name: "plan"}})
	for _, s := range subs {
		addr, err := refParseAddress(s.Address)
		if err != nil {
			return nil, err
		}
		cs, err := refChecks(s)
		if err != nil {
			return nil, err
		}
		label := s.Name
		if label == "" {
			label = s.Address
		}
		for _, c := range cs {
			full := append(slices.Clone(addr), c.path...)
			lhs := hclwrite.TokensForTraversal(full)
			if c.fallback != nil {
				lhs = hclwrite.TokensForFunctionCall("try", lhs, hclwrite.TokensForValue(*c.fallback))
			}
			cond := append(lhs, &hclwrite.Token{Type: hclsyntax.TokenEqualOp, Bytes: []byte("==")})
			cond = append(cond, hclwrite.TokensForValue(c.want)...)
			run.AppendNewline()
			a := run.AppendNewBlock("assert", nil).Body()
			a.SetAttributeRaw("condition", cond)
			a.SetAttributeValue("error_message", cty.StringVal(
				fmt.Sprintf("%s (%s): %s is not %s", label, s.Address, c.what, refDisplay(c.want))))
		}
	}
	// Bytes runs hclwrite's formatter (the one `tofu fmt` uses) over the tokens.
	return f.Bytes(), nil
}

func refDisplay(v cty.Value) string {
	if v.Type() == cty.String {
		return fmt.Sprintf("%q", v.AsString())
	}
	return v.AsBigFloat().Text('f', -1)
}

func refCommentTokens(lines ...string) hclwrite.Tokens {
	ts := make(hclwrite.Tokens, 0, len(lines))
	for _, l := range lines {
		ts = append(ts, &hclwrite.Token{Type: hclsyntax.TokenComment, Bytes: []byte("# " + l + "\n")})
	}
	return ts
}

// discoverGuests returns the guests of a simulator scenario grown to n
// guests.
func discoverGuests(t testing.TB, scenario string, n int) []state.Guest {
	t.Helper()
	sim, err := pvesim.New(pvesim.Options{Scenario: scenario, Guests: n, TaskDuration: -1})
	if err != nil {
		t.Fatalf("pvesim.New: %v", err)
	}
	client, err := pve.New(pve.Config{Endpoint: "https://sim.invalid:8006", APIToken: pvesim.DefaultToken, Transport: sim.RoundTripper()})
	if err != nil {
		t.Fatalf("pve.New: %v", err)
	}
	inv, _, err := discovery.Discover(context.Background(), client, discovery.Options{})
	if err != nil {
		t.Fatalf("discover: %v", err)
	}
	return inv.Guests
}

// trickySubjects are inputs that leave the writer's fast paths: strings to
// escape, non-ASCII (NFC-normalised, non-printable) names, non-ASCII
// identifiers, index forms the HCL parser reads, empty names and nodes that
// are not identifiers.
func trickySubjects() []Subject {
	vm := func(addr, name, node string, vmid int, disks ...string) Subject {
		s := Subject{Address: ResourceVM + "." + addr, Kind: "vm", Name: name, Node: node, VMID: vmid, Cores: vmid % 5, MemoryMiB: vmid % 3 * 1024}
		for i, d := range disks {
			s.Disks = append(s.Disks, DiskSize{Attr: d, GiB: i + 1})
		}
		return s
	}
	ct := func(addr, name, node string, vmid int) Subject {
		return Subject{Address: ResourceContainer + "." + addr, Kind: "ct", Name: name, Node: node, VMID: vmid, Cores: 1, MemoryMiB: 512,
			Disks: []DiskSize{{Attr: "disk[0].size", GiB: 4}}}
	}
	return []Subject{
		vm("a", `q"uo\te${x}%{y}$%{{`, "pve", 100, "disk[0].size", "disk[007].size", "disk[1e2].size", "disk[1.50].size"),
		vm("b", "tab\there\nnl\rcr\x00nul\x1fus\x7fdel", "pve", 101, "disk[123456789012345678].size", "disk[1234567890123456789012345678901234567890].size"),
		vm("c", "cafe\u0301 \u00ad soft \u200b zw \U0001F600 \U000E0001", "pve", 102, `disk [ 2 ] . size`, "in[0].in", "disk[0]"),
		vm("caf\u00e9", "\u00e9", "pve", 103),
		vm("caf\u0065\u0301", "", "pve", 104, "d\u00e9[1].x"),
		vm("_-x--", "", "n-1", 105, "a-b._c[0]"),
		ct("app", "host", "2nd.node", 200),
		ct("nohost", "", "2nd.node", 201),
		ct("u\u00fc", "\u00fc\u0308", "node_1", 202),
		vm("z", "$", "9", 300), vm("y", "%", "9", 300), vm("x", "${", "9", 300),
		vm("w", "\\", "A.b.C", 1), vm("v", `"`, "A.b.C", 0),
	}
}

// randomSubjects are n subjects whose names and disk paths are drawn from
// pieces of the tricky ones; some are invalid.
func randomSubjects(r *rand.Rand, n int) []Subject {
	pieces := []string{"a", "-", "_", "0", "9", ".", "$", "%", "{", "}", "\"", "\\", "\n", "\t", "\x01", "\x7f", "é", "e\u0301", "\u00ad", "\U0001F600", " ", "["}
	paths := []string{"disk[0].size", "disk[1].size", "disk[01].size", "disk[2e1].size", "disk.x", "disk[\"a\"].size", "disk[", "x-y[3]", "é[0].size"}
	word := func() string {
		var b strings.Builder
		for range r.IntN(6) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		return b.String()
	}
	subs := make([]Subject, n)
	for i := range subs {
		kind, res := "vm", ResourceVM
		if r.IntN(3) == 0 {
			kind, res = "ct", ResourceContainer
		}
		s := Subject{Address: fmt.Sprintf("%s.g%d%s", res, i, []string{"", "-x", "_é", "\u00fc"}[r.IntN(4)]), Kind: kind, Name: word(),
			Node: []string{"pve", "pve2", "n.1", "9x"}[r.IntN(4)], VMID: r.IntN(50), Cores: r.IntN(4), MemoryMiB: r.IntN(3) * 512}
		for range r.IntN(3) {
			s.Disks = append(s.Disks, DiskSize{Attr: paths[r.IntN(len(paths))], GiB: 1 + r.IntN(100)})
		}
		subs[i] = s
	}
	return subs
}

// sameAsReference checks that Generate and refGenerate agree on subs:
// the same files, or the same error.
func sameAsReference(t *testing.T, subs []Subject) {
	t.Helper()
	want, wantErr := refGenerate(slices.Clone(subs))
	got, err := Generate(slices.Clone(subs))
	if fmt.Sprint(err) != fmt.Sprint(wantErr) {
		t.Fatalf("error = %v, want %v", err, wantErr)
	}
	if len(got) != len(want) {
		t.Fatalf("%d files, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Path != want[i].Path || got[i].Mode != want[i].Mode || !bytes.Equal(got[i].Content, want[i].Content) {
			t.Fatalf("%s differs from the hclwrite writer (-want +got):\n%s", want[i].Path,
				gocmp.Diff(fmt.Sprintf("%s %v\n%s", want[i].Path, want[i].Mode, want[i].Content), fmt.Sprintf("%s %v\n%s", got[i].Path, got[i].Mode, got[i].Content)))
		}
		if bytes.HasSuffix([]byte(got[i].Path), []byte(".hcl")) && !bytes.Equal(hclwrite.Format(got[i].Content), got[i].Content) {
			t.Fatalf("%s is not formatted", got[i].Path)
		}
	}
}

func TestWriterMatchesHCLWrite(t *testing.T) {
	t.Run("homelab", func(t *testing.T) { sameAsReference(t, subjects(discover(t, pvesim.ScenarioHomelab))) })
	t.Run("large", func(t *testing.T) {
		subs := subjects(discoverGuests(t, pvesim.ScenarioLarge, 1000))
		if len(subs) != 1000 {
			t.Fatalf("large scenario has %d guests, want 1000", len(subs))
		}
		sameAsReference(t, subs)
	})
	t.Run("tricky", func(t *testing.T) {
		subs := trickySubjects()
		if _, err := refGenerate(subs); err != nil {
			t.Fatalf("tricky subjects must be valid: %v", err)
		}
		sameAsReference(t, subs)
		for i := range subs {
			t.Run(fmt.Sprint(i), func(t *testing.T) { sameAsReference(t, subs[i:i+1]) })
		}
	})
	t.Run("edges", func(t *testing.T) {
		// Addresses and paths at the edges of the fast parsers: each
		// subject alone, so that every error is compared.
		addrs := []string{"A.", ".a", "a.", "a..b", "a.b.", "a.b.c", "-a.b", "_.b", "a.-b", "a.b-", "a.0", "a.b[0]", "a .b", "a.b ", "a.é", "é.a", ""}
		paths := []string{"", "a.", ".a", "a..b", "a[0", "a[]", "a[0]]", "a[0]b", "a.0", "a-", "a[-1]", "a[+1]", "a[0x1]", "a[00]", "a[0].", `a["0"]`, "a[*]", "a.*", "a[0][1]", "a[1234567890123456789]", "a[123456789012345678]", "a # c", "a\n.b"}
		for i, a := range addrs {
			sameAsReference(t, []Subject{{Address: a, Kind: "vm", Node: "pve", VMID: i}})
			sameAsReference(t, []Subject{{Address: ResourceVM + "." + a, Kind: "vm", Node: "pve", VMID: i}})
			if strings.HasPrefix(a, "a.") {
				sameAsReference(t, []Subject{{Address: ResourceVM + a[1:], Kind: "vm", Node: "pve", VMID: i}})
			}
		}
		for i, p := range paths {
			sameAsReference(t, []Subject{{Address: ResourceVM + ".x", Kind: "vm", Node: "pve", VMID: i, Disks: []DiskSize{{Attr: p, GiB: 1}}}})
		}
	})
	t.Run("random", func(t *testing.T) {
		r := rand.New(rand.NewPCG(3, 4))
		valid := 0
		for range 300 {
			subs := randomSubjects(r, 1+r.IntN(4))
			if _, err := refGenerate(subs); err == nil {
				valid++
			}
			sameAsReference(t, subs)
		}
		if valid < 30 {
			t.Fatalf("only %d of 300 random inputs are valid", valid)
		}
	})
}

// FuzzWriterMatchesHCLWrite compares the writers on arbitrary names, nodes,
// addresses and disk paths.
func FuzzWriterMatchesHCLWrite(f *testing.F) {
	for _, s := range trickySubjects() {
		attr := ""
		if len(s.Disks) > 0 {
			attr = s.Disks[0].Attr
		}
		f.Add(s.Name, s.Node, attr, s.Address)
	}
	f.Fuzz(func(t *testing.T, name, node, attr, addr string) {
		sameAsReference(t, []Subject{{Address: addr, Kind: "vm", Name: name, Node: node, VMID: 1, Cores: 2, MemoryMiB: 1024,
			Disks: []DiskSize{{Attr: attr, GiB: 1}}}})
	})
}
