package discovery

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// memStore is a small in-memory state.Store for tests: it keeps the
// current inventory, the runs and the history, and writes all of a sync
// or nothing.
type memStore struct {
	mu      sync.Mutex
	runs    []state.SyncRun
	inv     state.Inventory
	history []state.Change
	// commitErr, when set, makes CommitSync fail without writing.
	commitErr error
	commits   int
	codeCache map[string][]byte
}

var _ state.Store = (*memStore)(nil)

func newMemStore() *memStore { return &memStore{} }

// clone deep-copies through JSON so callers never share slices with the store.
func clone[T any](v T) T {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // programmer error: the records are plain data
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

func (m *memStore) Info(context.Context) (state.Info, error) {
	return state.Info{Backend: "memory"}, nil
}
func (m *memStore) Check(context.Context) error { return nil }
func (m *memStore) Close() error                { return nil }

func (m *memStore) BeginSync(ctx context.Context, startedAt time.Time) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	id := int64(len(m.runs) + 1)
	m.runs = append(m.runs, state.SyncRun{ID: id, StartedAt: startedAt, Outcome: state.OutcomeRunning})
	return id, nil
}

func (m *memStore) lastOK() int64 {
	var id int64
	for _, r := range m.runs {
		if r.Outcome == state.OutcomeOK && r.ID > id {
			id = r.ID
		}
	}
	return id
}

func (m *memStore) CommitSync(ctx context.Context, w state.SyncWrite) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.commitErr != nil {
		return m.commitErr
	}
	if m.lastOK() != w.BaseSyncID {
		return state.ErrConflict
	}
	i := int(w.Run.ID - 1)
	if i < 0 || i >= len(m.runs) {
		return state.ErrNotFound
	}
	m.runs[i] = w.Run
	m.inv = clone(w.Inventory)
	m.history = append(m.history, clone(w.Changes)...)
	m.commits++
	return nil
}

func (m *memStore) FailSync(ctx context.Context, id int64, finishedAt time.Time, cause string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	i := int(id - 1)
	if i < 0 || i >= len(m.runs) {
		return state.ErrNotFound
	}
	m.runs[i].Outcome = state.OutcomeFailed
	m.runs[i].FinishedAt = &finishedAt
	m.runs[i].Error = cause
	return nil
}

func (m *memStore) LastSync(context.Context) (state.SyncRun, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	id := m.lastOK()
	if id == 0 {
		return state.SyncRun{}, state.ErrNotFound
	}
	return m.runs[id-1], nil
}

func (m *memStore) SyncRuns(_ context.Context, limit int) ([]state.SyncRun, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []state.SyncRun
	for i := len(m.runs) - 1; i >= 0 && (limit <= 0 || len(out) < limit); i-- {
		out = append(out, m.runs[i])
	}
	return out, nil
}

func (m *memStore) Inventory(context.Context) (state.Inventory, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return clone(m.inv), nil
}

func (m *memStore) Guests(_ context.Context, f state.GuestFilter) ([]state.Guest, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []state.Guest
	for _, g := range m.inv.Guests {
		if (f.VMID == 0 || g.VMID == f.VMID) && (f.Type == "" || g.Type == f.Type) && (f.Name == "" || g.Name == f.Name) {
			out = append(out, clone(g))
		}
	}
	return out, nil
}

func (m *memStore) History(_ context.Context, f state.HistoryFilter) ([]state.Change, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []state.Change
	for _, c := range m.history {
		if (f.SyncID == 0 || c.SyncID == f.SyncID) && (f.ResourceKey == "" || c.ResourceKey == f.ResourceKey) {
			out = append(out, c)
		}
	}
	return out, nil
}

func (m *memStore) RecordOperation(context.Context, state.Operation) (int64, error) {
	return 0, errors.New("not implemented in memStore")
}

func (m *memStore) FinishOperation(context.Context, int64, time.Time, string, string, string) error {
	return errors.New("not implemented in memStore")
}

func (m *memStore) Operations(context.Context, state.OperationFilter) ([]state.Operation, error) {
	return nil, nil
}

func (m *memStore) GeneratedFiles(context.Context) ([]state.GeneratedFile, error) { return nil, nil }

func (m *memStore) RecordGeneratedFiles(context.Context, []state.GeneratedFile, []string) error {
	return nil
}

func (m *memStore) CodeCacheGet(_ context.Context, hashes []string) (map[string][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string][]byte{}
	for _, h := range hashes {
		if v, ok := m.codeCache[h]; ok {
			out[h] = v
		}
	}
	return out, nil
}

func (m *memStore) CodeCachePut(_ context.Context, entries map[string][]byte, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.codeCache == nil {
		m.codeCache = map[string][]byte{}
	}
	for h, v := range entries {
		m.codeCache[h] = v
	}
	return nil
}
