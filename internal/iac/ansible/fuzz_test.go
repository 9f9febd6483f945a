package ansible

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// FuzzConfigAddress: any ipconfigN/netN value and agent address gives
// either no address or a usable unicast address of the right family.
func FuzzConfigAddress(f *testing.F) {
	for _, s := range []string{
		"ip=192.168.1.22/24,gw=192.168.1.1", "ip=dhcp", "ip6=auto", "ip=dhcp,ip6=2001:db8::7/64,gw6=2001:db8::1",
		"name=eth0,bridge=vmbr0,hwaddr=BC:24:11:60:5E:EE,ip=192.168.1.53/24,gw=192.168.1.1,type=veth",
		"ip=fe80::1%eth0/64", "ip=::ffff:10.0.0.1/104", "ip==,=ip,,", "ip=127.0.0.1/8", "ip6=ff02::1/128",
	} {
		f.Add(s, "192.168.1.20/24")
	}
	f.Fuzz(func(t *testing.T, value, agent string) {
		for _, typ := range []string{state.TypeVM, state.TypeCT} {
			g := state.Guest{Type: typ, Config: map[string]string{"ipconfig0": value, "net0": value}}
			check(t, Address(g))
			g.AgentIPs = []string{agent}
			check(t, Address(g))
		}
		for _, key := range []string{"ip", "ip6"} {
			a := propAddress(value, key)
			check(t, a)
			if a != "" && netip.MustParseAddr(a).Is4() != (key == "ip") {
				t.Errorf("propAddress(%q, %s) = %s: wrong family", value, key, a)
			}
		}
	})
}

func check(t *testing.T, a string) {
	t.Helper()
	if a == "" {
		return
	}
	addr, err := netip.ParseAddr(a)
	if err != nil || !addr.IsGlobalUnicast() || addr.Zone() != "" || addr.String() != a {
		t.Errorf("address %q is not a canonical unicast address (%v)", a, err)
	}
}

// FuzzYAMLString: every string is written so that YAML reads it back as the
// same string.
func FuzzYAMLString(f *testing.F) {
	for _, s := range []string{"web-01", "on", "1:20", "100", "a: b", "#x", "x y", "ünï", "\t", "'\"", "null", "- x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := encodeYAML(document("# c", mapping(str("k"), str(s))))
		if err != nil {
			t.Skip() // yaml.v3 refuses invalid UTF-8
		}
		var back map[string]string
		if err := yaml.Unmarshal(out, &back); err != nil {
			t.Fatalf("%q: %v\n%s", s, err, out)
		}
		if back["k"] != s {
			t.Errorf("%q came back as %q:\n%s", s, back["k"], out)
		}
	})
}

// FuzzJSONString: appendJSONString writes JSON that decodes to what
// encoding/json's encoding of the same string decodes to.
func FuzzJSONString(f *testing.F) {
	for _, s := range []string{"web-01", `a"b\c`, "\x00\x1f\n\r\t", "\xff\xfe", "\u2028\u2029", "ünï", "<&>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := appendJSONString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("%q: invalid JSON %s: %v", s, got, err)
		}
		std, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var want string
		if err := json.Unmarshal(std, &want); err != nil {
			t.Fatal(err)
		}
		if back != want {
			t.Errorf("%q: decodes to %q, encoding/json's to %q", s, back, want)
		}
	})
}

// FuzzInventoryMatchesYAMLv3: for any string as host name, vars and tags,
// the hand-written inventory.yml is what yaml.v3 writes for the tree.
func FuzzInventoryMatchesYAMLv3(f *testing.F) {
	for _, s := range oddStrings() {
		f.Add(s, "web-01")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		guests := []state.Guest{
			{VMID: 1, Type: state.TypeVM, Name: a, Node: b, Status: a, Pool: b, Tags: []string{a, b},
				Config: map[string]string{"ciuser": a, "ipconfig0": "ip=10.0.0.1/24"}},
			{VMID: 2, Type: b, Name: b, Node: a, Status: b, Tags: []string{b}},
		}
		m := build(guests, Options{})
		want, wantErr := encodeYAML(inventoryDoc(m))
		got, err := encodeInventory(m)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("%q, %q: emitter error %v, yaml.v3 error %v", a, b, err, wantErr)
		}
		if err == nil && !bytes.Equal(got, want) {
			t.Errorf("%q, %q: emitter wrote\n%s\nyaml.v3 wrote\n%s", a, b, got, want)
		}
	})
}

// plainSafeWords is the rule plainSafe implements, written plainly: the
// oracle for its byte table.
func plainSafeWords(s string) bool {
	switch strings.ToLower(s) {
	case "", "y", "n", "yes", "no", "on", "off", "true", "false", "null":
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.':
			if i == 0 {
				return false
			}
		case c == ' ':
			if i == 0 || i == len(s)-1 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// FuzzPlainSafe: plainSafe agrees with its plain statement.
func FuzzPlainSafe(f *testing.F) {
	for _, s := range append(oddStrings(), "ON", "oFf", "Nulls", "a b", "a-1.x_y", "Z") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := plainSafe(s), plainSafeWords(s); got != want {
			t.Errorf("plainSafe(%q) = %v, want %v", s, got, want)
		}
	})
}

// keyYAML writes {k: {a: s}, k+"x": null, s: null} with the emitter's key
// functions, and with yaml.v3: keys of any length and content.
func keyYAML(k, s string) (emitted, want []byte, err error) {
	tree := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{mapping(
		str(k), mapping(str("a"), str(s)),
		str(k+"x"), null(),
		str(s), null(),
	)}}
	want, err = encodeYAML(tree)
	var explicit bool
	emitted, explicit = appendKey(emitted, 0, k)
	emitted = appendNested(emitted, 2, explicit)
	emitted = appendField(emitted, "", "a: ", s)
	emitted, _ = appendKey(emitted, 0, k+"x")
	emitted = append(emitted, '\n')
	emitted, _ = appendKey(emitted, 0, s)
	emitted = append(emitted, '\n')
	return emitted, want, err
}

// FuzzKeyMatchesYAMLv3: keys (simple, long, with line breaks) come out as
// yaml.v3 writes them. Host and group names never hold line breaks, but
// the emitter does not rely on it.
func FuzzKeyMatchesYAMLv3(f *testing.F) {
	odd := oddStrings()
	for i, s := range odd {
		f.Add(s, odd[(i+7)%len(odd)])
	}
	f.Fuzz(func(t *testing.T, k, s string) {
		if k == s || k+"x" == s || !utf8.ValidString(k) || !utf8.ValidString(s) {
			t.Skip() // duplicate keys; measure rejects invalid UTF-8 first
		}
		got, want, err := keyYAML(k, s)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%q, %q: emitter wrote\n%s\nyaml.v3 wrote\n%s", k, s, got, want)
		}
	})
}
