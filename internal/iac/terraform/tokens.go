package terraform

import (
	"strconv"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// tokenWriter builds the hclwrite token stream of one guest file directly,
// without the hclwrite node tree, and lays it out exactly as
// hclwrite.Format (and `tofu fmt`) would:
//
//   - indentation: two spaces per open block;
//   - spaces between the tokens of a line: the rules of hclwrite's
//     formatter (spaceAfter below);
//   - `=` alignment: hclwrite aligns the `=` of every run of consecutive
//     lines that each hold a single-line attribute; any other line (a blank
//     line, a comment, a block's opening or closing line) ends the run.
//
// Values are written with the tokens hclwrite.TokensForValue gives: plain
// printable-ASCII strings, integers and booleans directly, anything else
// through TokensForValue itself. Every value the writer emits is on one line.
//
// A tokenWriter is reused for many files (one per worker): its tokens and
// their bytes live in buffers that reset clears; render copies the result
// out.
type tokenWriter struct {
	toks   hclwrite.Tokens
	chunks [][]hclwrite.Token // token storage, reused across files
	ci     int                // current chunk
	arena  []byte             // bytes of tokens the writer built itself
	depth  int                // open blocks
	chain  []chainLine        // the current run of aligned attribute lines
	out    []byte
}

// chainLine is one attribute line of an alignment run: its `=` token and
// the width of what precedes it.
type chainLine struct {
	eq   *hclwrite.Token
	cols int
}

const tokenChunk = 512

var (
	bNewline = []byte{'\n'}
	bQuote   = []byte{'"'}
	bOBrace  = []byte{'{'}
	bCBrace  = []byte{'}'}
	bOBrack  = []byte{'['}
	bCBrack  = []byte{']'}
	bComma   = []byte{','}
	bDot     = []byte{'.'}
	bEqual   = []byte{'='}
	bTrue    = []byte("true")
	bFalse   = []byte("false")
	bSpaces  = []byte("                                        ")
)

func (w *tokenWriter) reset() {
	w.toks = w.toks[:0]
	w.ci = 0
	for i := range w.chunks {
		w.chunks[i] = w.chunks[i][:0]
	}
	w.arena = w.arena[:0]
	w.depth = 0
	w.chain = w.chain[:0]
}

// tok appends a token and returns it.
func (w *tokenWriter) tok(typ hclsyntax.TokenType, b []byte, spaces int) *hclwrite.Token {
	if w.ci == len(w.chunks) {
		w.chunks = append(w.chunks, make([]hclwrite.Token, 0, tokenChunk))
	}
	c := w.chunks[w.ci]
	if len(c) == cap(c) {
		w.ci++
		return w.tok(typ, b, spaces)
	}
	c = append(c, hclwrite.Token{Type: typ, Bytes: b, SpacesBefore: spaces})
	w.chunks[w.ci] = c
	t := &c[len(c)-1]
	w.toks = append(w.toks, t)
	return t
}

// bytes copies s into the arena. A slice of the arena stays valid when the
// arena grows (it keeps pointing at the old array) until reset.
func (w *tokenWriter) bytes(parts ...string) []byte {
	start := len(w.arena)
	for _, p := range parts {
		w.arena = append(w.arena, p...)
	}
	return w.arena[start:len(w.arena):len(w.arena)]
}

// closeChain aligns the `=` of the current run of attribute lines.
func (w *tokenWriter) closeChain() {
	maxCols := 0
	for _, l := range w.chain {
		maxCols = max(maxCols, l.cols)
	}
	for _, l := range w.chain {
		l.eq.SpacesBefore = maxCols - l.cols + 1
	}
	w.chain = w.chain[:0]
}

func (w *tokenWriter) indent() int { return 2 * w.depth }

// comment writes a comment line ("#" or "# text"); text must be one line.
func (w *tokenWriter) comment(text string) {
	w.closeChain()
	var b []byte
	if text == "" {
		b = w.bytes("#\n")
	} else {
		b = w.bytes("# ", oneLine(text), "\n")
	}
	w.tok(hclsyntax.TokenComment, b, w.indent())
}

// newline writes an empty line.
func (w *tokenWriter) newline() {
	w.closeChain()
	w.tok(hclsyntax.TokenNewline, bNewline, 0)
}

// open starts a block: `typ "label"... {`.
func (w *tokenWriter) open(typ string, labels ...string) {
	w.closeChain()
	start := len(w.toks)
	w.tok(hclsyntax.TokenIdent, w.bytes(typ), w.indent())
	for _, l := range labels {
		w.str(l)
	}
	w.tok(hclsyntax.TokenOBrace, bOBrace, 0)
	w.tok(hclsyntax.TokenNewline, bNewline, 0)
	spaceCell(w.toks[start:])
	w.depth++
}

// close ends the innermost block.
func (w *tokenWriter) close() {
	w.closeChain()
	w.depth--
	w.tok(hclsyntax.TokenCBrace, bCBrace, w.indent())
	w.tok(hclsyntax.TokenNewline, bNewline, 0)
}

// name starts an attribute line (`name =`); the value's tokens follow, and
// end finishes the line.
func (w *tokenWriter) name(name string) int {
	id := w.tok(hclsyntax.TokenIdent, w.bytes(name), w.indent())
	eq := len(w.toks)
	w.tok(hclsyntax.TokenEqual, bEqual, 1)
	w.chain = append(w.chain, chainLine{eq: w.toks[eq], cols: columns(id)})
	return eq
}

func (w *tokenWriter) end(eq int) {
	w.tok(hclsyntax.TokenNewline, bNewline, 0)
	spaceCell(w.toks[eq:])
}

// columns is hclwrite's Tokens.Columns of the one token: its indentation
// plus its width (bytes, for the ASCII identifiers the writer uses).
func columns(t *hclwrite.Token) int {
	for _, c := range t.Bytes {
		if c >= utf8.RuneSelf {
			return hclwrite.Tokens{t}.Columns()
		}
	}
	return t.SpacesBefore + len(t.Bytes)
}

// value tokens

// plain reports whether s is written verbatim between quotes: printable
// ASCII with nothing hclwrite escapes (NFC normalisation leaves it as is).
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '$' || c == '%' {
			return false
		}
	}
	return true
}

// str appends the tokens of cty.StringVal(s).
func (w *tokenWriter) str(s string) {
	if !plain(s) {
		w.toks = append(w.toks, hclwrite.TokensForValue(cty.StringVal(s))...)
		return
	}
	w.tok(hclsyntax.TokenOQuote, bQuote, 0)
	if s != "" {
		w.tok(hclsyntax.TokenQuotedLit, w.bytes(s), 0)
	}
	w.tok(hclsyntax.TokenCQuote, bQuote, 0)
}

// integer appends the tokens of cty.NumberIntVal(v).
func (w *tokenWriter) integer(v int) {
	start := len(w.arena)
	w.arena = strconv.AppendInt(w.arena, int64(v), 10)
	w.tok(hclsyntax.TokenNumberLit, w.arena[start:len(w.arena):len(w.arena)], 0)
}

// boolean appends the tokens of cty.BoolVal(v).
func (w *tokenWriter) boolean(v bool) {
	b := bFalse
	if v {
		b = bTrue
	}
	w.tok(hclsyntax.TokenIdent, b, 0)
}

// strList appends the tokens of cty.ListVal of the strings.
func (w *tokenWriter) strList(vs []string) {
	w.tok(hclsyntax.TokenOBrack, bOBrack, 0)
	for i, v := range vs {
		if i > 0 {
			w.tok(hclsyntax.TokenComma, bComma, 0)
		}
		w.str(v)
	}
	w.tok(hclsyntax.TokenCBrack, bCBrack, 0)
}

// identList appends the tokens of hclwrite.TokensForTuple of one-step
// traversals.
func (w *tokenWriter) identList(names []string) {
	w.tok(hclsyntax.TokenOBrack, bOBrack, 0)
	for i, n := range names {
		if i > 0 {
			w.tok(hclsyntax.TokenComma, bComma, 0)
		}
		w.tok(hclsyntax.TokenIdent, w.bytes(n), 0)
	}
	w.tok(hclsyntax.TokenCBrack, bCBrack, 0)
}

// reference appends the tokens of hclwrite.TokensForTraversal of root.attr.
func (w *tokenWriter) reference(root, attr string) {
	w.tok(hclsyntax.TokenIdent, w.bytes(root), 0)
	w.tok(hclsyntax.TokenDot, bDot, 0)
	w.tok(hclsyntax.TokenIdent, w.bytes(attr), 0)
}

// render writes the tokens as hclwrite's Tokens.WriteTo does and returns a
// copy the caller owns.
func (w *tokenWriter) render() []byte {
	w.closeChain()
	out := w.out[:0]
	for _, t := range w.toks {
		for n := t.SpacesBefore; n > 0; n -= len(bSpaces) {
			out = append(out, bSpaces[:min(n, len(bSpaces))]...)
		}
		out = append(out, t.Bytes...)
	}
	w.out = out
	return append([]byte(nil), out...)
}

// spaceCell sets the spaces between the tokens of one formatting cell (a
// line's lead, or its assignment from `=` on), as hclwrite's formatter does;
// the first token keeps its own.
func spaceCell(cell hclwrite.Tokens) {
	for i := 0; i+1 < len(cell); i++ {
		before := nilToken
		if i > 0 {
			before = cell[i-1]
		}
		if spaceAfter(cell[i], before, cell[i+1]) {
			cell[i+1].SpacesBefore = 1
		} else {
			cell[i+1].SpacesBefore = 0
		}
	}
}

var nilToken = &hclwrite.Token{Type: hclsyntax.TokenNil, Bytes: []byte{}}

// spaceAfter reports whether hclwrite's formatter puts a space between
// subject and after (before is the token preceding subject, or nilToken).
// The rules and their order are those of hclwrite (format.go,
// spaceAfterToken).
func spaceAfter(subject, before, after *hclwrite.Token) bool {
	s, a := subject.Type, after.Type
	switch {
	case a == hclsyntax.TokenNewline || a == hclsyntax.TokenNil:
		return false
	case s == hclsyntax.TokenIdent && a == hclsyntax.TokenOParen:
		return false
	case s == hclsyntax.TokenIdent && a == hclsyntax.TokenDoubleColon, s == hclsyntax.TokenDoubleColon && a == hclsyntax.TokenIdent:
		return false
	case s == hclsyntax.TokenDot || a == hclsyntax.TokenDot:
		return false
	case a == hclsyntax.TokenComma || a == hclsyntax.TokenEllipsis:
		return false
	case s == hclsyntax.TokenComma:
		return true
	case s == hclsyntax.TokenQuotedLit || s == hclsyntax.TokenStringLit || s == hclsyntax.TokenOQuote || s == hclsyntax.TokenOHeredoc ||
		a == hclsyntax.TokenQuotedLit || a == hclsyntax.TokenStringLit || a == hclsyntax.TokenCQuote || a == hclsyntax.TokenCHeredoc:
		return false
	case s == hclsyntax.TokenIdent && string(subject.Bytes) == "in" && before.Type == hclsyntax.TokenIdent:
		return true
	case a == hclsyntax.TokenOBrack && (s == hclsyntax.TokenIdent || s == hclsyntax.TokenNumberLit || bracketChange(s) < 0):
		return false
	case s == hclsyntax.TokenBang:
		return false
	case s == hclsyntax.TokenMinus:
		switch before.Type {
		case hclsyntax.TokenNil,
			hclsyntax.TokenOParen, hclsyntax.TokenOBrace, hclsyntax.TokenOBrack, hclsyntax.TokenEqual, hclsyntax.TokenColon, hclsyntax.TokenComma, hclsyntax.TokenQuestion,
			hclsyntax.TokenPlus, hclsyntax.TokenStar, hclsyntax.TokenSlash, hclsyntax.TokenPercent, hclsyntax.TokenMinus,
			hclsyntax.TokenEqualOp, hclsyntax.TokenNotEqual, hclsyntax.TokenGreaterThan, hclsyntax.TokenGreaterThanEq, hclsyntax.TokenLessThan, hclsyntax.TokenLessThanEq,
			hclsyntax.TokenAnd, hclsyntax.TokenOr, hclsyntax.TokenBang:
			return false
		default:
			return true
		}
	case s == hclsyntax.TokenOBrace || a == hclsyntax.TokenCBrace:
		return s != hclsyntax.TokenOBrace || a != hclsyntax.TokenCBrace
	case (s == hclsyntax.TokenTemplateInterp || s == hclsyntax.TokenTemplateControl) && a == hclsyntax.TokenOBrace:
		return true
	case s == hclsyntax.TokenCBrace && a == hclsyntax.TokenTemplateSeqEnd:
		return true
	case s == hclsyntax.TokenTemplateSeqEnd && (a == hclsyntax.TokenTemplateInterp || a == hclsyntax.TokenTemplateControl):
		return false
	case bracketChange(s) > 0:
		return false
	case bracketChange(a) < 0:
		return false
	default:
		return true
	}
}

func bracketChange(t hclsyntax.TokenType) int {
	switch t {
	case hclsyntax.TokenOBrace, hclsyntax.TokenOBrack, hclsyntax.TokenOParen, hclsyntax.TokenTemplateControl, hclsyntax.TokenTemplateInterp:
		return 1
	case hclsyntax.TokenCBrace, hclsyntax.TokenCBrack, hclsyntax.TokenCParen, hclsyntax.TokenTemplateSeqEnd:
		return -1
	default:
		return 0
	}
}
