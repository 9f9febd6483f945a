package testgen

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/proxmox-mpc/proxmox-mpc/internal/discovery"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden files")

// discover returns the guests of a simulator scenario.
func discover(t testing.TB, scenario string) []state.Guest {
	t.Helper()
	sim, err := pvesim.New(pvesim.Options{Scenario: scenario, TaskDuration: -1})
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

var (
	nonIdent  = regexp.MustCompile(`[^a-zA-Z0-9_]+`)
	diskKey   = regexp.MustCompile(`^(scsi|virtio|sata|ide)\d+$`)
	sizeValue = regexp.MustCompile(`(?:^|,)size=(\d+)([KMGT]?)`)
)

// subjects maps guests to subjects the way a writer would: the test's own
// small mapping, not the product's.
func subjects(guests []state.Guest) []Subject {
	out := make([]Subject, 0, len(guests))
	for _, g := range guests {
		s := Subject{Kind: g.Type, Name: g.Name, Node: g.Node, VMID: g.VMID}
		res := ResourceVM
		if g.Type == state.TypeCT {
			res = ResourceContainer
		}
		label := strings.Trim(nonIdent.ReplaceAllString(g.Name, "_"), "_")
		if label == "" || label[0] >= '0' && label[0] <= '9' {
			label = fmt.Sprintf("%s_%d", g.Type, g.VMID)
		}
		s.Address = res + "." + label
		s.Cores, _ = strconv.Atoi(g.Config["cores"])
		s.MemoryMiB, _ = strconv.Atoi(g.Config["memory"])
		if g.Type == state.TypeCT {
			if gib := sizeGiB(g.Config["rootfs"]); gib > 0 {
				s.Disks = []DiskSize{{Attr: "disk[0].size", GiB: gib}}
			}
		} else {
			var keys []string
			for k, v := range g.Config {
				if diskKey.MatchString(k) && !strings.Contains(v, "media=cdrom") {
					keys = append(keys, k)
				}
			}
			slices.Sort(keys)
			for i, k := range keys {
				if gib := sizeGiB(g.Config[k]); gib > 0 {
					s.Disks = append(s.Disks, DiskSize{Attr: fmt.Sprintf("disk[%d].size", i), GiB: gib})
				}
			}
		}
		out = append(out, s)
	}
	return out
}

func sizeGiB(v string) int {
	m := sizeValue.FindStringSubmatch(v)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	switch m[2] {
	case "T":
		return n * 1024
	case "G":
		return n
	}
	return 0
}

func dump(files []File) []byte {
	var b bytes.Buffer
	for _, f := range files {
		fmt.Fprintf(&b, "=== %s (%v)\n%s", f.Path, f.Mode, f.Content)
	}
	return b.Bytes()
}

func golden(t *testing.T, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", t.Name()+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update): %v", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, d)
	}
}

func TestGenerateHomelab(t *testing.T) {
	files, err := Generate(subjects(discover(t, pvesim.ScenarioHomelab)))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, dump(files))
}

func TestGenerateHandMade(t *testing.T) {
	files, err := Generate([]Subject{
		{Address: "proxmox_virtual_environment_container.app_01", Kind: "ct", Name: "app-01", Node: "pve", VMID: 201, Cores: 2, MemoryMiB: 1024, Disks: []DiskSize{{Attr: "disk[0].size", GiB: 8}}},
		{Address: "proxmox_virtual_environment_vm.web_01", Kind: "vm", Name: "web-01", Node: "pve", VMID: 101, Cores: 2, MemoryMiB: 4096,
			Disks: []DiskSize{{Attr: "disk[0].size", GiB: 32}, {Attr: "disk[1].size", GiB: 100}}},
		{Address: "proxmox_virtual_environment_vm.odd", Kind: "vm", Name: "odd ${name} \"q\"", Node: "2nd.node", VMID: 300},
	})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, dump(files))
}

func TestGenerateDeterministic(t *testing.T) {
	subs := subjects(discover(t, pvesim.ScenarioLarge))
	first, err := Generate(subs)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 3 {
		shuffled := slices.Clone(subs)
		r.Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
		again, err := Generate(shuffled)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(dump(first), dump(again)) {
			t.Fatalf("shuffle %d: output differs", i)
		}
	}
}

// schema is the part of the bpg provider schema the assertions use.
type schemaBlock struct {
	Attributes map[string]json.RawMessage `json:"attributes"`
	BlockTypes map[string]struct {
		NestingMode string      `json:"nesting_mode"`
		Block       schemaBlock `json:"block"`
	} `json:"block_types"`
}

func loadSchema(t *testing.T) map[string]schemaBlock {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the package directory")
		}
		dir = parent
	}
	data, err := os.ReadFile(filepath.Join(dir, "..", "shared", "terraform", "bpg-proxmox-schema.json"))
	if err != nil {
		t.Fatalf("provider schema missing (shared/ must sit beside the clone): %v", err)
	}
	var doc struct {
		ProviderSchemas map[string]struct {
			ResourceSchemas map[string]struct {
				Block schemaBlock `json:"block"`
			} `json:"resource_schemas"`
		} `json:"provider_schemas"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]schemaBlock{}
	for _, p := range doc.ProviderSchemas {
		for name, r := range p.ResourceSchemas {
			out[name] = r.Block
		}
	}
	return out
}

// checkPath reports whether a traversal below a resource names an
// attribute of the schema, indexing list blocks with [n].
func checkPath(b schemaBlock, steps hcl.Traversal) error {
	for i := 0; i < len(steps); i++ {
		name, ok := steps[i].(hcl.TraverseAttr)
		if !ok {
			return fmt.Errorf("step %d is not an attribute name", i)
		}
		if _, ok := b.Attributes[name.Name]; ok {
			if i != len(steps)-1 {
				return fmt.Errorf("%s is an attribute, not a block", name.Name)
			}
			return nil
		}
		bt, ok := b.BlockTypes[name.Name]
		if !ok {
			return fmt.Errorf("%s is neither an attribute nor a block", name.Name)
		}
		if bt.NestingMode != "list" {
			return fmt.Errorf("%s nests as %s, want list", name.Name, bt.NestingMode)
		}
		if i+1 >= len(steps) {
			return fmt.Errorf("%s is a block, not a value", name.Name)
		}
		if _, ok := steps[i+1].(hcl.TraverseIndex); !ok {
			return fmt.Errorf("list block %s needs an index", name.Name)
		}
		i++
		b = bt.Block
	}
	return fmt.Errorf("path ends in a block")
}

// TestGeneratedFilesParseAndMatchSchema parses every generated .tftest.hcl
// and checks each assertion's references against the provider schema.
func TestGeneratedFilesParseAndMatchSchema(t *testing.T) {
	schema := loadSchema(t)
	for _, scenario := range []string{pvesim.ScenarioHomelab, pvesim.ScenarioLarge} {
		t.Run(scenario, func(t *testing.T) {
			files, err := Generate(subjects(discover(t, scenario)))
			if err != nil {
				t.Fatal(err)
			}
			p := hclparse.NewParser()
			asserts := 0
			for _, f := range files {
				if !strings.HasSuffix(f.Path, ".tftest.hcl") {
					continue
				}
				if formatted := hclwrite.Format(f.Content); !bytes.Equal(formatted, f.Content) {
					t.Errorf("%s is not formatted as tofu fmt would:\n%s", f.Path, cmp.Diff(string(formatted), string(f.Content)))
				}
				hf, diags := p.ParseHCL(f.Content, f.Path)
				if diags.HasErrors() {
					t.Fatalf("%s: %v", f.Path, diags)
				}
				body := hf.Body.(*hclsyntax.Body)
				if len(body.Blocks) != 1 || body.Blocks[0].Type != "run" {
					t.Fatalf("%s: want one run block", f.Path)
				}
				run := body.Blocks[0].Body
				if cmdAttr, ok := run.Attributes["command"]; !ok || hcl.ExprAsKeyword(cmdAttr.Expr) != "plan" {
					t.Errorf("%s: command is not plan", f.Path)
				}
				for _, a := range run.Blocks {
					if a.Type != "assert" {
						t.Errorf("%s: unexpected block %s", f.Path, a.Type)
						continue
					}
					asserts++
					if _, ok := a.Body.Attributes["error_message"]; !ok {
						t.Errorf("%s: assert without error_message", f.Path)
					}
					for _, tr := range a.Body.Attributes["condition"].Expr.Variables() {
						res, ok := schema[tr.RootName()]
						if !ok {
							t.Errorf("%s: unknown resource type %s", f.Path, tr.RootName())
							continue
						}
						if err := checkPath(res, tr[2:]); err != nil {
							t.Errorf("%s: %s: %v", f.Path, tr.RootName(), err)
						}
					}
				}
			}
			if asserts == 0 {
				t.Fatal("no assertions generated")
			}
		})
	}
}

func TestGenerateErrors(t *testing.T) {
	ok := Subject{Address: "proxmox_virtual_environment_vm.a", Kind: "vm", Name: "a", Node: "pve", VMID: 100}
	tests := []struct {
		name string
		edit func(s *Subject) []Subject
		want string
	}{
		{"empty node", func(s *Subject) []Subject { s.Node = ""; return nil }, "invalid node name"},
		{"path in node", func(s *Subject) []Subject { s.Node = "../etc"; return nil }, "invalid node name"},
		{"kind", func(s *Subject) []Subject { s.Kind = "lxc"; return nil }, "is not vm or ct"},
		{"kind mismatch", func(s *Subject) []Subject { s.Kind = "ct"; return nil }, "must be a proxmox_virtual_environment_container"},
		{"bad address", func(s *Subject) []Subject { s.Address = "proxmox_virtual_environment_vm"; return nil }, "want TYPE.NAME"},
		{"indexed address", func(s *Subject) []Subject { s.Address = "proxmox_virtual_environment_vm.a[0]"; return nil }, "want TYPE.NAME"},
		{"duplicate", func(s *Subject) []Subject { return []Subject{*s} }, "duplicate resource address"},
		{"bad disk path", func(s *Subject) []Subject { s.Disks = []DiskSize{{Attr: "disk[", GiB: 1}}; return nil }, "invalid attribute path"},
		{"string index", func(s *Subject) []Subject { s.Disks = []DiskSize{{Attr: `disk["a"].size`, GiB: 1}}; return nil }, "indexes must be numbers"},
		{"zero disk", func(s *Subject) []Subject { s.Disks = []DiskSize{{Attr: "disk[0].size"}}; return nil }, "is not positive"},
		{"negative cores", func(s *Subject) []Subject { s.Cores = -1; return nil }, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := ok
			extra := tt.edit(&s)
			_, err := Generate(append([]Subject{s}, extra...))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestGenerateNoSubjects(t *testing.T) {
	files, err := Generate(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0].Path != "ansible/run.sh" || files[0].Mode != 0o755 {
		t.Fatalf("files = %+v, want only ansible/run.sh (0755)", files)
	}
}

// FuzzGenerate feeds arbitrary names, nodes and disk paths: Generate either
// fails cleanly or returns files that parse.
func FuzzGenerate(f *testing.F) {
	f.Add("web-01", "pve", "disk[0].size", "proxmox_virtual_environment_vm.web_01")
	f.Add("a\"${x}%{y}\n", "n.1", "disk[99].size.x", "proxmox_virtual_environment_vm.x")
	f.Add("", "-", "[0]", "a.b.c")
	f.Fuzz(func(t *testing.T, name, node, attr, addr string) {
		files, err := Generate([]Subject{{Address: addr, Kind: "vm", Name: name, Node: node, VMID: 1, Cores: 2, MemoryMiB: 1024,
			Disks: []DiskSize{{Attr: attr, GiB: 1}}}})
		if err != nil {
			return
		}
		p := hclparse.NewParser()
		for _, fl := range files {
			if strings.HasSuffix(fl.Path, ".hcl") {
				if _, diags := p.ParseHCL(fl.Content, fl.Path); diags.HasErrors() {
					t.Fatalf("generated file does not parse: %v\n%s", diags, fl.Content)
				}
				if !bytes.Equal(hclwrite.Format(fl.Content), fl.Content) {
					t.Fatalf("generated file is not formatted:\n%s", fl.Content)
				}
			}
		}
	})
}

func BenchmarkGenerateLarge(b *testing.B) {
	subs := subjects(discover(b, pvesim.ScenarioLarge))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Generate(subs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(subs)), "guests")
}

// BenchmarkGenerate10k generates the tests of 10,000 guests on 10 nodes.
func BenchmarkGenerate10k(b *testing.B) {
	subs := make([]Subject, 10000)
	for i := range subs {
		subs[i] = Subject{Address: fmt.Sprintf("%s.guest_%d", ResourceVM, i), Kind: "vm", Name: fmt.Sprintf("guest-%d", i),
			Node: fmt.Sprintf("pve%d", i%10), VMID: 100 + i, Cores: 2, MemoryMiB: 2048, Disks: []DiskSize{{Attr: "disk[0].size", GiB: 32}}}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Generate(subs); err != nil {
			b.Fatal(err)
		}
	}
}
