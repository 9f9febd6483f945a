package apischema

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// Regular expressions of PVE's format verifiers (pve-common JSONSchema.pm,
// pve-storage Storage.pm). Compiled once; never modified.
var (
	configIDRE   = regexp.MustCompile(`(?i)^[a-z][a-z0-9_-]+$`)
	storageIDRE  = regexp.MustCompile(`(?i)^[a-z][a-z0-9\-_.]*[a-z0-9]$`)
	bridgeIDRE   = regexp.MustCompile(`^[-_.\w\d]+$`)
	vmidRE       = regexp.MustCompile(`^[1-9][0-9]{2,8}$`)
	nodeRE       = regexp.MustCompile(`^([a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?)$`)
	macRE        = regexp.MustCompile(`(?i)^[a-f0-9][02468ace](?::[a-f0-9]{2}){5}$`)
	tagRE        = regexp.MustCompile(`(?i)^[a-z0-9_][a-z0-9_\-+.]*$`)
	ifaceRE      = regexp.MustCompile(`(?i)^[a-z][a-z0-9_]{1,20}([:.]\d+)?$`)
	diskSizeRE   = regexp.MustCompile(`^(\d+(\.\d+)?)([KMGT])?$`)
	dnsNameRE    = regexp.MustCompile(`^(([a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?)\.)*([a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?)$`)
	urlencodedRE = regexp.MustCompile(`^[-%a-zA-Z0-9_.!~*'()]*$`)
	volumeIDRE   = regexp.MustCompile(`(?i)^([a-z][a-z0-9\-_.]*[a-z0-9]):(.+)$`)
	startupRE    = regexp.MustCompile(`^((order=)?\d+|up=\d+|down=\d+)$`)
	vlanRE       = regexp.MustCompile(`^(\d+)(?:-(\d+))?$`)
)

// checkFormat is JSONSchema.pm's check_format for a named format: it returns
// "" when v is valid, else the verifier's die message (with its trailing
// newline). A "-list" suffix checks each item of a ",; " separated list and
// "-opt" allows an empty value. Formats without a Go verifier here are not
// checked.
func checkFormat(format, v string) string {
	if format == "regex" {
		return ""
	}
	name, kind := format, ""
	if n, ok := strings.CutSuffix(format, "-list"); ok {
		name, kind = n, "list"
	} else if n, ok := strings.CutSuffix(format, "-opt"); ok {
		name, kind = n, "opt"
	}
	switch kind {
	case "list":
		for _, item := range splitList(v) {
			if err := verifyFormat(name, item); err != "" {
				return err
			}
		}
		return ""
	case "opt":
		if v == "" || v == "0" { // Perl truthiness
			return ""
		}
	}
	return verifyFormat(name, v)
}

// splitList is pve-common's split_list: items separated by ',', ';' or
// whitespace (or by NUL bytes when the text has any).
func splitList(v string) []string {
	if strings.ContainsRune(v, 0) {
		return strings.Split(v, "\x00")
	}
	return strings.FieldsFunc(v, func(r rune) bool {
		return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f'
	})
}

func verifyFormat(name, v string) string {
	bad := func(ok bool, msg string) string {
		if ok {
			return ""
		}
		return msg + "\n"
	}
	switch name {
	case "pve-configid":
		return bad(configIDRE.MatchString(v), fmt.Sprintf("invalid configuration ID '%s'", v))
	case "pve-storage-id":
		return bad(storageIDRE.MatchString(v), fmt.Sprintf("storage ID '%s' contains illegal characters", v))
	case "pve-bridge-id":
		return bad(bridgeIDRE.MatchString(v), fmt.Sprintf("invalid bridge ID '%s'", v))
	case "pve-vmid":
		return bad(vmidRE.MatchString(v), "value does not look like a valid VM ID")
	case "pve-node":
		return bad(nodeRE.MatchString(v), "value does not look like a valid node name")
	case "mac-addr":
		return bad(macRE.MatchString(v), "value does not look like a valid unicast MAC address")
	case "pve-tag":
		return bad(tagRE.MatchString(v), "invalid characters in tag")
	case "pve-iface":
		return bad(ifaceRE.MatchString(v), fmt.Sprintf("invalid network interface name '%s'", v))
	case "disk-size":
		return bad(diskSizeRE.MatchString(v), "value does not look like a valid disk size: "+v)
	case "dns-name":
		return bad(dnsNameRE.MatchString(v), "value does not look like a valid DNS name")
	case "urlencoded":
		return bad(urlencodedRE.MatchString(v), "invalid urlencoded string: "+v)
	case "pve-volume-id":
		return bad(volumeIDRE.MatchString(v), fmt.Sprintf("unable to parse volume ID '%s'", v))
	case "ipv4":
		return bad(isIPv4(v), "value does not look like a valid IPv4 address")
	case "ipv6":
		return bad(isIPv6(v), "value does not look like a valid IPv6 address")
	case "ip":
		return bad(isIPv4(v) || isIPv6(v), "value does not look like a valid IP address")
	case "CIDRv4":
		return bad(isCIDR(v, true), "value does not look like a valid IPv4 CIDR network")
	case "CIDRv6":
		return bad(isCIDR(v, false), "value does not look like a valid IPv6 CIDR network")
	case "CIDR":
		return bad(isCIDR(v, true) || isCIDR(v, false), "value does not look like a valid CIDR network")
	case "pve-ipv4-config":
		return bad(v == "dhcp" || v == "manual" || isCIDR(v, true), "value does not look like a valid ipv4 network configuration")
	case "pve-ipv6-config":
		return bad(v == "auto" || v == "dhcp" || v == "manual" || isCIDR(v, false), "value does not look like a valid ipv6 network configuration")
	case "address":
		return bad(isIPv4(v) || isIPv6(v) || dnsNameRE.MatchString(v), "value does not look like a valid address: "+v)
	case "ipv4mask":
		return bad(isIPv4Mask(v), "value does not look like a valid IP netmask")
	case "pve-startup-order":
		return bad(isStartupOrder(v), "unable to parse startup options")
	case "pve-task-status-type":
		switch strings.ToLower(v) {
		case "ok", "error", "warning", "unknown":
			return ""
		}
		return fmt.Sprintf("invalid status '%s'\n", v)
	case "pve-vlan-id-or-range":
		return verifyVLAN(v)
	}
	return ""
}

func isIPv4(v string) bool {
	a, err := netip.ParseAddr(v)
	return err == nil && a.Is4()
}

func isIPv6(v string) bool {
	a, err := netip.ParseAddr(v)
	return err == nil && a.Is6() && a.Zone() == ""
}

// isCIDR matches pve_verify_cidrv4/6: an address and a prefix length above 7.
func isCIDR(v string, v4 bool) bool {
	addr, bits, ok := strings.Cut(v, "/")
	if !ok || !isInteger(bits) || bits[0] == '+' || bits[0] == '-' {
		return false
	}
	n, err := strconv.Atoi(bits)
	if err != nil || n <= 7 {
		return false
	}
	if v4 {
		return isIPv4(addr) && n <= 32
	}
	return isIPv6(addr) && n <= 128
}

func isIPv4Mask(v string) bool {
	a, err := netip.ParseAddr(v)
	if err != nil || !a.Is4() {
		return false
	}
	b := a.As4()
	m := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	inv := ^m // a netmask's complement is 2^k-1
	return inv&(inv+1) == 0
}

// isStartupOrder matches pve_parse_startup_order, which rejects an empty
// value.
func isStartupOrder(v string) bool {
	if v == "" || v == "0" {
		return false
	}
	for _, p := range strings.Split(v, ",") {
		if strings.TrimSpace(p) == "" {
			continue
		}
		if !startupRE.MatchString(p) {
			return false
		}
	}
	return true
}

func verifyVLAN(v string) string {
	m := vlanRE.FindStringSubmatch(v)
	if m == nil {
		return fmt.Sprintf("invalid VLAN configuration '%s'\n", v)
	}
	for _, tag := range m[1:] {
		if tag == "" {
			continue
		}
		n, err := strconv.Atoi(tag)
		if err != nil || n < 2 || n > 4094 {
			return fmt.Sprintf("invalid VLAN tag '%s'\n", tag)
		}
	}
	if m[2] != "" {
		start, _ := strconv.Atoi(m[1])
		end, _ := strconv.Atoi(m[2])
		if start >= end {
			return fmt.Sprintf("VLAN range must go from lower to higher tag '%s'\n", v)
		}
	}
	return ""
}
