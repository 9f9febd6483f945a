package health

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// versionCache remembers the version each tool binary reported, keyed by
// its path, size and modification time: asking ansible-playbook for its
// version alone takes about half a second, more than the whole health
// budget, and a binary that did not change reports the same version.
type versionCache struct {
	path string // "" = no cache

	mu      sync.Mutex
	entries map[string]string
	dirty   bool
}

func loadVersionCache(path string) *versionCache {
	c := &versionCache{path: path, entries: map[string]string{}}
	if path == "" {
		return c
	}
	if data, err := os.ReadFile(path); err == nil {
		_ = json.Unmarshal(data, &c.entries) // a broken cache is an empty one
	}
	return c
}

// key identifies a binary's current content cheaply; ok is false when it
// cannot be stat'ed.
func versionKey(bin string) (string, bool) {
	st, err := os.Stat(bin)
	if err != nil {
		return "", false
	}
	return fmt.Sprintf("%s|%d|%d", bin, st.Size(), st.ModTime().UnixNano()), true
}

func (c *versionCache) get(bin string) (string, bool) {
	if c.path == "" {
		return "", false
	}
	k, ok := versionKey(bin)
	if !ok {
		return "", false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.entries[k]
	return v, ok
}

func (c *versionCache) put(bin, version string) {
	if c.path == "" {
		return
	}
	k, ok := versionKey(bin)
	if !ok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries[k] != version {
		c.entries[k], c.dirty = version, true
	}
}

// save writes the cache when it changed; failures only cost speed.
func (c *versionCache) save() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.path == "" || !c.dirty {
		return
	}
	data, err := json.Marshal(c.entries)
	if err != nil {
		return
	}
	if err := os.MkdirAll(filepath.Dir(c.path), 0o700); err != nil {
		return
	}
	tmp := c.path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return
	}
	_ = os.Rename(tmp, c.path)
}
