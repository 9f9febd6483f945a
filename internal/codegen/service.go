// Package codegen keeps a workspace's code (terraform/, ansible/, tests/)
// in step with the state store: it generates the files from the stored
// inventory and writes them without ever overwriting a person's hand edits
// silently — the store keeps what was generated last, and each file is
// merged three-way (see Decide).
package codegen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/iac/terraform"
	"github.com/proxmox-mpc/proxmox-mpc/internal/observe"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

// Generator turns the stored guests into files. existing maps a VMID to
// the resource name its code already uses, so addresses stay stable.
type Generator func(guests []state.Guest, existing map[int]string) ([]File, error)

// Service regenerates a workspace's code.
type Service struct {
	Store     state.Store
	Workspace *workspace.Workspace
	Generate  Generator
	// Existing reads the VMID → resource name map from the workspace's
	// current code (nil: none), through the code cache when one is given.
	Existing func(ws *workspace.Workspace, c terraform.Cache) (map[int]string, error)
	// Cache returns the code cache for a run's reads (nil, or returning
	// nil: every file is parsed), e.g. StoreCache over Store.
	Cache  func(ctx context.Context) terraform.Cache
	Now    func() time.Time
	Logger *slog.Logger
}

// Options tune one run.
type Options struct {
	DryRun bool // decide and report, write nothing
	Force  bool // overwrite conflicting files with the generated version
}

// Result is what one run did (or, for a dry run, would do).
type Result struct {
	Steps  []Step
	DryRun bool
}

// Count returns how many steps took action a.
func (r Result) Count(a Action) int {
	n := 0
	for _, s := range r.Steps {
		if s.Action == a {
			n++
		}
	}
	return n
}

// Changed lists the steps that write or remove a file.
func (r Result) Changed() []Step {
	var out []Step
	for _, s := range r.Steps {
		switch s.Action {
		case Create, Update, Merged, Remove:
			out = append(out, s)
		}
	}
	return out
}

// Summary is "12 files: 2 created, 1 updated, 1 merged, 8 unchanged".
func (r Result) Summary() string {
	parts := []string{}
	for _, a := range []Action{Create, Update, Merged, Kept, Remove, Conflict, Unchanged} {
		if n := r.Count(a); n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, pastTense[a]))
		}
	}
	if len(parts) == 0 {
		return "no files"
	}
	return fmt.Sprintf("%d files: %s", len(r.Steps), strings.Join(parts, ", "))
}

var pastTense = map[Action]string{
	Create: "created", Update: "updated", Merged: "merged with your edits", Kept: "kept as you edited them",
	Remove: "removed", Conflict: "in conflict", Unchanged: "unchanged",
}

// ConflictError stops a regeneration that would overwrite hand edits.
type ConflictError struct{ Steps []Step }

func (e *ConflictError) Error() string {
	names := make([]string, 0, len(e.Steps))
	for _, s := range e.Steps {
		names = append(names, s.Path+" ("+s.Reason+")")
	}
	if len(names) == 1 {
		return "code not regenerated: " + names[0] + "; nothing was written"
	}
	return fmt.Sprintf("code not regenerated: %d files conflict: %s; nothing was written", len(names), strings.Join(names, ", "))
}

// Hint says how to resolve it.
func (e *ConflictError) Hint() string {
	return "`proxmox-mpc history` shows what changed live: merge it into your edit by hand, or run `proxmox-mpc generate --force` to replace your edits with the generated version"
}

// Run generates the code from the store and writes it. When any file
// conflicts (and not Force), nothing is written and *ConflictError is
// returned with the decisions.
func (s *Service) Run(ctx context.Context, opts Options) (Result, error) {
	log := s.logger()
	start := time.Now()
	guests, err := s.Store.Guests(ctx, state.GuestFilter{})
	if err != nil {
		return Result{}, fmt.Errorf("read guests from the state store: %w", err)
	}
	existing := map[int]string{}
	if s.Existing != nil {
		var cache terraform.Cache
		if s.Cache != nil {
			cache = s.Cache(ctx)
		}
		if existing, err = s.Existing(s.Workspace, cache); err != nil {
			return Result{}, err
		}
	}
	files, err := s.Generate(guests, existing)
	if err != nil {
		return Result{}, fmt.Errorf("generate code: %w", err)
	}
	prev, err := s.Store.GeneratedFiles(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("read what was generated before: %w", err)
	}
	base := make(map[string][]byte, len(prev))
	for _, f := range prev {
		base[f.Path] = f.Content
	}
	steps, err := Decide(files, base, s.Workspace.ReadFile)
	if err != nil {
		return Result{}, err
	}
	for i := range steps {
		if old, ok := base[steps[i].Path]; ok && steps[i].New != nil && bytes.Equal(old, steps[i].New) {
			steps[i].baseCurrent = true
		}
	}
	res := Result{Steps: steps, DryRun: opts.DryRun}
	var conflicts []Step
	for i := range steps {
		if steps[i].Action != Conflict {
			continue
		}
		if opts.Force {
			if gen := generated(files, steps[i].Path); gen != nil {
				steps[i].Action, steps[i].Content, steps[i].New, steps[i].Exec = Update, gen.Content, gen.Content, gen.Exec
			} else {
				steps[i].Action = Remove
			}
			continue
		}
		conflicts = append(conflicts, steps[i])
	}
	if len(conflicts) > 0 {
		return res, &ConflictError{Steps: conflicts}
	}
	if opts.DryRun {
		return res, nil
	}
	if err := s.write(ctx, steps); err != nil {
		return res, err
	}
	log.Info("code generated", "guests", len(guests), "files", len(steps), "created", res.Count(Create),
		"updated", res.Count(Update), "merged", res.Count(Merged), "kept", res.Count(Kept), "removed", res.Count(Remove),
		observe.KeyDurationMS, time.Since(start).Milliseconds())
	return res, nil
}

func generated(files []File, path string) *File {
	for i := range files {
		if files[i].Path == path {
			return &files[i]
		}
	}
	return nil
}

// write applies the steps, then records the new bases. A failure midway
// leaves the files written so far; their bases are recorded only for what
// was written, so the next run sees the rest as still to do.
func (s *Service) write(ctx context.Context, steps []Step) error {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	at := now()
	var record []state.GeneratedFile
	var removed []string
	var werr error
	for _, st := range steps {
		switch st.Action {
		case Create, Update, Merged:
			mode := fs.FileMode(0o644)
			if st.Exec {
				mode = 0o755
			}
			if err := s.Workspace.WriteFile(st.Path, st.Content, mode); err != nil {
				werr = err
			}
		case Remove:
			if err := s.Workspace.RemoveFile(st.Path); err != nil {
				werr = err
			}
		}
		if werr != nil {
			break
		}
		switch st.Action {
		case Create, Update, Merged, Unchanged:
			if st.baseCurrent {
				continue
			}
			record = append(record, state.GeneratedFile{Path: st.Path, SHA256: Hash(st.New), Content: st.New, GeneratedAt: at})
		case Remove:
			removed = append(removed, st.Path)
		}
	}
	if err := s.Store.RecordGeneratedFiles(ctx, record, removed); err != nil {
		return errors.Join(werr, fmt.Errorf("record generated files: %w", err))
	}
	return werr
}

func (s *Service) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger.With(observe.KeySubsys, "codegen")
}
