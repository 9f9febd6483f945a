package console

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/chzyer/readline"
)

// completeTimeout bounds one Tab press, so a slow completion source
// cannot freeze the line editor.
const completeTimeout = 2 * time.Second

// completer completes console lines for readline: command names and slash
// verbs in the first word, then whatever Options.Complete offers.
type completer struct {
	s   *session
	ctx context.Context // the console's lifetime context
}

var _ readline.AutoCompleter = (*completer)(nil)

// Do returns the suffixes that complete the word before pos and the
// length (in runes) of that word, as readline expects.
func (c *completer) Do(line []rune, pos int) ([][]rune, int) {
	if pos < 0 || pos > len(line) {
		return nil, 0
	}
	words, partial := splitForCompletion(string(line[:pos]))
	cands := c.candidates(words, partial)
	if len(cands) == 0 {
		return nil, 0
	}
	out := make([][]rune, 0, len(cands))
	for _, cand := range cands {
		suffix := cand[len(partial):]
		if !strings.HasSuffix(cand, "=") && !strings.HasSuffix(cand, "/") {
			suffix += " "
		}
		out = append(out, []rune(suffix))
	}
	return out, utf8.RuneCountInString(partial)
}

// candidates are the completions of partial after words, sorted, unique,
// each starting with partial.
func (c *completer) candidates(words []string, partial string) []string {
	var raw []string
	switch {
	case len(words) == 0 && strings.HasPrefix(partial, "/"):
		for _, n := range c.s.slashNames() {
			raw = append(raw, "/"+n)
		}
	case len(words) == 0:
		raw = append(slices.Clone(c.s.commands()), verbExit, verbQuit)
	default:
		if c.s.opts.Complete == nil {
			return nil
		}
		args := slices.Clone(words)
		if verb, ok := strings.CutPrefix(args[0], "/"); ok {
			if slices.Contains(builtinSlashVerbs(), verb) {
				return nil
			}
			args[0] = verb
		}
		ctx, cancel := context.WithTimeout(c.ctx, completeTimeout)
		defer cancel()
		raw = c.s.opts.Complete(ctx, args, partial)
	}
	return filterPrefix(raw, partial)
}

// filterPrefix keeps the candidates that start with prefix, without a
// cobra-style "\tdescription", sorted and unique.
func filterPrefix(cands []string, prefix string) []string {
	out := make([]string, 0, min(len(cands), 64))
	for _, c := range cands {
		if i := strings.IndexByte(c, '\t'); i >= 0 {
			c = c[:i]
		}
		if c != "" && strings.HasPrefix(c, prefix) {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// splitForCompletion splits the text before the cursor into the finished
// words and the word being typed ("" after a space).
func splitForCompletion(head string) (words []string, partial string) {
	words = strings.Fields(head)
	if len(words) == 0 {
		return nil, ""
	}
	if r, _ := utf8.DecodeLastRuneInString(head); unicode.IsSpace(r) {
		return words, ""
	}
	return words[:len(words)-1], words[len(words)-1]
}
