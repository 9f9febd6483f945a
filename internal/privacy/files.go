package privacy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/renameio/v2"

	"github.com/proxmox-mpc/proxmox-mpc/internal/anonymize"
)

// Kind is how a file is anonymized.
type Kind string

// The kinds of files.
const (
	KindJSON  Kind = "json"  // by structure: keys kept, values masked
	KindYAML  Kind = "yaml"  // by structure, comments kept
	KindLines Kind = "lines" // JSON lines (logs): each line by structure, or as text
	KindText  Kind = "text"
)

// KindOf picks the kind from a file name's extension.
func KindOf(name string) Kind {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json", ".tfstate":
		return KindJSON
	case ".yaml", ".yml":
		return KindYAML
	case ".log", ".jsonl", ".ndjson":
		return KindLines
	}
	return KindText
}

// Anonymize anonymizes data of kind k. A JSON or YAML document that does
// not parse is anonymized as text, and the kind returned says so.
func Anonymize(e *anonymize.Engine, k Kind, data []byte) ([]byte, Kind) {
	switch k {
	case KindJSON:
		if out, err := e.JSON(data); err == nil {
			return out, KindJSON
		}
	case KindYAML:
		if out, err := e.YAML(data); err == nil {
			return out, KindYAML
		}
	case KindLines:
		return anonymizeLines(e, data), KindLines
	}
	return []byte(e.Text(string(data))), KindText
}

func anonymizeLines(e *anonymize.Engine, data []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(data))
	for len(data) > 0 {
		line, rest, nl := bytes.Cut(data, []byte{'\n'})
		data = rest
		t := bytes.TrimSpace(line)
		if len(t) > 0 && t[0] == '{' && json.Valid(t) {
			if a, err := e.JSON(line); err == nil {
				out.Write(a)
			} else {
				out.WriteString(e.Text(string(line)))
			}
		} else {
			out.WriteString(e.Text(string(line)))
		}
		if nl {
			out.WriteByte('\n')
		}
	}
	return out.Bytes()
}

// AnonOutputPath is where `anonymize FILE` writes: FILE.anon.EXT beside it.
func AnonOutputPath(in string) string { return withInfix(in, "anon") }

// RealOutputPath is where `anonymize --reverse FILE` writes: FILE.real.EXT
// (an input named X.anon.EXT gives X.real.EXT).
func RealOutputPath(in string) string {
	dir, base := filepath.Split(in)
	stem, ext := splitExt(base)
	stem = strings.TrimSuffix(stem, ".anon")
	return filepath.Join(dir, stem+".real"+ext)
}

func withInfix(in, infix string) string {
	dir, base := filepath.Split(in)
	stem, ext := splitExt(base)
	return filepath.Join(dir, stem+"."+infix+ext)
}

// splitExt splits a base name at its extension; a dotfile (.env) has none.
func splitExt(base string) (stem, ext string) {
	ext = filepath.Ext(base)
	stem = strings.TrimSuffix(base, ext)
	if stem == "" {
		return base, ""
	}
	return stem, ext
}

// ErrSameFile refuses to write over the input.
var ErrSameFile = errors.New("the output would replace the input")

// AnonymizeFile anonymizes the file in into out (atomically, mode 0600)
// by its kind; text is streamed in bounded memory.
func AnonymizeFile(e *anonymize.Engine, in, out string) (Kind, error) {
	if same(in, out) {
		return "", fmt.Errorf("anonymize %s: %w", in, ErrSameFile)
	}
	k := KindOf(in)
	if k == KindText {
		src, err := os.Open(in) // #nosec G304 -- the file the user named
		if err != nil {
			return "", fmt.Errorf("anonymize: %w", err)
		}
		defer func() { _ = src.Close() }()
		return KindText, writeStream(out, func(w io.Writer) error { return e.Stream(w, src) })
	}
	data, err := os.ReadFile(in) // #nosec G304 -- the file the user named
	if err != nil {
		return "", fmt.Errorf("anonymize: %w", err)
	}
	res, k := Anonymize(e, k, data)
	return k, writeFile(out, res, 0o600)
}

// ReverseFile turns the pseudonyms of mapping in the file in back into
// real values, into out (mode 0600).
func ReverseFile(in, out string, mapping map[string]string) error {
	if same(in, out) {
		return fmt.Errorf("reverse %s: %w", in, ErrSameFile)
	}
	data, err := os.ReadFile(in) // #nosec G304 -- the file the user named
	if err != nil {
		return fmt.Errorf("reverse: %w", err)
	}
	return writeFile(out, []byte(anonymize.Reverse(string(data), mapping)), 0o600)
}

func same(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	if err1 != nil || err2 != nil {
		return a == b
	}
	if aa == bb {
		return true
	}
	sa, err1 := os.Stat(aa)
	sb, err2 := os.Stat(bb)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

func writeStream(path string, fill func(io.Writer) error) error {
	pf, err := renameio.NewPendingFile(path, renameio.WithStaticPermissions(0o600))
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() { _ = pf.Cleanup() }()
	bw := bufio.NewWriterSize(pf, 64<<10)
	if err := fill(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := pf.CloseAtomicallyReplace(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// ExportReverse writes the reverse map (pseudonym → real value) as JSON,
// mode 0600, atomically. It holds real names: keep it off shared places;
// a path inside a workspace would be committed with it (see Inside).
func ExportReverse(path string, mapping map[string]string) error {
	if mapping == nil {
		mapping = map[string]string{}
	}
	data, err := json.MarshalIndent(mapping, "", "  ")
	if err != nil {
		return fmt.Errorf("reverse map: %w", err)
	}
	return writeFile(path, append(data, '\n'), 0o600)
}

// MapError is a reverse-map file that cannot be used.
type MapError struct {
	Path    string
	Problem string
}

func (e *MapError) Error() string { return fmt.Sprintf("reverse map %s: %s", e.Path, e.Problem) }

// Hint says where maps come from.
func (e *MapError) Hint() string {
	return "use a file written by `proxmox-mpc anonymize FILE --export-map MAP` or `proxmox-mpc privacy --export-map MAP`"
}

// ReadReverse reads a reverse map written by ExportReverse.
func ReadReverse(path string) (map[string]string, error) {
	data, err := os.ReadFile(path) // #nosec G304 -- the file the user named
	if err != nil {
		return nil, fmt.Errorf("reverse map: %w", err)
	}
	m, err := ParseReverse(data)
	if err != nil {
		return nil, &MapError{Path: path, Problem: err.Error()}
	}
	return m, nil
}

// ParseReverse decodes a reverse map: one JSON object of strings, no
// empty pseudonyms.
func ParseReverse(data []byte) (map[string]string, error) {
	var m map[string]string
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&m); err != nil {
		return nil, errors.New("not a JSON object of pseudonym to real value")
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value")
	}
	if m == nil {
		return nil, errors.New("not a JSON object of pseudonym to real value")
	}
	for k := range m {
		if k == "" {
			return nil, errors.New("an empty pseudonym")
		}
	}
	return m, nil
}

// WriteFile writes an anonymized output (mode 0600) atomically, creating
// its folder.
func WriteFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return writeFile(path, data, 0o600)
}
