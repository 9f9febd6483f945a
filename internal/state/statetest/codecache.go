package statetest

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// testCodeCache: values are stored and replaced by hash and come back
// byte for byte; a Put removes what was not used for state.CodeCacheTTL
// before its usedAt, and a Get counts as a use. The store's clock must be
// the real one (the suite's stores use it), because Get marks uses with it.
func testCodeCache(t *testing.T, s state.Store) {
	ctx := t.Context()
	now := time.Now()
	binary := make([]byte, 256)
	for i := range binary {
		binary[i] = byte(i)
	}
	bulk := map[string][]byte{}
	for i := range 300 {
		bulk[fmt.Sprintf("bulk%04d", i)] = fmt.Appendf(nil, "value %d", i)
	}
	bulkKeys := slices.Sorted(maps.Keys(bulk))
	const day = 24 * time.Hour
	type put struct {
		entries map[string][]byte
		usedAt  time.Time
	}
	steps := []struct {
		name string
		put  *put     // stored first, when set
		get  []string // then read
		want map[string][]byte
	}{
		{name: "empty store", get: []string{"a", "b"}, want: map[string][]byte{}},
		{name: "no hashes", get: nil, want: map[string][]byte{}},
		{
			name: "stored", put: &put{map[string][]byte{"a": []byte("one"), "b": binary, "e": nil}, now},
			get: []string{"a", "b", "c", "e"}, want: map[string][]byte{"a": []byte("one"), "b": binary, "e": {}},
		},
		{
			name: "replaced", put: &put{map[string][]byte{"a": []byte("two")}, now},
			get: []string{"a", "b"}, want: map[string][]byte{"a": []byte("two"), "b": binary},
		},
		{
			// Old entries stay while no Put is 30 days past them.
			name: "old entries", put: &put{map[string][]byte{"old1": []byte("o1"), "old2": []byte("o2")}, now.Add(-40 * day)},
			get: []string{"old1"}, want: map[string][]byte{"old1": []byte("o1")}, // a use: old1 is now recent
		},
		{
			name: "bulk", put: &put{bulk, now.Add(-31 * day)},
			get: bulkKeys[:3], want: pick(bulk, bulkKeys[:3]), // the rest are never used again
		},
		{
			name: "recent", put: &put{map[string][]byte{"recent": []byte("r"), "recent2": []byte("r2")}, now.Add(-29 * day)},
			get: []string{"old2"}, want: map[string][]byte{"old2": []byte("o2")}, // a use: old2 is now recent
		},
		{
			// Pruned: the bulk entries not read; not old1 nor old2 (read),
			// nor recent and recent2 (29 days).
			name: "pruned", put: &put{map[string][]byte{"c": []byte("three")}, now},
			get:  append([]string{"a", "b", "c", "e", "old1", "old2", "recent", "never"}, bulkKeys...),
			want: merged(map[string][]byte{"a": []byte("two"), "b": binary, "c": []byte("three"), "e": {}, "old1": []byte("o1"), "old2": []byte("o2"), "recent": []byte("r")}, pick(bulk, bulkKeys[:3])),
		},
		{
			// An empty Put prunes too: recent2, never read, is now 31
			// days old (recent was read in the step before).
			name: "empty put", put: &put{nil, now.Add(2 * day)},
			get: []string{"a", "recent", "recent2"}, want: map[string][]byte{"a": []byte("two"), "recent": []byte("r")},
		},
	}
	for _, st := range steps {
		if st.put != nil {
			if err := s.CodeCachePut(ctx, st.put.entries, st.put.usedAt); err != nil {
				t.Fatalf("%s: CodeCachePut: %v", st.name, err)
			}
		}
		got, err := s.CodeCacheGet(ctx, st.get)
		if err != nil {
			t.Fatalf("%s: CodeCacheGet: %v", st.name, err)
		}
		if got == nil {
			t.Errorf("%s: CodeCacheGet returned a nil map", st.name)
		}
		for _, k := range slices.Sorted(maps.Keys(st.want)) {
			if v, ok := got[k]; !ok || string(v) != string(st.want[k]) {
				t.Errorf("%s: %s = %q (present %v), want %q", st.name, k, v, ok, st.want[k])
			}
		}
		for _, k := range slices.Sorted(maps.Keys(got)) {
			if _, ok := st.want[k]; !ok {
				t.Errorf("%s: %s is present, want it absent", st.name, k)
			}
		}
	}
}

func pick(m map[string][]byte, keys []string) map[string][]byte {
	out := map[string][]byte{}
	for _, k := range keys {
		out[k] = m[k]
	}
	return out
}

func merged(a, b map[string][]byte) map[string][]byte {
	out := maps.Clone(a)
	maps.Copy(out, b)
	return out
}
