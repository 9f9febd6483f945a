package ansible

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"testing"

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
