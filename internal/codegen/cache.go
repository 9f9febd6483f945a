package codegen

import (
	"context"
	"log/slog"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/iac/terraform"
	"github.com/proxmox-mpc/proxmox-mpc/internal/observe"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// CodeCacheStore is the part of state.Store that keeps the code cache.
type CodeCacheStore interface {
	CodeCacheGet(ctx context.Context, hashes []string) (map[string][]byte, error)
	CodeCachePut(ctx context.Context, entries map[string][]byte, usedAt time.Time) error
}

var _ CodeCacheStore = state.Store(nil)

// StoreCache returns the terraform.Cache kept in st (its code_cache
// table), for the reads made while ctx lives: reading a workspace's code
// then parses only the files that changed since they were last read. A
// store that fails costs time, not correctness: terraform.ReadCached reads
// on without it, and the failure is logged at warn here (log may be nil).
func StoreCache(ctx context.Context, st CodeCacheStore, log *slog.Logger) terraform.Cache {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &storeCache{ctx: ctx, store: st, log: log.With(observe.KeySubsys, "codecache"), now: time.Now}
}

// storeCache adapts a CodeCacheStore to terraform.Cache, whose methods take
// no context: it carries the context of the command it serves (the one
// exception STYLE B4 allows, a component's own lifetime), and lives no
// longer than that command.
type storeCache struct {
	ctx   context.Context
	store CodeCacheStore
	log   *slog.Logger
	now   func() time.Time
}

var _ terraform.Cache = (*storeCache)(nil)

// Get handles a failing store here (logged, never returned: the cache is
// an accelerator and the read goes on parsing every file).
func (c *storeCache) Get(hashes []string) (map[string][]byte, error) {
	m, err := c.store.CodeCacheGet(c.ctx, hashes)
	if err != nil {
		c.log.Warn("code cache unavailable: parsing every file", slog.Int("files", len(hashes)), slog.Any(observe.KeyErr, err))
		return nil, nil
	}
	return m, nil
}

// Put handles a failing store here, as Get does: the next read parses
// these files again.
func (c *storeCache) Put(entries map[string][]byte) error {
	if err := c.store.CodeCachePut(c.ctx, entries, c.now()); err != nil {
		c.log.Warn("code cache not stored", slog.Int("files", len(entries)), slog.Any(observe.KeyErr, err))
	}
	return nil
}
