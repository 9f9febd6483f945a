package anonymize

import (
	"slices"
	"strings"
)

// Logs repeat themselves: the same host names, addresses, users and
// timestamps come back line after line. The atom scanner therefore
// remembers what it made of each run it parsed, and what that did to the
// engine (counts, test hook, echoed secrets), so that a run seen before
// costs one map look-up; so does the FQDN under a host key (host=…).
// Every result is stable: a value's pseudonym never changes once given,
// and what stays as it is depends only on the rules.

// memoMax bounds the values a table remembers; it starts over when full.
const memoMax = 1 << 13

// memoTable is one kind of remembered results, guarded by the engine's mu.
type memoTable struct {
	m map[string]memoEntry
}

// eventKind tells how a remembered event is replayed.
type eventKind uint8

const (
	evCount  eventKind = iota // one replacement of type t counted (and shown to the test hook)
	evSecret                  // the same, and the value is a secret the call echo-masks
	evRev                     // the reverse map sends pseudo back to real (host_3f9a2c -> web_01)
)

type event struct {
	kind   eventKind
	t      Type
	real   string
	pseudo string
}

type memoEntry struct {
	r      string
	ok     bool
	events []event
}

// note records an event while a run's first parse is being remembered.
func (c *call) note(kind eventKind, t Type, real, pseudo string) {
	if c != nil && c.recording {
		c.rec = append(c.rec, event{kind: kind, t: t, real: strings.Clone(real), pseudo: pseudo})
	}
}

// memoAtom is atom for a whole run of the scanner, remembered.
func (e *Engine) memoAtom(a string, c *call) (string, bool) {
	return e.memoized(&e.atomMemo, a, c, func() (string, bool) { return e.atom(a, c) })
}

// memoized returns fn(), which anonymizes key, from t when key was seen.
func (e *Engine) memoized(t *memoTable, key string, c *call, fn func() (string, bool)) (string, bool) {
	if c.recording { // inside a remembered parse: its events are the outer one's
		return fn()
	}
	e.mu.Lock()
	m, hit := t.m[key]
	if hit {
		e.replayLocked(m.events)
	}
	e.mu.Unlock()
	if hit {
		e.replayUnlocked(c, m.events)
		return m.r, m.ok
	}
	c.recording, c.rec = true, c.rec[:0]
	r, ok := fn()
	c.recording = false
	m = memoEntry{r: r, ok: ok}
	if len(c.rec) > 0 {
		m.events = slices.Clone(c.rec)
	}
	e.mu.Lock()
	if t.m == nil || len(t.m) >= memoMax {
		t.m = make(map[string]memoEntry)
	}
	t.m[strings.Clone(key)] = m
	e.mu.Unlock()
	return r, ok
}

// replayLocked applies the engine's part of a remembered parse's events
// (counts, reverse map); e.mu is held.
func (e *Engine) replayLocked(evs []event) {
	for _, ev := range evs {
		switch ev.kind {
		case evCount, evSecret:
			e.counts[ev.t]++
		case evRev:
			e.rev[ev.pseudo] = ev.real
			e.used[ev.pseudo] = true
		}
	}
}

// replayUnlocked applies the rest: the test hook and the call's secrets.
func (e *Engine) replayUnlocked(c *call, evs []event) {
	for _, ev := range evs {
		if ev.kind == evRev {
			continue
		}
		if e.onMatch != nil {
			e.onMatch(ev.t, ev.real)
		}
		if ev.kind == evSecret {
			c.addSecret(ev.t, ev.real)
		}
	}
}
