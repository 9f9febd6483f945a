package testgen

import (
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/proxmox-mpc/proxmox-mpc/internal/iac/terraform"
)

// tokenWriter builds the hclwrite token stream of one test file directly,
// without the hclwrite node tree, and lays it out exactly as
// hclwrite.Format (and `tofu fmt`) would, like the Terraform writer does
// (internal/iac/terraform/tokens.go):
//
//   - indentation: two spaces per open block;
//   - spaces between the tokens of a line: hclwrite's rules
//     (terraform.SpaceAfter);
//   - `=` alignment: hclwrite aligns the `=` of every run of consecutive
//     lines that each hold a single-line attribute; any other line (a blank
//     line, a comment, a block's opening or closing line) ends the run.
//
// Every value is on one line. Strings are written as
// hclwrite.TokensForValue(cty.StringVal(s)) writes them: ASCII ones escaped
// here, any other through TokensForValue itself.
//
// A tokenWriter is reused for many files: reset clears its buffers and
// render copies the result out.
type tokenWriter struct {
	toks  []hclwrite.Token
	arena []byte // bytes of the tokens; a slice of it stays valid until reset
	depth int    // open blocks
	chain []chainLine
	msg   []byte // scratch for error messages
}

// chainLine is one attribute line of an alignment run: the index of its
// `=` token and the width of what precedes it.
type chainLine struct {
	eq, cols int
}

var (
	bNewline = []byte{'\n'}
	bQuote   = []byte{'"'}
	bOBrace  = []byte{'{'}
	bCBrace  = []byte{'}'}
	bOBrack  = []byte{'['}
	bCBrack  = []byte{']'}
	bOParen  = []byte{'('}
	bCParen  = []byte{')'}
	bComma   = []byte{','}
	bDot     = []byte{'.'}
	bEqual   = []byte{'='}
	bEqualOp = []byte("==")
	spaces   = "                "
)

// reset clears the buffers and makes room for about toks tokens and
// bytes bytes.
func (w *tokenWriter) reset(toks, bytes int) {
	w.toks = slices.Grow(w.toks[:0], toks)
	w.arena = slices.Grow(w.arena[:0], bytes)
	w.depth = 0
	w.chain = w.chain[:0]
}

func (w *tokenWriter) tok(typ hclsyntax.TokenType, b []byte, spaces int) {
	w.toks = append(w.toks, hclwrite.Token{Type: typ, Bytes: b, SpacesBefore: spaces})
}

// bytes copies s into the arena.
func (w *tokenWriter) bytes(s string) []byte {
	start := len(w.arena)
	w.arena = append(w.arena, s...)
	return w.arena[start:len(w.arena):len(w.arena)]
}

// closeChain aligns the `=` of the current run of attribute lines.
func (w *tokenWriter) closeChain() {
	maxCols := 0
	for _, l := range w.chain {
		maxCols = max(maxCols, l.cols)
	}
	for _, l := range w.chain {
		w.toks[l.eq].SpacesBefore = maxCols - l.cols + 1
	}
	w.chain = w.chain[:0]
}

func (w *tokenWriter) indent() int { return 2 * w.depth }

// comment writes a comment line; text must be one line.
func (w *tokenWriter) comment(text string) {
	w.closeChain()
	start := len(w.arena)
	w.arena = append(w.arena, "# "...)
	w.arena = append(w.arena, text...)
	w.arena = append(w.arena, '\n')
	w.tok(hclsyntax.TokenComment, w.arena[start:len(w.arena):len(w.arena)], w.indent())
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
		str(w, l)
	}
	w.tok(hclsyntax.TokenOBrace, bOBrace, 0)
	w.tok(hclsyntax.TokenNewline, bNewline, 0)
	w.spaceCell(start)
	w.depth++
}

// close ends the innermost block.
func (w *tokenWriter) close() {
	w.closeChain()
	w.depth--
	w.tok(hclsyntax.TokenCBrace, bCBrace, w.indent())
	w.tok(hclsyntax.TokenNewline, bNewline, 0)
}

// name starts an attribute line (`name =`) of an ASCII name; the value's
// tokens follow, and end finishes the line.
func (w *tokenWriter) name(name string) int {
	w.tok(hclsyntax.TokenIdent, w.bytes(name), w.indent())
	eq := len(w.toks)
	w.tok(hclsyntax.TokenEqual, bEqual, 1)
	w.chain = append(w.chain, chainLine{eq: eq, cols: w.indent() + len(name)})
	return eq
}

func (w *tokenWriter) end(eq int) {
	w.tok(hclsyntax.TokenNewline, bNewline, 0)
	w.spaceCell(eq)
}

// spaceCell sets the spaces between the tokens from start to the end of the
// line (a line's lead, or its assignment from `=` on) as hclwrite's
// formatter does; the first token keeps its own.
func (w *tokenWriter) spaceCell(start int) {
	cell := w.toks[start:]
	for i := 0; i+1 < len(cell); i++ {
		var before *hclwrite.Token
		if i > 0 {
			before = &cell[i-1]
		}
		cell[i+1].SpacesBefore = 0
		if terraform.SpaceAfter(&cell[i], before, &cell[i+1]) {
			cell[i+1].SpacesBefore = 1
		}
	}
}

// ident appends an identifier token.
func (w *tokenWriter) ident(s string) { w.tok(hclsyntax.TokenIdent, w.bytes(s), 0) }

// integer appends the tokens of cty.NumberIntVal(v).
func (w *tokenWriter) integer(v int) {
	start := len(w.arena)
	w.arena = strconv.AppendInt(w.arena, int64(v), 10)
	w.tok(hclsyntax.TokenNumberLit, w.arena[start:len(w.arena):len(w.arena)], 0)
}

// steps appends the tokens hclwrite.TokensForTraversal gives for the steps
// after a root: .name and [index].
func (w *tokenWriter) steps(path []step) {
	for _, s := range path {
		if s.index {
			w.tok(hclsyntax.TokenOBrack, bOBrack, 0)
			w.tok(hclsyntax.TokenNumberLit, w.bytes(s.name), 0)
			w.tok(hclsyntax.TokenCBrack, bCBrack, 0)
		} else {
			w.tok(hclsyntax.TokenDot, bDot, 0)
			w.ident(s.name)
		}
	}
}

// str appends the tokens of hclwrite.TokensForValue(cty.StringVal(s)).
func str[S ~string | ~[]byte](w *tokenWriter, s S) {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			// cty.StringVal normalises to NFC and hclwrite escapes the
			// runes unicode.IsPrint rejects: leave that to them.
			for _, t := range hclwrite.TokensForValue(cty.StringVal(string(s))) {
				w.toks = append(w.toks, *t)
			}
			return
		}
	}
	w.tok(hclsyntax.TokenOQuote, bQuote, 0)
	if len(s) > 0 {
		start := len(w.arena)
		w.arena = appendEscaped(w.arena, s)
		w.tok(hclsyntax.TokenQuotedLit, w.arena[start:len(w.arena):len(w.arena)], 0)
	}
	w.tok(hclsyntax.TokenCQuote, bQuote, 0)
}

// appendEscaped escapes the ASCII string s as hclwrite's
// escapeQuotedStringLit does.
func appendEscaped[S ~string | ~[]byte](buf []byte, s S) []byte {
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case '\t':
			buf = append(buf, '\\', 't')
		case '"', '\\':
			buf = append(buf, '\\', c)
		case '$', '%':
			buf = append(buf, c)
			if i+1 < len(s) && s[i+1] == '{' {
				buf = append(buf, c) // $${ and %%{ escape template introducers
			}
		default:
			if c < 0x20 || c == 0x7f {
				buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			} else {
				buf = append(buf, c)
			}
		}
	}
	return buf
}

// render writes the tokens as hclwrite's Tokens.WriteTo does.
func (w *tokenWriter) render() []byte {
	w.closeChain()
	n := 0
	for i := range w.toks {
		n += w.toks[i].SpacesBefore + len(w.toks[i].Bytes)
	}
	out := make([]byte, 0, n)
	for i := range w.toks {
		t := &w.toks[i]
		for n := t.SpacesBefore; n > 0; n -= len(spaces) {
			out = append(out, spaces[:min(n, len(spaces))]...)
		}
		out = append(out, t.Bytes...)
	}
	return out
}
