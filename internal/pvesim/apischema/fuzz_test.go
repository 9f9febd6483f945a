package apischema

import (
	"strings"
	"testing"
)

// FuzzValidateParams feeds arbitrary parameters to the endpoints with the
// richest schemas (property strings, folded keys, formats, bounds). It must
// never panic, and valid-looking input must give errors only for keys it
// names.
func FuzzValidateParams(f *testing.F) {
	s, err := Load()
	if err != nil {
		f.Fatal(err)
	}
	var methods []*Method
	for _, p := range []string{"POST /nodes/n/qemu/100/config", "POST /nodes/n/lxc", "GET /cluster/nextid", "POST /nodes/n/network", "GET /cluster/resources"} {
		method, path, _ := strings.Cut(p, " ")
		m, _, ok := s.Lookup(method, path)
		if !ok {
			f.Fatalf("no endpoint %s", p)
		}
		methods = append(methods, m)
	}
	f.Add(uint8(0), "net0", "virtio,bridge=vmbr0,firewall=1", "cores", "4")
	f.Add(uint8(0), "scsi0", "local-lvm:32,iothread=1", "memory", "current=2048")
	f.Add(uint8(1), "mp0", "local-lvm:8,mp=/data", "net0", "name=eth0,bridge=vmbr0,ip=dhcp")
	f.Add(uint8(2), "vmid", "50", "foo", "")
	f.Add(uint8(3), "iface", "vmbr1", "vlan-id", "4095")
	f.Add(uint8(4), "type", "vm", "type", "disk")
	f.Fuzz(func(t *testing.T, which uint8, k1, v1, k2, v2 string) {
		m := methods[int(which)%len(methods)]
		params := map[string]string{k1: v1, k2: v2}
		errs := m.ValidateParams(params)
		for k := range errs {
			if _, ok := params[k]; ok {
				continue
			}
			if _, ok := params[""]; ok && k == "_root" { // PVE's name for the empty path
				continue
			}
			// Only missing required properties may name absent keys.
			if p, ok := m.Parameters.Properties[k]; !ok || p.Optional {
				t.Errorf("error for key %q that is neither given nor required: %v", k, errs)
			}
		}
	})
}

// FuzzLookup must never panic on arbitrary paths.
func FuzzLookup(f *testing.F) {
	s, err := Load()
	if err != nil {
		f.Fatal(err)
	}
	f.Add("GET", "/nodes/pve1/qemu/100/config")
	f.Add("DELETE", "/nodes/pve1/storage/local/content/local:iso/x.iso")
	f.Add("GET", "/api2/json/nodes/%zz/status")
	f.Fuzz(func(t *testing.T, method, path string) {
		m, vars, ok := s.Lookup(method, path)
		if ok && (m == nil || vars == nil) {
			t.Fatalf("Lookup(%q, %q) ok with nil result", method, path)
		}
	})
}
