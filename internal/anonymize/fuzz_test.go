package anonymize

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fuzzSeeds are the corpus files and a few hand-made lines.
func fuzzSeeds(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "leak", "*"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err == nil {
			f.Add(string(b))
		}
	}
	for _, s := range []string{
		"ip 10.0.0.1 and 10.0.0.1:8006 and [fe80::1]:22", "mac aa:bb:cc:dd:ee:ff", "password=x token: y", "a@b.com x@pam",
		"PVE:root@pam:ABCD::sig", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQD0123456789012345678901234567890123 me@host",
		"web-01.lab.home", "https://u:p@h.example.com/", "--password hunter22", "00000000:AAAAAAAAAAAAAAAAAAAAAAAAAA",
	} {
		f.Add(s)
	}
}

// matchedSecrets records what the engine matched during one call.
type recorder struct {
	mu   sync.Mutex
	seen map[Type][]string
}

func (r *recorder) hook(t Type, v string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen[t] = append(r.seen[t], v)
}

// stripMarkers removes markers and pseudonyms, which may contain any short value.
func stripMarkers(s string) string {
	for {
		i := strings.Index(s, "[REDACTED:")
		if i < 0 {
			return s
		}
		j := strings.IndexByte(s[i:], ']')
		if j < 0 {
			return s
		}
		s = s[:i] + "\x00" + s[i+j+1:]
	}
}

func FuzzText(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, in string) {
		e := newTestEngine(t, Rules{})
		rec := &recorder{seen: map[Type][]string{}}
		e.onMatch = rec.hook
		out := e.Text(in)
		e.onMatch = nil
		if again := e.Text(out); again != out {
			t.Fatalf("not idempotent:\nin:  %q\nout: %q\nout2:%q", in, out, again)
		}
		plain := stripMarkers(out)
		for typ, vals := range rec.seen {
			for _, v := range vals {
				if typ.IsSecret() && len(v) >= minEcho && !strings.ContainsAny(v, "[]\n") && !inMarkers(v) && strings.Contains(plain, v) {
					t.Fatalf("secret %s %q still in output %q (input %q)", typ, v, out, in)
				}
			}
		}
		if !strings.Contains(out, "[REDACTED:") {
			if back := Reverse(out, e.Mapping()); back != in {
				t.Fatalf("Reverse(Text(x)) != x\nin:   %q\nout:  %q\nback: %q", in, out, back)
			}
		}
	})
}

func FuzzJSON(f *testing.F) {
	for _, name := range []string{"qemu_config.json", "access_ticket.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", "leak", name))
		if err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"password":123,"a":["10.0.0.1",{"token":{"x":"y"}}],"hosts":{"web-01":{}}}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		e := newTestEngine(t, Rules{})
		out, err := e.JSON(in)
		if err != nil {
			if json.Valid(in) {
				t.Fatalf("valid JSON refused: %v", err)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("output is not JSON:\n%s\n%s", in, out)
		}
		again, err := e.JSON(out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("not idempotent (%v):\n%s\n%s", err, out, again)
		}
	})
}

func FuzzParseRules(f *testing.F) {
	f.Add([]byte("allow: [a]\nblock: [secretproject]\npatterns:\n  - {name: x, regexp: 'EMP-[0-9]+', type: user}\ndisabled: [mac]\n"))
	f.Add([]byte("patterns: [{name: x, regexp: '(', type: host}]"))
	f.Add([]byte("bogus: 1"))
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := ParseRules(in)
		if err != nil {
			var re *RulesError
			if !asRulesError(err, &re) || re.Hint() == "" {
				t.Fatalf("error %v is not a RulesError with a hint", err)
			}
			return
		}
		e, err := New(testKey(), r, Known{})
		if err != nil {
			t.Fatalf("rules parsed but New refused them: %v", err)
		}
		_ = e.Text(string(in))
	})
}
