package observe

import (
	"context"
	"log/slog"
)

// correlationKey is the context key of the correlation id.
type correlationKey struct{}

// WithCorrelation returns a context carrying the correlation id of one
// command (or one API request); records logged with it carry the id.
func WithCorrelation(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, correlationKey{}, id)
}

// CorrelationID returns the id WithCorrelation stored in ctx, or "".
func CorrelationID(ctx context.Context) string {
	if ctx == nil {
		return ""
	}
	id, _ := ctx.Value(correlationKey{}).(string)
	return id
}

// CorrelationHandler wraps h so that every record gets a correlation_id
// attribute: the id of the record's context (slog's *Context methods), or
// fallback when the context has none (fallback "" adds nothing then). A
// record that already sets correlation_id itself keeps its own.
func CorrelationHandler(h slog.Handler, fallback string) slog.Handler {
	return &correlationHandler{h: h, fallback: fallback}
}

// CommandHandler is CorrelationHandler plus an operation attribute on every
// record that has none: op() names the command running now ("" adds
// nothing), so even records logged without a context say which command
// they belong to.
func CommandHandler(h slog.Handler, fallback string, op func() string) slog.Handler {
	return &correlationHandler{h: h, fallback: fallback, op: op}
}

type correlationHandler struct {
	h        slog.Handler // the wrapped handler with the top-level attributes
	fallback string
	op       func() string // the current command, for the operation attribute; nil: none
	preset   bool          // a top-level correlation_id came through WithAttrs
	groups   []groupFrame  // groups opened by WithGroup, applied in Handle
}

// groupFrame is one WithGroup and the attributes added inside it.
type groupFrame struct {
	name  string
	attrs []slog.Attr
}

var _ slog.Handler = (*correlationHandler)(nil)

func (c *correlationHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return c.h.Enabled(ctx, l)
}

func (c *correlationHandler) Handle(ctx context.Context, r slog.Record) error {
	id := ""
	if !c.preset {
		id = CorrelationID(ctx)
		if id == "" {
			id = c.fallback
		}
	}
	op := ""
	if c.op != nil && !hasKey(r, KeyOperation) {
		op = c.op()
	}
	if len(c.groups) == 0 {
		if id != "" && hasKey(r, KeyCorrelationID) {
			id = ""
		}
		if id == "" && op == "" {
			return c.h.Handle(ctx, r)
		}
		r = r.Clone()
		if id != "" {
			r.AddAttrs(slog.String(KeyCorrelationID, id))
		}
		if op != "" {
			r.AddAttrs(slog.String(KeyOperation, op))
		}
		return c.h.Handle(ctx, r)
	}
	// Nest the record's attributes in the open groups, so the id stays
	// at the top level.
	inner := make([]slog.Attr, 0, r.NumAttrs())
	r.Attrs(func(a slog.Attr) bool { inner = append(inner, a); return true })
	for i := len(c.groups) - 1; i >= 0; i-- {
		g := c.groups[i]
		as := make([]any, 0, len(g.attrs)+len(inner))
		for _, a := range g.attrs {
			as = append(as, a)
		}
		for _, a := range inner {
			as = append(as, a)
		}
		inner = []slog.Attr{slog.Group(g.name, as...)}
	}
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	if id != "" {
		out.AddAttrs(slog.String(KeyCorrelationID, id))
	}
	if op != "" {
		out.AddAttrs(slog.String(KeyOperation, op))
	}
	out.AddAttrs(inner...)
	return c.h.Handle(ctx, out)
}

func hasKey(r slog.Record, key string) bool {
	has := false
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			has = true
			return false
		}
		return true
	})
	return has
}

func (c *correlationHandler) WithAttrs(as []slog.Attr) slog.Handler {
	if len(as) == 0 {
		return c
	}
	n := *c
	if len(c.groups) == 0 {
		for _, a := range as {
			if a.Key == KeyCorrelationID {
				n.preset = true
			}
		}
		n.h = c.h.WithAttrs(as)
		return &n
	}
	n.groups = append([]groupFrame(nil), c.groups...)
	last := &n.groups[len(n.groups)-1]
	last.attrs = append(append([]slog.Attr(nil), last.attrs...), as...)
	return &n
}

// WithGroup keeps the correlation id at the top level: the group and the
// attributes added inside it are applied to each record in Handle.
func (c *correlationHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return c
	}
	n := *c
	n.groups = append(append([]groupFrame(nil), c.groups...), groupFrame{name: name})
	return &n
}
