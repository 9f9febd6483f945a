package codegen

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// File is one generated workspace file.
type File struct {
	Path    string // slash-separated, relative to the workspace root
	Content []byte
	Exec    bool // mode 0755 instead of 0644
}

// What happens to one path in a regeneration.
type Action string

const (
	Create    Action = "create"    // new file
	Update    Action = "update"    // the person had not touched it: replaced
	Unchanged Action = "unchanged" // already what would be written
	Merged    Action = "merged"    // the person's edits and the new version combined
	Kept      Action = "kept"      // the person's edit kept: nothing new was generated for it
	Remove    Action = "remove"    // no longer generated, and the person had not touched it
	Conflict  Action = "conflict"  // edited by hand and changed by the generator: stop
)

// Step is the decision for one path.
type Step struct {
	Path    string
	Action  Action
	Content []byte // what to write (Create, Update, Merged)
	New     []byte // the generated version: the new base to record (nil for Kept, Remove, Conflict)
	Exec    bool
	Reason  string // for Conflict and Kept

	baseCurrent bool // the recorded base already equals New
}

// Hash is the hex SHA-256 of data.
func Hash(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// Decide compares the newly generated files with what was generated last
// time (base, by path) and what is on disk now (disk reports a file's
// content and whether it exists), three-way:
//   - disk equals base (or there is no disk file and no base): the new
//     version replaces it;
//   - disk differs from base and the new version equals base: the person's
//     edit (or deletion) is kept;
//   - both changed: the generator's change (base → new) is applied to the
//     person's file as a patch; if every hunk applies cleanly it is Merged,
//     otherwise Conflict;
//   - a file on disk that was never generated and differs from the new
//     version: Conflict (never overwrite a person's file silently).
//
// Files in base that are no longer generated are removed when untouched,
// Conflict when edited. Steps come in path order: new files first, then
// removals.
func Decide(files []File, base map[string][]byte, disk func(path string) ([]byte, bool, error)) ([]Step, error) {
	steps := make([]Step, 0, len(files))
	seen := make(map[string]bool, len(files))
	for _, f := range files {
		seen[f.Path] = true
		cur, exists, err := disk(f.Path)
		if err != nil {
			return nil, err
		}
		old, hadBase := base[f.Path]
		st := Step{Path: f.Path, New: f.Content, Exec: f.Exec}
		switch {
		case exists && bytes.Equal(cur, f.Content):
			st.Action = Unchanged
		case !exists && !hadBase:
			st.Action, st.Content = Create, f.Content
		case !exists && bytes.Equal(old, f.Content):
			st.Action, st.New, st.Reason = Kept, nil, "deleted by hand; nothing new was generated for it"
		case !exists:
			st.Action, st.New, st.Reason = Conflict, nil, "deleted by hand, but the live state changed it"
		case !hadBase:
			st.Action, st.New, st.Reason = Conflict, nil, "exists but was not written by proxmox-mpc"
		case bytes.Equal(cur, old):
			st.Action, st.Content = Update, f.Content
		case bytes.Equal(old, f.Content):
			st.Action, st.New, st.Reason = Kept, nil, "edited by hand; nothing new was generated for it"
		default:
			if merged, ok := merge3(old, cur, f.Content); ok {
				st.Action, st.Content = Merged, merged
			} else {
				st.Action, st.New, st.Reason = Conflict, nil, "edited by hand, and the live state changed the same lines"
			}
		}
		steps = append(steps, st)
	}
	var gone []string
	for p := range base {
		if !seen[p] {
			gone = append(gone, p)
		}
	}
	slices.Sort(gone)
	for _, p := range gone {
		cur, exists, err := disk(p)
		if err != nil {
			return nil, err
		}
		switch {
		case !exists || bytes.Equal(cur, base[p]):
			steps = append(steps, Step{Path: p, Action: Remove})
		default:
			steps = append(steps, Step{Path: p, Action: Conflict, Reason: "edited by hand, but its guest is gone"})
		}
	}
	return steps, nil
}

// merge3 is a line-wise three-way merge: the changes base → ours and
// base → theirs are both applied when they touch different lines of base
// (identical changes count once). ok is false when they overlap.
func merge3(base, ours, theirs []byte) ([]byte, bool) {
	dmp := diffmatchpatch.New()
	b := splitLines(string(base))
	all := append(hunks(dmp, b, splitLines(string(ours))), hunks(dmp, b, splitLines(string(theirs)))...)
	slices.SortStableFunc(all, func(x, y hunk) int { return x.start - y.start })
	var out []string
	pos := 0
	for k := 0; k < len(all); k++ {
		h := all[k]
		if k+1 < len(all) {
			n := all[k+1]
			if n.start == h.start && n.end == h.end && slices.Equal(n.lines, h.lines) {
				k++ // the same change on both sides
			} else if n.start < h.end || n.start == h.start {
				return nil, false
			}
		}
		out = append(out, b[pos:h.start]...)
		out = append(out, h.lines...)
		pos = h.end
	}
	out = append(out, b[pos:]...)
	return []byte(strings.Join(out, "")), true
}

// hunk replaces base lines [start, end) with lines.
type hunk struct {
	start, end int
	lines      []string
}

// hunks lists the line changes from a to b, in order.
func hunks(dmp *diffmatchpatch.DiffMatchPatch, a, b []string) []hunk {
	ca, cb, lines := dmp.DiffLinesToChars(strings.Join(a, ""), strings.Join(b, ""))
	diffs := dmp.DiffCharsToLines(dmp.DiffMain(ca, cb, false), lines)
	var out []hunk
	pos := 0
	var cur *hunk
	flush := func() {
		if cur != nil {
			out = append(out, *cur)
			cur = nil
		}
	}
	for _, d := range diffs {
		n := splitLines(d.Text)
		switch d.Type {
		case diffmatchpatch.DiffEqual:
			flush()
			pos += len(n)
		case diffmatchpatch.DiffDelete:
			if cur == nil {
				cur = &hunk{start: pos, end: pos}
			}
			cur.end += len(n)
			pos += len(n)
		case diffmatchpatch.DiffInsert:
			if cur == nil {
				cur = &hunk{start: pos, end: pos}
			}
			cur.lines = append(cur.lines, n...)
		}
	}
	flush()
	return out
}

// splitLines splits s after each newline, keeping it.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	parts := strings.SplitAfter(s, "\n")
	if parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}
