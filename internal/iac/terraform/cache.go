package terraform

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"reflect"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// Cache keeps what reading one file yielded, by the file's content
// address, so that ReadCached parses only the files it has not seen. Keys
// are the hex SHA-256 of the file's name and content (see FileHash);
// values are opaque to the cache. A Cache need not be safe for concurrent
// use: ReadCached calls Get once and Put at most once, from its own
// goroutine.
type Cache interface {
	// Get returns the values it holds for hashes; missing ones are absent.
	Get(hashes []string) (map[string][]byte, error)
	// Put stores values by hash, replacing what is there.
	Put(entries map[string][]byte) error
}

// ReadCached is Read with a cache: it returns what Read returns for the
// same files (the same Code, the same error), but a file whose hash is in c
// contributes its cached result instead of being parsed, and the results
// of the files it parsed are Put back. The checks across files (an address
// defined twice, import IDs filling in a missing vm_id) run on the merged
// results as in Read.
//
// The cache is only an accelerator: an entry that does not decode, or was
// written by another version of the reader, is ignored (the file is parsed
// and the entry replaced), and an error from Get or Put is not an error of
// the read (Get failing reads every file). A Cache that wants its errors
// seen logs them itself. c may be nil: ReadCached is then Read.
func ReadCached(files map[string][]byte, c Cache) (*Code, error) {
	if c == nil {
		return Read(files)
	}
	names := sortedNames(files)
	hashes := make([]string, len(names))
	forEach(len(names), func(i int) { hashes[i] = FileHash(names[i], files[names[i]]) })
	cached, err := c.Get(hashes)
	if err != nil {
		cached = nil
	}
	version := readerVersion()
	results := make([]fileResult, len(names))
	fresh := make([][]byte, len(names)) // encoded results of parsed files
	forEach(len(names), func(i int) {
		if v, ok := cached[hashes[i]]; ok {
			if res, ok := decodeResult(v, version); ok {
				results[i] = res
				return
			}
		}
		src := files[names[i]]
		results[i] = readFile(names[i], src)
		if utf8.ValidString(names[i]) && utf8.Valid(src) {
			fresh[i] = encodeResult(results[i], version)
		}
	})
	put := map[string][]byte{}
	for i, v := range fresh {
		if v != nil {
			put[hashes[i]] = v
		}
	}
	if len(put) > 0 {
		_ = c.Put(put) // a cache that cannot store costs the next read time only
	}
	return merge(names, results)
}

// FileHash is the cache key of a file: the hex SHA-256 of its name and its
// content. The name is part of it because what a file yields names the
// file (in positions and in diagnostics).
func FileHash(name string, content []byte) string {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	h.Write(n[:binary.PutUvarint(n[:], uint64(len(name)))])
	h.Write([]byte(name))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}

func sortedNames(files map[string][]byte) []string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// A cache value is cacheMagic, one format byte, the reader version (16
// bytes) and the JSON of a cachedFile. JSON keeps what the model
// distinguishes (nil and empty slices, nil pointers and pointers to zero
// values) and every string byte for byte as long as it is valid UTF-8,
// which ReadCached checks before it stores a result.
const (
	cacheMagic   = "tfr"
	cacheFormat  = 1
	headerLen    = len(cacheMagic) + 1 + versionLen
	versionLen   = 16
	readerSource = "read.go errors.go cache.go"
)

// cachedFile is the encoded fileResult.
type cachedFile struct {
	Guests  []cachedGuest `json:"g,omitempty"`
	Imports [][2]string   `json:"i,omitempty"`
	Other   int           `json:"o,omitempty"`
	Errs    []*Error      `json:"e,omitempty"`
	Warns   []*Error      `json:"w,omitempty"`
}

type cachedGuest struct {
	Guest Guest `json:"g"`
	Line  int   `json:"l"`
}

func encodeResult(res fileResult, version [versionLen]byte) []byte {
	cf := cachedFile{Imports: res.imports, Other: res.other, Errs: res.errs, Warns: res.warns}
	if len(res.guests) > 0 {
		cf.Guests = make([]cachedGuest, len(res.guests))
		for i, g := range res.guests {
			cf.Guests[i] = cachedGuest{Guest: g.Guest, Line: g.line}
		}
	}
	var buf bytes.Buffer
	buf.Grow(headerLen + 2048)
	buf.WriteString(cacheMagic)
	buf.WriteByte(cacheFormat)
	buf.Write(version[:])
	if err := json.NewEncoder(&buf).Encode(cf); err != nil {
		return nil // e.g. a number too large for a float64: parse it again next time
	}
	return buf.Bytes()
}

func decodeResult(v []byte, version [versionLen]byte) (fileResult, bool) {
	if len(v) < headerLen || string(v[:len(cacheMagic)]) != cacheMagic || v[len(cacheMagic)] != cacheFormat ||
		!bytes.Equal(v[len(cacheMagic)+1:headerLen], version[:]) {
		return fileResult{}, false
	}
	var cf cachedFile
	dec := json.NewDecoder(bytes.NewReader(v[headerLen:]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cf); err != nil || dec.More() {
		return fileResult{}, false
	}
	if slices.Contains(cf.Errs, nil) || slices.Contains(cf.Warns, nil) {
		return fileResult{}, false
	}
	res := fileResult{imports: cf.Imports, other: cf.Other, errs: cf.Errs, warns: cf.Warns}
	if len(cf.Guests) > 0 {
		res.guests = make([]lineGuest, len(cf.Guests))
		for i, g := range cf.Guests {
			res.guests[i] = lineGuest{Guest: g.Guest, line: g.Line}
		}
	}
	return res, true
}

//go:embed read.go errors.go cache.go
var readerFiles embed.FS

// readerVersion identifies what reading a file yields, so that a cache
// entry written by any other reader is never used: the hash of the
// reader's source, of the shape of the cached types and of the versions of
// the modules that parse (hcl, cty, x/text for normalisation).
var readerVersion = sync.OnceValue(func() [versionLen]byte {
	h := sha256.New()
	fmt.Fprintf(h, "format %d\n", cacheFormat)
	for _, name := range strings.Fields(readerSource) {
		src, err := fs.ReadFile(readerFiles, name)
		if err != nil {
			panic(err) // embedded above: cannot happen
		}
		fmt.Fprintf(h, "%s %d\n", name, len(src))
		h.Write(src)
	}
	h.Write([]byte(typeShape(reflect.TypeFor[cachedFile](), map[reflect.Type]bool{})))
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			switch m.Path {
			case "github.com/hashicorp/hcl/v2", "github.com/zclconf/go-cty", "golang.org/x/text":
				if m.Replace != nil {
					m = m.Replace
				}
				fmt.Fprintf(h, "%s %s %s\n", m.Path, m.Version, m.Sum)
			}
		}
	}
	var v [versionLen]byte
	copy(v[:], h.Sum(nil))
	return v
})

// typeShape describes t with the names and types of all fields it
// reaches, so that a change to the model changes the reader version.
func typeShape(t reflect.Type, seen map[reflect.Type]bool) string {
	switch t.Kind() {
	case reflect.Pointer:
		return "*" + typeShape(t.Elem(), seen)
	case reflect.Slice:
		return "[]" + typeShape(t.Elem(), seen)
	case reflect.Array:
		return fmt.Sprintf("[%d]%s", t.Len(), typeShape(t.Elem(), seen))
	case reflect.Map:
		return "map[" + typeShape(t.Key(), seen) + "]" + typeShape(t.Elem(), seen)
	case reflect.Struct:
		if seen[t] {
			return t.String()
		}
		seen[t] = true
		var b strings.Builder
		b.WriteString(t.String() + "{")
		for i := range t.NumField() {
			f := t.Field(i)
			fmt.Fprintf(&b, "%s %s %q;", f.Name, typeShape(f.Type, seen), f.Tag)
		}
		b.WriteString("}")
		return b.String()
	default:
		return t.String()
	}
}
