package terraform

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

const sharedSchema = "../../../../shared/terraform/bpg-proxmox-schema.json"

// stripDescriptions removes the documentation texts the embedded copy drops.
func stripDescriptions(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if _, isText := e.(string); isText && (k == "description" || k == "description_kind") {
				continue // a documentation text (an attribute named description is an object)
			}
			out[k] = stripDescriptions(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = stripDescriptions(e)
		}
		return out
	}
	return v
}

// TestEmbeddedSchema: the embedded schema equals the two resource types of
// the shared provider schema (without descriptions). -update rewrites it.
func TestEmbeddedSchema(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(sharedSchema)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("%s is absent: cannot compare the embedded schema with the provider's", sharedSchema)
	}
	if err != nil {
		t.Fatal(err)
	}
	var full struct {
		ProviderSchemas map[string]struct {
			ResourceSchemas map[string]any `json:"resource_schemas"`
		} `json:"provider_schemas"`
	}
	if err := json.Unmarshal(raw, &full); err != nil {
		t.Fatal(err)
	}
	p, ok := full.ProviderSchemas["registry.opentofu.org/bpg/proxmox"]
	if !ok {
		t.Fatal("shared schema has no registry.opentofu.org/bpg/proxmox")
	}
	want := map[string]any{}
	for _, typ := range []string{TypeVM, TypeCT} {
		rs, ok := p.ResourceSchemas[typ]
		if !ok {
			t.Fatalf("shared schema has no %s", typ)
		}
		want[typ] = stripDescriptions(rs)
	}
	path := filepath.Join("schema", "bpg-vm-ct.json")
	if *update {
		out, err := json.MarshalIndent(want, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(out, '\n'), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var got map[string]any
	if err := json.Unmarshal(schemaJSON, &got); err != nil {
		t.Fatalf("embedded schema: %v", err)
	}
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("embedded %s differs from %s (run go test -run TestEmbeddedSchema -update)", path, sharedSchema)
	}
	if _, err := loadSchema(); err != nil {
		t.Fatal(err)
	}
}
