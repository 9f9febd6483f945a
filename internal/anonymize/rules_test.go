package anonymize

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func asRulesError(err error, re **RulesError) bool { return errors.As(err, re) }

func TestParseRules(t *testing.T) {
	t.Parallel()
	good := "allow: [\"10.0.0.1\", \"*.corp.example\"]\nblock: [ProjectFalcon]\npatterns:\n  - name: employee\n    regexp: 'EMP-[0-9]{6}'\n    type: user\ndisabled: [mac]\n"
	r, err := ParseRules([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	want := Rules{Allow: []string{"10.0.0.1", "*.corp.example"}, Block: []string{"ProjectFalcon"},
		Patterns: []Pattern{{Name: "employee", Regexp: "EMP-[0-9]{6}", Type: TypeUser}}, Disabled: []Type{TypeMAC}}
	if d := cmp.Diff(want, r); d != "" {
		t.Errorf("ParseRules (-want +got):\n%s", d)
	}
	if r, err := ParseRules(nil); err != nil || len(r.Allow) != 0 {
		t.Errorf("empty rules: %v %v", r, err)
	}
	tests := []struct {
		name, in string
		line     int
		msg      string
	}{
		{"unknown key", "allow: []\nblocklist: [x]\n", 2, `unknown key "blocklist"`},
		{"bad regexp", "patterns:\n  - name: x\n    regexp: '('\n    type: host\n", 2, "missing closing )"},
		{"empty match", "patterns:\n  - {name: x, regexp: 'a*', type: host}\n", 2, "matches the empty string"},
		{"unknown type", "patterns:\n  - name: x\n    regexp: 'a'\n    type: hostname\n", 4, `unknown type "hostname"`},
		{"unknown disabled type", "disabled:\n  - mac\n  - macs\n", 3, `unknown type "macs"`},
		{"unknown pattern key", "patterns:\n  - {name: x, regex: 'a', type: host}\n", 2, `unknown pattern key "regex"`},
		{"not a list", "allow: 10.0.0.1\n", 1, "must be a list"},
		{"short block", "block: [ab]\n", 1, "shorter than 3"},
		{"block hits markers", "block: [REDACTED]\n", 1, "redaction markers"},
		{"duplicate pattern", "patterns:\n  - {name: x, regexp: 'a', type: host}\n  - {name: x, regexp: 'b', type: host}\n", 3, "given twice"},
		{"top not a mapping", "- a\n", 1, "expected a mapping"},
		{"bad yaml", "allow: [\n", 0, "did not find"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseRules([]byte(tt.in))
			var re *RulesError
			if !errors.As(err, &re) {
				t.Fatalf("err = %v, want a *RulesError", err)
			}
			if re.Line != tt.line || !strings.Contains(re.Error(), tt.msg) || re.Hint() == "" {
				t.Errorf("got line %d %q hint %q; want line %d containing %q", re.Line, re.Error(), re.Hint(), tt.line, tt.msg)
			}
		})
	}
}

func TestRulesApplied(t *testing.T) {
	t.Parallel()
	r, err := ParseRules([]byte("allow: [\"10.9.9.9\", \"*.corp.example\", alice]\nblock: [ProjectFalcon]\npatterns:\n  - {name: emp, regexp: 'EMP-([0-9]{6})', type: secret}\ndisabled: [mac]\n"))
	if err != nil {
		t.Fatal(err)
	}
	e := newTestEngine(t, r)
	in := "ip 10.9.9.9 and 10.9.9.8, web.corp.example, alice@pam, ProjectFalcon plan, EMP-123456, mac aa:bb:cc:dd:ee:01"
	out := e.Text(in)
	for _, keep := range []string{"10.9.9.9 ", "web.corp.example", "alice@pam", "EMP-", "aa:bb:cc:dd:ee:01"} {
		if !strings.Contains(out, keep) {
			t.Errorf("%q was not kept: %s", keep, out)
		}
	}
	for _, gone := range []string{"10.9.9.8", "ProjectFalcon", "123456"} {
		if strings.Contains(out, gone) {
			t.Errorf("%q was not masked: %s", gone, out)
		}
	}
	if !strings.Contains(out, "[REDACTED:blocked]") || !strings.Contains(out, "EMP-[REDACTED:secret]") {
		t.Errorf("markers missing: %s", out)
	}
	if e.Text(out) != out {
		t.Errorf("not idempotent: %s", out)
	}
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	if _, err := New(make([]byte, 16), Rules{}, Known{}); !errors.Is(err, ErrShortKey) {
		t.Errorf("short key: %v", err)
	}
	if _, err := New(testKey(), Rules{Disabled: []Type{"nope"}}, Known{}); err == nil {
		t.Error("unknown disabled type accepted")
	}
	if _, err := New(testKey(), Rules{Patterns: []Pattern{{Name: "x", Regexp: "(", Type: TypeHost}}}, Known{}); err == nil {
		t.Error("bad regexp accepted")
	}
	k1, err := NewKey()
	if err != nil || len(k1) != KeySize {
		t.Fatalf("NewKey: %v %d", err, len(k1))
	}
	k2, _ := NewKey()
	if string(k1) == string(k2) {
		t.Error("NewKey returned the same key twice")
	}
}
