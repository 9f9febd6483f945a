package terraform

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/proxmox-mpc/proxmox-mpc/internal/iac"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

var update = flag.Bool("update", false, "rewrite golden files")

// tree is the semantic form of an HCL body: attribute values rendered
// canonically, blocks in order within their type. Attribute order,
// formatting and single-line vs multi-line blocks do not show.
type tree struct {
	attrs  map[string]string
	blocks []treeBlock
}

type treeBlock struct {
	typ    string
	labels []string
	body   *tree
}

func toTree(t *testing.T, b *hclsyntax.Body, src []byte) *tree {
	t.Helper()
	out := &tree{attrs: map[string]string{}}
	for name, a := range b.Attributes {
		v, diags := a.Expr.Value(nil)
		if diags.HasErrors() {
			// traversal lists (ignore_changes): compare the source text
			r := a.Expr.Range()
			out.attrs[name] = strings.Join(strings.Fields(string(r.SliceBytes(src))), "")
			continue
		}
		js, err := ctyjson.Marshal(v, v.Type())
		if err != nil {
			t.Fatalf("render %s: %v", name, err)
		}
		out.attrs[name] = string(js)
	}
	for _, blk := range b.Blocks {
		out.blocks = append(out.blocks, treeBlock{typ: blk.Type, labels: blk.Labels, body: toTree(t, blk.Body, src)})
	}
	return out
}

// diffTrees compares want with got. Problems are differences that are not
// additions; extras are paths present only in got (whole blocks, or
// attributes of blocks both have).
func diffTrees(want, got *tree, path string) (problems, extras []string) {
	for name, wv := range want.attrs {
		gv, ok := got.attrs[name]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s%s: missing (want %s)", path, name, wv))
		case gv != wv:
			problems = append(problems, fmt.Sprintf("%s%s: got %s, want %s", path, name, gv, wv))
		}
	}
	for name := range got.attrs {
		if _, ok := want.attrs[name]; !ok {
			extras = append(extras, path+name)
		}
	}
	byType := func(bs []treeBlock) map[string][]treeBlock {
		m := map[string][]treeBlock{}
		for _, b := range bs {
			m[b.typ] = append(m[b.typ], b)
		}
		return m
	}
	wb, gb := byType(want.blocks), byType(got.blocks)
	for typ, ws := range wb {
		gs := gb[typ]
		if len(gs) != len(ws) {
			problems = append(problems, fmt.Sprintf("%s%s: %d blocks, want %d", path, typ, len(gs), len(ws)))
			continue
		}
		for i := range ws {
			if !slices.Equal(ws[i].labels, gs[i].labels) {
				problems = append(problems, fmt.Sprintf("%s%s[%d]: labels %v, want %v", path, typ, i, gs[i].labels, ws[i].labels))
			}
			p, e := diffTrees(ws[i].body, gs[i].body, fmt.Sprintf("%s%s[%d].", path, typ, i))
			problems = append(problems, p...)
			extras = append(extras, e...)
		}
	}
	for typ := range gb {
		if _, ok := wb[typ]; !ok {
			extras = append(extras, path+typ)
		}
	}
	slices.Sort(problems)
	slices.Sort(extras)
	return problems, extras
}

func parseBody(t *testing.T, name string, src []byte) *hclsyntax.Body {
	t.Helper()
	f, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("parse %s: %v", name, diags)
	}
	return f.Body.(*hclsyntax.Body)
}

// resourceTree returns the body of the only resource block of src.
func resourceTree(t *testing.T, name string, src []byte) *tree {
	t.Helper()
	var found *tree
	for _, b := range parseBody(t, name, src).Blocks {
		if b.Type == "resource" {
			if found != nil {
				t.Fatalf("%s: more than one resource", name)
			}
			found = toTree(t, b.Body, src)
		}
	}
	if found == nil {
		t.Fatalf("%s: no resource block", name)
	}
	return found
}

func loadGuest(t *testing.T, path string) state.Guest {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var g state.Guest
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	return g
}

// TestAdoptionExamples generates the five verified zero-diff examples of
// ADOPTION.md §7 from their configs and requires the resource block to be
// the verified block. The only differences allowed are additions that
// ADOPTION says give no diff, listed below per guest with the reason.
func TestAdoptionExamples(t *testing.T) {
	t.Parallel()
	const (
		vmID    = "§4 table: vm_id is optional (read at import, so the live VMID gives no diff)"
		mac     = "§4/§5 tables: mac_address is optional, exact case (written verbatim)"
		tags    = "§3.5 and §5 table: tags may be written, in any order, with no diff"
		pool    = "§3.5 and §7 VM 101 notes: VM pool_id is optional (verified in tf/final/vm101.tf)"
		vga     = "§7 VM 101 notes: vga { type = \"serial0\" } is optional (verified)"
		boot    = "§4 table and §7 VM 101 notes: a written boot_order must equal order= (it does)"
		ciIface = "§7 VM 101 notes: the cloud-init interface is optional (verified)"
		disks   = "§3.4/§3.5: disks may be written; §7 notes give their required values"
		nics    = "§7 VM 100 notes: the NICs may be written (bridge vmbr0 is the §4 default, so net0 shows only its MAC)"
	)
	tests := []struct {
		id      string
		allowed map[string]string // path in the generated block → why it may be there
	}{
		{"vm100", map[string]string{"vm_id": vmID, "disk": disks, "network_device": nics}},
		{"vm101", map[string]string{"vm_id": vmID, "tags": tags, "pool_id": pool, "vga": vga, "boot_order": boot,
			"initialization[0].interface": ciIface, "network_device[0].mac_address": mac}},
		{"vm102", map[string]string{"vm_id": vmID, "boot_order": boot, "disk": disks, "network_device[0].mac_address": mac}},
		{"ct200", map[string]string{"tags": tags, "network_interface[0].mac_address": mac}},
		{"ct201", map[string]string{"tags": tags, "network_interface[0].mac_address": mac}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join("testdata", "adoption")
			g := iac.FromState(loadGuest(t, filepath.Join(dir, tt.id+".json")))
			files, err := Generate([]iac.Guest{g}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var out []byte
			for _, f := range files {
				if f.Path != "versions.tf" && f.Path != "providers.tf" && f.Path != "variables.tf" {
					out = f.Content
				}
			}
			if errs := CheckSchema(map[string][]byte{tt.id + ".tf": out}); len(errs) > 0 {
				t.Errorf("schema: %v", errs)
			}
			wantSrc, err := os.ReadFile(filepath.Join(dir, tt.id+".want.tf"))
			if err != nil {
				t.Fatal(err)
			}
			want := resourceTree(t, tt.id+".want.tf", wantSrc)
			got := resourceTree(t, tt.id+".tf", out)
			problems, extras := diffTrees(want, got, "")
			for _, p := range problems {
				t.Errorf("differs from the verified block: %s", p)
			}
			for _, e := range extras {
				if _, ok := tt.allowed[e]; !ok {
					t.Errorf("not in the verified block and not allowed by ADOPTION: %s", e)
				}
			}
			// The allowed additions themselves are pinned by a golden file.
			golden := filepath.Join(dir, tt.id+".golden.tf")
			if *update {
				if err := os.WriteFile(golden, out, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			wantOut, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if string(wantOut) != string(out) {
				t.Errorf("output differs from %s (run with -update and review):\n%s", golden, out)
			}
			if t.Failed() {
				t.Logf("generated:\n%s", out)
			}
		})
	}
}
