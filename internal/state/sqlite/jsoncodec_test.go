package sqlite

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestJSONCodecMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	maps := []map[string]string{
		nil,
		{},
		{"cores": "4", "net0": "virtio=BC:24:11:00:00:01,bridge=vmbr0", "": ""},
		{"description": "line 1\nline 2\t\"quoted\" \\ back ü 😀 \x01 \x7f <html>&", "bad": "\xff\xfe ok"},
	}
	for _, m := range maps {
		want, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		got := encodeStringMap(m)
		var back map[string]string
		if err := json.Unmarshal([]byte(got), &back); err != nil {
			t.Fatalf("encodeStringMap(%q) = %s: not JSON: %v", m, got, err)
		}
		var wantBack map[string]string
		_ = json.Unmarshal(want, &wantBack)
		if diff := cmp.Diff(wantBack, back); diff != "" {
			t.Errorf("encodeStringMap(%q) decodes differently from json.Marshal (-want +got):\n%s", m, diff)
		}
		dec, err := decodeStringMap([]byte(got))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(wantBack, dec); diff != "" {
			t.Errorf("decodeStringMap(%s) (-want +got):\n%s", got, diff)
		}
	}
	for _, ss := range [][]string{nil, {}, {"a"}, {"prod", "web", "with,comma", "é\u2028"}} {
		got := encodeStrings(ss)
		dec, err := decodeStrings([]byte(got))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(ss, dec); diff != "" {
			t.Errorf("strings round trip via %s (-want +got):\n%s", got, diff)
		}
	}
}

func FuzzDecodeStringMap(f *testing.F) {
	for _, s := range []string{`null`, `{}`, `{"a":"b"}`, ` { "a" : "\u00e9\ud83d\ude00\n\"" , "b":"" } `, `{"a":1}`, `{"a":null}`, `{"a":"\ud800"}`, `["x"]`, `{"a":"b",}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want map[string]string
		wantErr := json.Unmarshal(b, &want)
		got, err := decodeStringMap(b)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("decodeStringMap(%q): err %v, encoding/json err %v", b, err, wantErr)
		}
		if err == nil {
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("decodeStringMap(%q) (-encoding/json +got):\n%s", b, diff)
			}
			if diff := cmp.Diff(want, mustDecodeMap(t, encodeStringMap(got))); diff != "" {
				t.Fatalf("encodeStringMap round trip of %q:\n%s", b, diff)
			}
		}
	})
}

func mustDecodeMap(t *testing.T, s string) map[string]string {
	t.Helper()
	var m map[string]string
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("encodeStringMap wrote invalid JSON %s: %v", s, err)
	}
	return m
}

func FuzzDecodeStrings(f *testing.F) {
	for _, s := range []string{`null`, `[]`, `["a","b"]`, `[ "\t\u0041" ]`, `[1]`, `["a",]`, `[null]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want []string
		wantErr := json.Unmarshal(b, &want)
		got, err := decodeStrings(b)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("decodeStrings(%q): err %v, encoding/json err %v", b, err, wantErr)
		}
		if err == nil {
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("decodeStrings(%q) (-encoding/json +got):\n%s", b, diff)
			}
		}
	})
}
