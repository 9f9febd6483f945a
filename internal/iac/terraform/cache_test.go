package terraform

import (
	"errors"
	"maps"
	"reflect"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
)

// mapCache is a Cache in memory that records what it was asked.
type mapCache struct {
	m              map[string][]byte
	getErr, putErr error
	gets, puts     int
	put            map[string][]byte // the entries of the last Put
}

func newMapCache() *mapCache { return &mapCache{m: map[string][]byte{}} }

func (c *mapCache) Get(hashes []string) (map[string][]byte, error) {
	c.gets++
	if c.getErr != nil {
		return nil, c.getErr
	}
	out := map[string][]byte{}
	for _, h := range hashes {
		if v, ok := c.m[h]; ok {
			out[h] = v
		}
	}
	return out, nil
}

func (c *mapCache) Put(entries map[string][]byte) error {
	c.puts++
	c.put = entries
	if c.putErr != nil {
		return c.putErr
	}
	maps.Copy(c.m, entries)
	return nil
}

var _ Cache = (*mapCache)(nil)

// oddFiles are files whose results are not plain guests: errors, warnings,
// an address defined twice, a vm_id that only the import gives, bytes that
// are not UTF-8, a number no float64 holds.
var oddFiles = map[string][]byte{
	"zz_syntax.tf":   []byte("resource \"proxmox_virtual_environment_vm\" \"s\" {\n  node_name = \n}\n"),
	"zz_literal.tf":  []byte("resource \"proxmox_virtual_environment_vm\" \"v\" {\n  node_name = var.node\n  timeout_create = 600\n  cpu { cores = max(1, 2) }\n}\n"),
	"zz_dup_a.tf":    []byte("resource \"proxmox_virtual_environment_container\" \"dup\" {\n  node_name = \"pve\"\n}\n"),
	"zz_dup_b.tf":    []byte("# again\nresource \"proxmox_virtual_environment_container\" \"dup\" {\n  node_name = \"pve2\"\n}\n"),
	"zz_import.tf":   []byte("resource \"proxmox_virtual_environment_vm\" \"imp\" {\n  node_name = \"pve\"\n  description = \"caf\u00e9 \\u00e9\"\n}\nimport {\n  to = proxmox_virtual_environment_vm.imp\n  id = \"pve/4242\"\n}\nimport {\n  to = proxmox_virtual_environment_vm.bad\n  id = \"4242\"\n}\n"),
	"zz_notutf8.tf":  []byte("resource \"proxmox_virtual_environment_vm\" \"u\" {\n  node_name = \"pve\"\n  description = \"\xff\xfe\"\n}\n"),
	"zz_huge.tf":     []byte("resource \"proxmox_virtual_environment_vm\" \"h\" {\n  node_name = \"pve\"\n  cpu { limit = 1e400 }\n}\n"),
	"zz_empty.tf":    {},
	"zz_other.tf":    []byte("terraform {}\nresource \"proxmox_virtual_environment_pool\" \"p\" { pool_id = \"x\" }\n"),
	"zz_pointers.tf": []byte("resource \"proxmox_virtual_environment_vm\" \"p\" {\n  node_name = \"pve\"\n  tags = []\n  initialization {\n    upgrade = false\n  }\n  agent {}\n}\n"),
}

// compareRead fails unless got equals Read's result for files.
func compareRead(t *testing.T, files map[string][]byte, got *Code, gotErr error) {
	t.Helper()
	want, wantErr := Read(files)
	compareCode(t, want, wantErr, got, gotErr)
}

// compareCode fails unless got and gotErr equal want and wantErr.
func compareCode(t *testing.T, want *Code, wantErr error, got *Code, gotErr error) {
	t.Helper()
	// reflect.DeepEqual first: it is as strict (nil is not empty) and much
	// faster than cmp on 2000 guests; cmp only to show a difference.
	if !reflect.DeepEqual(want, got) {
		t.Errorf("ReadCached code differs from Read (-Read +ReadCached):\n%s", cmp.Diff(want, got))
	}
	var wantEs, gotEs Errors
	errors.As(wantErr, &wantEs)
	errors.As(gotErr, &gotEs)
	if (wantErr == nil) != (gotErr == nil) {
		t.Fatalf("ReadCached err = %v, Read err = %v", gotErr, wantErr)
	}
	if !reflect.DeepEqual(wantEs, gotEs) {
		t.Errorf("ReadCached errors differ from Read (-Read +ReadCached):\n%s", cmp.Diff(wantEs, gotEs))
	}
}

// cacheable counts the files ReadCached stores: all but those that are
// not UTF-8 or yield a number JSON cannot hold.
func cacheable(files map[string][]byte) int {
	n := len(files)
	for _, name := range []string{"zz_notutf8.tf", "zz_huge.tf"} {
		if _, ok := files[name]; ok {
			n--
		}
	}
	return n
}

// TestReadCached: cold, warm and half-warm reads give what Read gives,
// and only the files not in the cache are parsed and stored.
func TestReadCached(t *testing.T) {
	t.Parallel()
	for _, sc := range []struct {
		name string
		n    int
	}{{pvesim.ScenarioHomelab, 0}, {pvesim.ScenarioLarge, 2000}} {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			gen, err := Generate(guestsOf(t, sc.name, sc.n), Options{})
			if err != nil {
				t.Fatal(err)
			}
			files := fileMap(gen)
			maps.Copy(files, oddFiles)
			names := sortedNames(files)
			want, wantErr := Read(files)
			full := newMapCache()
			if _, err := ReadCached(files, full); err == nil {
				t.Fatal("no error from the odd files")
			}
			if len(full.m) != cacheable(files) {
				t.Fatalf("cold read stored %d entries, want %d", len(full.m), cacheable(files))
			}
			half := func() map[string][]byte {
				m := map[string][]byte{}
				for i, n := range names {
					if h := FileHash(n, files[n]); i%2 == 0 && full.m[h] != nil {
						m[h] = full.m[h]
					}
				}
				return m
			}()
			tests := []struct {
				name    string
				entries map[string][]byte
				wantPut int // entries stored by the read
			}{
				{"cold", nil, cacheable(files)},
				{"warm", full.m, 0},
				{"half-warm", half, cacheable(files) - len(half)},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					c := newMapCache()
					maps.Copy(c.m, tt.entries)
					code, err := ReadCached(files, c)
					compareCode(t, want, wantErr, code, err)
					if c.gets != 1 {
						t.Errorf("%d Gets, want 1", c.gets)
					}
					if len(c.put) != tt.wantPut {
						t.Errorf("stored %d entries, want %d", len(c.put), tt.wantPut)
					}
					for h := range c.put {
						if _, was := tt.entries[h]; was {
							t.Errorf("stored %s again, although it was in the cache", h)
						}
					}
				})
			}
		})
	}
}

// TestReadCachedUsesEntries: a valid entry is used as it is, without
// parsing the file (here the entry of another file stands in for it).
func TestReadCachedUsesEntries(t *testing.T) {
	t.Parallel()
	a := map[string][]byte{"a.tf": []byte("resource \"proxmox_virtual_environment_vm\" \"a\" {\n  node_name = \"pve\"\n  vm_id = 100\n}\n")}
	b := map[string][]byte{"a.tf": []byte("resource \"proxmox_virtual_environment_vm\" \"b\" {\n  node_name = \"pve\"\n  vm_id = 200\n}\n")}
	c := newMapCache()
	if _, err := ReadCached(a, c); err != nil {
		t.Fatal(err)
	}
	c.m[FileHash("a.tf", b["a.tf"])] = c.m[FileHash("a.tf", a["a.tf"])]
	got, err := ReadCached(b, c)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := Read(a)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("read b with a's entry (-a +got):\n%s", d)
	}
}

// TestReadCachedBadEntries: an entry that does not decode, or comes from
// another format or reader version, is ignored: the file is parsed and
// its entry replaced.
func TestReadCachedBadEntries(t *testing.T) {
	t.Parallel()
	files := map[string][]byte{
		"a.tf": []byte("resource \"proxmox_virtual_environment_vm\" \"a\" {\n  node_name = \"pve\"\n  vm_id = 100\n  tags = [\"x\"]\n}\n"),
		"b.tf": []byte("resource \"proxmox_virtual_environment_container\" \"b\" {\n  node_name = \"pve\"\n  bogus = 1\n}\n"),
	}
	good := newMapCache()
	if _, err := ReadCached(files, good); err != nil {
		t.Fatal(err)
	}
	ha := FileHash("a.tf", files["a.tf"])
	entry := good.m[ha]
	version := readerVersion()
	header := func(format byte, v [versionLen]byte) []byte {
		return append(append([]byte(cacheMagic), format), v[:]...)
	}
	body := entry[headerLen:]
	otherVersion := version
	otherVersion[0] ^= 0xff
	tests := []struct {
		name  string
		entry []byte
	}{
		{"nil", nil},
		{"empty", []byte{}},
		{"garbage", []byte("not a cache entry at all, not even close")},
		{"header only", entry[:headerLen]},
		{"truncated", entry[:len(entry)-10]},
		{"old format", append(header(cacheFormat-1, version), body...)},
		{"newer format", append(header(cacheFormat+1, version), body...)},
		{"other reader", append(header(cacheFormat, otherVersion), body...)},
		{"other magic", append([]byte("xyz"), entry[len(cacheMagic):]...)},
		{"unknown field", append(header(cacheFormat, version), []byte(`{"g":[],"x":1}`)...)},
		{"wrong type", append(header(cacheFormat, version), []byte(`{"o":"many"}`)...)},
		{"trailing data", append(slices.Clone(entry), []byte(`{"o":3}`)...)},
		{"null error", append(header(cacheFormat, version), []byte(`{"e":[null]}`)...)},
		{"not an object", append(header(cacheFormat, version), []byte(`[1,2]`)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newMapCache()
			maps.Copy(c.m, good.m)
			c.m[ha] = tt.entry
			code, err := ReadCached(files, c)
			compareRead(t, files, code, err)
			if len(c.put) != 1 || c.put[ha] == nil {
				t.Fatalf("stored %d entries, want a's only", len(c.put))
			}
			if _, ok := decodeResult(c.put[ha], version); !ok {
				t.Error("the replacement entry does not decode")
			}
		})
	}
}

// TestReadCachedCacheFails: a cache that fails changes nothing but speed.
func TestReadCachedCacheFails(t *testing.T) {
	t.Parallel()
	files := maps.Clone(oddFiles)
	files["a.tf"] = []byte("resource \"proxmox_virtual_environment_vm\" \"a\" {\n  node_name = \"pve\"\n}\n")
	warm := newMapCache()
	_, _ = ReadCached(files, warm)
	tests := []struct {
		name    string
		cache   func() Cache
		wantPut int
	}{
		{"nil cache", func() Cache { return nil }, 0},
		{"get fails", func() Cache {
			c := newMapCache()
			maps.Copy(c.m, warm.m)
			c.getErr = errors.New("database is locked")
			return c
		}, cacheable(files)},
		{"put fails", func() Cache {
			c := newMapCache()
			c.putErr = errors.New("disk full")
			return c
		}, cacheable(files)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := tt.cache()
			code, err := ReadCached(files, c)
			compareRead(t, files, code, err)
			if mc, ok := c.(*mapCache); ok && len(mc.put) != tt.wantPut {
				t.Errorf("tried to store %d entries, want %d", len(mc.put), tt.wantPut)
			}
		})
	}
}

// TestFileHash: the key changes with the name and with the content, and
// a name cannot run into the content.
func TestFileHash(t *testing.T) {
	t.Parallel()
	base := FileHash("a.tf", []byte("x"))
	tests := []struct {
		name    string
		file    string
		content string
	}{
		{"other name", "b.tf", "x"},
		{"other content", "a.tf", "y"},
		{"name runs into content", "a.t", "fx"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := FileHash(tt.file, []byte(tt.content)); got == base || len(got) != 64 {
				t.Errorf("FileHash(%q, %q) = %s (a.tf/x: %s)", tt.file, tt.content, got, base)
			}
		})
	}
}

// FuzzReadCached: cold and warm cached reads of any file give what Read
// gives, and no cache entry makes ReadCached panic.
func FuzzReadCached(f *testing.F) {
	f.Add([]byte(`resource "proxmox_virtual_environment_vm" "a" { node_name = "pve" }`), []byte(`{}`))
	f.Add([]byte("import {\n to = proxmox_virtual_environment_vm.a\n id = \"pve/1\"\n}\n"), []byte(`{"o":1}`))
	f.Add([]byte(`resource "proxmox_virtual_environment_vm" "a" { node_name = var.x }`), []byte(`{"g":[{"g":{"Address":"x"},"l":1}]}`))
	f.Fuzz(func(t *testing.T, src, body []byte) {
		files := map[string][]byte{"f.tf": src}
		c := newMapCache()
		for range 2 {
			code, err := ReadCached(files, c)
			compareRead(t, files, code, err)
		}
		v := readerVersion()
		c.m[FileHash("f.tf", src)] = append(append(append([]byte(cacheMagic), cacheFormat), v[:]...), body...)
		if code, _ := ReadCached(files, c); code == nil {
			t.Fatal("nil code")
		}
	})
}
