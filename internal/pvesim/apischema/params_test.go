package apischema

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestValidateParams(t *testing.T) {
	s := loadEmbedded(t)
	const (
		qmConfig  = "/nodes/pve1/qemu/100/config"
		notDef    = "property is not defined in schema and the schema does not allow additional properties"
		missing   = "property is missing and it is not optional"
		scsihwErr = "value 'x' does not have a value in the enumeration 'lsi, lsi53c810, virtio-scsi-pci, virtio-scsi-single, megasas, pvscsi'"
	)
	tests := []struct {
		name, method, path string
		params             map[string]string
		want               map[string]string
	}{
		{"valid config update", "POST", qmConfig, map[string]string{
			"cores": "4", "onboot": "1", "net0": "virtio=BC:24:11:2E:C5:4A,bridge=vmbr0,firewall=1",
			"scsi0": "local-lvm:32", "scsihw": "virtio-scsi-pci", "delete": "ide2,net1", "tags": "web;prod",
			"ipconfig0": "ip=dhcp", "cpulimit": "1.5", "digest": strings.Repeat("a", 40),
		}, nil},
		{"malformed integer", "POST", qmConfig, map[string]string{"cores": "abc"},
			map[string]string{"cores": "type check ('integer') failed - got 'abc'"}},
		{"integer with fraction", "POST", qmConfig, map[string]string{"cores": "1.5"},
			map[string]string{"cores": "type check ('integer') failed - got '1.5'"}},
		{"malformed number", "POST", qmConfig, map[string]string{"cpulimit": "1,5"},
			map[string]string{"cpulimit": "type check ('number') failed - got '1,5'"}},
		{"form boolean true", "POST", qmConfig, map[string]string{"onboot": "true"},
			map[string]string{"onboot": "type check ('boolean') failed - got 'true'"}},
		{"form boolean yes", "PUT", qmConfig, map[string]string{"onboot": "yes"},
			map[string]string{"onboot": "type check ('boolean') failed - got 'yes'"}},
		{"form boolean 0", "PUT", qmConfig, map[string]string{"onboot": "0"}, nil},
		{"unknown parameter", "POST", qmConfig, map[string]string{"foo": "1"},
			map[string]string{"foo": notDef}},
		{"enum violation", "POST", qmConfig, map[string]string{"scsihw": "x"},
			map[string]string{"scsihw": scsihwErr}},
		{"minimum", "POST", qmConfig, map[string]string{"sockets": "0"},
			map[string]string{"sockets": "value must have a minimum value of 1"}},
		{"maximum", "POST", qmConfig, map[string]string{"cpuunits": "300000"},
			map[string]string{"cpuunits": "value must have a maximum value of 262144"}},
		{"maxLength", "POST", qmConfig, map[string]string{"digest": strings.Repeat("a", 41)},
			map[string]string{"digest": "value may only be 40 characters long"}},
		{"minLength", "POST", "/nodes/pve1/lxc", map[string]string{"vmid": "200", "ostemplate": "local:vztmpl/d.tar.zst", "password": "abc"},
			map[string]string{"password": "value must be at least 5 characters long"}},
		{"pattern", "PUT", "/nodes/pve1/qemu/100/resize", map[string]string{"disk": "scsi0", "size": "ten"},
			map[string]string{"size": "value does not match the regex pattern"}},
		{"pattern ok", "PUT", "/nodes/pve1/qemu/100/resize", map[string]string{"disk": "scsi0", "size": "+10G"}, nil},
		{"missing required", "POST", "/nodes/pve1/qemu/100/snapshot", map[string]string{},
			map[string]string{"snapname": missing}},
		{"missing vmid on create", "POST", "/nodes/pve1/qemu", map[string]string{"cores": "1"},
			map[string]string{"vmid": missing}},
		{"path vars absent are not missing", "GET", qmConfig, map[string]string{}, nil},
		{"path vars validated when merged", "GET", qmConfig, map[string]string{"node": "pve 1", "vmid": "abc"},
			map[string]string{
				"node": "invalid format - value does not look like a valid node name\n",
				"vmid": "type check ('integer') failed - got 'abc'",
			}},
		// PVE checks the pve-vmid format before the minimum, so vmid=50 fails
		// with the format message rather than "minimum value of 100".
		{"nextid vmid below range", "GET", "/cluster/nextid", map[string]string{"vmid": "50"},
			map[string]string{"vmid": "invalid format - value does not look like a valid VM ID\n"}},
		{"nextid vmid ok", "GET", "/cluster/nextid", map[string]string{"vmid": "100"}, nil},
		{"format list", "POST", qmConfig, map[string]string{"delete": "net0,bad id!"},
			map[string]string{"delete": "invalid format - invalid configuration ID 'id!'\n"}},
		{"indexed key out of range", "POST", qmConfig, map[string]string{"scsi31": "local-lvm:32"},
			map[string]string{"scsi31": notDef}},
		{"indexed key leading zero", "POST", qmConfig, map[string]string{"net00": "virtio,bridge=vmbr0"},
			map[string]string{"net00": notDef}},
		{"property string bad sub-key value", "POST", qmConfig, map[string]string{"net0": "virtio,bridge=vmbr 0"},
			map[string]string{"net0": "invalid format - format error\nnet0.bridge: invalid format - invalid bridge ID 'vmbr 0'\n\n"}},
		{"property string missing model", "POST", qmConfig, map[string]string{"net0": "bridge=vmbr0"},
			map[string]string{"net0": "invalid format - format error\nnet0.model: " + missing + "\n"}},
		{"property string unknown key", "POST", qmConfig, map[string]string{"net0": "virtio,speed=10"},
			map[string]string{"net0": "invalid format - invalid key in comma-separated list property: speed\n"}},
		{"property string boolean words", "POST", qmConfig, map[string]string{"net0": "virtio,firewall=true,link_down=off"}, nil},
		{"property string bad boolean", "POST", qmConfig, map[string]string{"net0": "virtio,firewall=maybe"},
			map[string]string{"net0": "invalid format - format error\nnet0.firewall: type check ('boolean') failed - got 'maybe'\n"}},
		{"property string duplicate key", "POST", qmConfig, map[string]string{"net0": "virtio,bridge=a,bridge=b"},
			map[string]string{"net0": "invalid format - duplicate key in comma-separated list property: bridge\n"}},
		{"property string key alias", "POST", qmConfig, map[string]string{"net0": "e1000=BC:24:11:2E:C5:4A"}, nil},
		{"property string empty value", "POST", qmConfig, map[string]string{"net0": "virtio,bridge="},
			map[string]string{"net0": "invalid format - missing key in comma-separated list property\n"}},
		{"several errors", "POST", qmConfig, map[string]string{"cores": "abc", "onboot": "true", "foo": "1", "scsihw": "x"},
			map[string]string{
				"cores":  "type check ('integer') failed - got 'abc'",
				"onboot": "type check ('boolean') failed - got 'true'",
				"foo":    notDef,
				"scsihw": scsihwErr,
			}},
		{"ticket login", "POST", "/access/ticket", map[string]string{"username": "root@pam", "password": "secret"}, nil},
		{"ticket without password", "POST", "/access/ticket", map[string]string{"username": "root@pam"},
			map[string]string{"password": missing}},
		{"resources type enum", "GET", "/cluster/resources", map[string]string{"type": "disk"},
			map[string]string{"type": "value 'disk' does not have a value in the enumeration 'vm, storage, node, sdn'"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, _, ok := s.Lookup(tt.method, tt.path)
			if !ok {
				t.Fatalf("no endpoint %s %s", tt.method, tt.path)
			}
			got := m.ValidateParams(tt.params)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ValidateParams (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckFormat(t *testing.T) {
	tests := []struct {
		format, value, want string
	}{
		{"pve-vmid", "100", ""},
		{"pve-vmid", "0100", "value does not look like a valid VM ID\n"},
		{"pve-node", "pve-1", ""},
		{"pve-node", "-pve", "value does not look like a valid node name\n"},
		{"pve-storage-id", "local-lvm", ""},
		{"pve-storage-id", "local-", "storage ID 'local-' contains illegal characters\n"},
		{"mac-addr", "BC:24:11:2E:C5:4A", ""},
		{"mac-addr", "01:24:11:2E:C5:4A", "value does not look like a valid unicast MAC address\n"},
		{"pve-tag-list", "web;prod db", ""},
		{"pve-tag-list", "web;pr/od", "invalid characters in tag\n"},
		{"pve-configid-list", "", ""},
		{"pve-volume-id", "local:iso/x.iso", ""},
		{"pve-volume-id", "x.iso", "unable to parse volume ID 'x.iso'\n"},
		{"disk-size", "32G", ""},
		{"disk-size", "32X", "value does not look like a valid disk size: 32X\n"},
		{"ipv4", "10.0.0.1", ""},
		{"ipv4", "10.0.0.256", "value does not look like a valid IPv4 address\n"},
		{"ipv6", "fe80::1", ""},
		{"ipv6", "10.0.0.1", "value does not look like a valid IPv6 address\n"},
		{"CIDRv4", "10.0.0.0/24", ""},
		{"CIDRv4", "10.0.0.0/7", "value does not look like a valid IPv4 CIDR network\n"},
		{"CIDRv6", "fd00::/64", ""},
		{"ipv4mask", "255.255.255.0", ""},
		{"ipv4mask", "255.0.255.0", "value does not look like a valid IP netmask\n"},
		{"pve-ipv4-config", "dhcp", ""},
		{"pve-ipv6-config", "auto", ""},
		{"pve-iface", "vmbr0", ""},
		{"pve-iface", "0eth", "invalid network interface name '0eth'\n"},
		{"pve-startup-order", "order=1,up=30", ""},
		{"pve-startup-order", "first", "unable to parse startup options\n"},
		{"pve-vlan-id-or-range", "2-4094", ""},
		{"pve-vlan-id-or-range", "1", "invalid VLAN tag '1'\n"},
		{"pve-vlan-id-or-range", "10-5", "VLAN range must go from lower to higher tag '10-5'\n"},
		{"pve-task-status-type-list", "ok,error", ""},
		{"pve-task-status-type-list", "ok,fine", "invalid status 'fine'\n"},
		{"dns-name", "pve.example.com", ""},
		{"address", "not an address", "value does not look like a valid address: not an address\n"},
		{"urlencoded", "a%20b", ""},
		{"pve-qm-boot", "anything goes", ""}, // not verified here
	}
	for _, tt := range tests {
		t.Run(tt.format+"/"+tt.value, func(t *testing.T) {
			if got := checkFormat(tt.format, tt.value); got != tt.want {
				t.Errorf("checkFormat(%q, %q) = %q, want %q", tt.format, tt.value, got, tt.want)
			}
		})
	}
}

func TestIsNumber(t *testing.T) {
	tests := []struct {
		in         string
		num, integ bool
	}{
		{"1", true, true}, {"-1", true, true}, {"+1", true, true}, {"1.5", true, false},
		{"1.", true, false}, {".5", true, false}, {"1e3", true, false}, {"1E-3", true, false},
		{"", false, false}, {".", false, false}, {"e3", false, false}, {"1e", false, false},
		{"--1", false, false}, {"abc", false, false}, {" 1", false, false}, {"0x10", false, false},
	}
	for _, tt := range tests {
		if got := isNumber(tt.in); got != tt.num {
			t.Errorf("isNumber(%q) = %v, want %v", tt.in, got, tt.num)
		}
		if got := isInteger(tt.in); got != tt.integ {
			t.Errorf("isInteger(%q) = %v, want %v", tt.in, got, tt.integ)
		}
	}
}
