package pve

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

var sizeUnits = []struct {
	suffix byte
	mult   int64
}{
	{'P', 1 << 50},
	{'T', 1 << 40},
	{'G', 1 << 30},
	{'M', 1 << 20},
	{'K', 1 << 10},
}

// ParseSize parses a PVE size: a number with an optional binary unit K, M,
// G, T or P (case-insensitive; a trailing "B" or "iB" is accepted, e.g.
// "8G", "512M", "1.5T", "10240K", "8GiB"). A bare number is BYTES, as in
// the API's resize and size= fields (note: the disk-create shorthand
// "storage:32" means GiB, which this function does not apply). Fractions
// are truncated to whole bytes, as PVE does.
func ParseSize(s string) (int64, error) {
	orig := s
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty size")
	}
	up := strings.ToUpper(s)
	up = strings.TrimSuffix(up, "IB")
	if len(up) > 1 && up[len(up)-1] == 'B' && strings.IndexByte("KMGTP", up[len(up)-2]) >= 0 {
		up = up[:len(up)-1]
	}
	mult := int64(1)
	if n := len(up); n > 0 {
		for _, u := range sizeUnits {
			if up[n-1] == u.suffix {
				mult = u.mult
				up = up[:n-1]
				break
			}
		}
	}
	num := strings.TrimSpace(up)
	if num == "" || !validDecimal(num) {
		return 0, fmt.Errorf("invalid size %.40q: want a number with an optional unit K, M, G or T, e.g. 32G", orig)
	}
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		return 0, fmt.Errorf("invalid size %.40q", orig)
	}
	r.Mul(r, new(big.Rat).SetInt64(mult))
	q := new(big.Int).Quo(r.Num(), r.Denom())
	if !q.IsInt64() {
		return 0, fmt.Errorf("size %.40q is too large", orig)
	}
	return q.Int64(), nil
}

// validDecimal accepts digits with at most one '.' and at least one digit.
func validDecimal(s string) bool {
	if len(s) > 64 {
		return false
	}
	digits, dots := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dots++
		default:
			return false
		}
	}
	return digits > 0 && dots <= 1
}

// FormatSize writes bytes in PVE style with the largest binary unit that
// divides it exactly ("8G", "1536M"), or as bare bytes.
func FormatSize(bytes int64) string {
	if bytes > 0 {
		for _, u := range sizeUnits {
			if bytes%u.mult == 0 {
				return strconv.FormatInt(bytes/u.mult, 10) + string(u.suffix)
			}
		}
	}
	return strconv.FormatInt(bytes, 10)
}

// Pair is one key=value of a property string.
type Pair struct {
	Key   string
	Value string
}

// PropertyString is a parsed PVE property string ("k=v,k2=v2"), keys in
// order. DefaultKey names the key that a bare value (no '=') stands for.
type PropertyString struct {
	DefaultKey string
	Pairs      []Pair
}

// ParsePropertyString parses "virtio=BC:24:11:2E:C5:4A,bridge=vmbr0" into
// ordered pairs. A value without '=' is assigned to defaultKey (an error if
// defaultKey is "" or already set). Empty parts are skipped; a duplicate
// key is an error, as in PVE.
func ParsePropertyString(s, defaultKey string) (PropertyString, error) {
	if defaultKey != "" && (strings.ContainsAny(defaultKey, ",= \t\r\n") || defaultKey != strings.TrimSpace(defaultKey)) {
		return PropertyString{}, fmt.Errorf("invalid default key %.40q", defaultKey)
	}
	ps := PropertyString{DefaultKey: defaultKey}
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			if defaultKey == "" {
				return PropertyString{}, fmt.Errorf("value %.40q has no key", part)
			}
			k, v = defaultKey, part
		}
		k = strings.TrimSpace(k)
		if k == "" {
			return PropertyString{}, fmt.Errorf("empty key in %.60q", s)
		}
		if strings.ContainsAny(k, " \t\r\n") {
			return PropertyString{}, fmt.Errorf("key %.40q contains white space", k)
		}
		if seen[k] {
			return PropertyString{}, fmt.Errorf("duplicate key %.40q", k)
		}
		seen[k] = true
		ps.Pairs = append(ps.Pairs, Pair{Key: k, Value: v})
	}
	return ps, nil
}

// Get returns the value of key.
func (p PropertyString) Get(key string) (string, bool) {
	for _, kv := range p.Pairs {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return "", false
}

// Map returns the pairs as a map.
func (p PropertyString) Map() map[string]string {
	m := make(map[string]string, len(p.Pairs))
	for _, kv := range p.Pairs {
		m[kv.Key] = kv.Value
	}
	return m
}

// Set replaces key's value or appends the pair.
func (p *PropertyString) Set(key, value string) {
	for i := range p.Pairs {
		if p.Pairs[i].Key == key {
			p.Pairs[i].Value = value
			return
		}
	}
	p.Pairs = append(p.Pairs, Pair{Key: key, Value: value})
}

// String writes the property string; a leading default-key value is
// written bare, as PVE does.
func (p PropertyString) String() string {
	parts := make([]string, len(p.Pairs))
	for i, kv := range p.Pairs {
		if i == 0 && p.DefaultKey != "" && kv.Key == p.DefaultKey && !strings.Contains(kv.Value, "=") && strings.TrimSpace(kv.Value) != "" {
			parts[i] = kv.Value
			continue
		}
		parts[i] = kv.Key + "=" + kv.Value
	}
	return strings.Join(parts, ",")
}

// qemuNICModels are the qemu netN models (qemu-server Network.pm).
var qemuNICModels = map[string]bool{
	"e1000": true, "e1000-82540em": true, "e1000-82544gc": true, "e1000-82545em": true, "e1000e": true,
	"i82551": true, "i82557b": true, "i82559er": true, "ne2k_isa": true, "ne2k_pci": true, "pcnet": true,
	"rtl8139": true, "virtio": true, "vmxnet3": true,
}

// NetDevice is a parsed netN value of a VM ("virtio=MAC,bridge=vmbr0,...")
// or a container ("name=eth0,bridge=vmbr0,hwaddr=MAC,ip=dhcp,...").
type NetDevice struct {
	Container bool   // the LXC form (has name=)
	Model     string // VM: virtio, e1000, ...; containers: "veth" type
	MAC       string
	Bridge    string
	Tag       int // VLAN tag, 0 = none
	Trunks    string
	Firewall  bool
	LinkDown  bool
	Rate      float64 // MB/s, 0 = unlimited
	MTU       int
	Queues    int
	// container fields
	Name     string
	IP       string // "dhcp", "manual" or CIDR
	Gateway  string
	IP6      string
	Gateway6 string
	// Options holds every pair in order, including the ones above.
	Options PropertyString
}

// ParseNetDevice parses a qemu or LXC network device string.
func ParseNetDevice(s string) (NetDevice, error) {
	ps, err := ParsePropertyString(s, "model")
	if err != nil {
		return NetDevice{}, fmt.Errorf("parse network device: %w", err)
	}
	var d NetDevice
	d.Options = ps
	if _, ok := ps.Get("name"); ok {
		d.Container = true
	}
	for _, kv := range ps.Pairs {
		k, v := kv.Key, kv.Value
		var perr error
		switch {
		case !d.Container && qemuNICModels[k]:
			if d.Model != "" {
				return NetDevice{}, fmt.Errorf("network device has two models (%s, %s)", d.Model, k)
			}
			d.Model, d.MAC = k, v
		case k == "model":
			if d.Model != "" {
				return NetDevice{}, fmt.Errorf("network device has two models (%s, %.20s)", d.Model, v)
			}
			d.Model = v
		case k == "macaddr" || k == "hwaddr":
			d.MAC = v
		case k == "bridge":
			d.Bridge = v
		case k == "tag":
			d.Tag, perr = parseIntRange(v, 1, 4094)
		case k == "trunks":
			d.Trunks = v
		case k == "firewall":
			d.Firewall, perr = parseBoolOpt(v)
		case k == "link_down":
			d.LinkDown, perr = parseBoolOpt(v)
		case k == "rate":
			d.Rate, perr = parseFloatOpt(v)
		case k == "mtu":
			d.MTU, perr = parseIntRange(v, 1, 65520)
		case k == "queues":
			d.Queues, perr = parseIntRange(v, 0, 64)
		case k == "name":
			d.Name = v
		case k == "type":
			if d.Model == "" {
				d.Model = v
			}
		case k == "ip":
			d.IP = v
		case k == "gw":
			d.Gateway = v
		case k == "ip6":
			d.IP6 = v
		case k == "gw6":
			d.Gateway6 = v
		}
		if perr != nil {
			return NetDevice{}, fmt.Errorf("network device %s: %w", k, perr)
		}
	}
	if !d.Container && d.Model != "" && !qemuNICModels[d.Model] {
		return NetDevice{}, fmt.Errorf("unknown network model %.30q", d.Model)
	}
	return d, nil
}

func parseIntRange(s string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%.20q is not an integer", s)
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("%d is outside %d..%d", n, lo, hi)
	}
	return n, nil
}

func parseBoolOpt(s string) (bool, error) {
	v, ok := parseBoolText(s)
	if !ok {
		return false, fmt.Errorf("%.20q is not a boolean (1/0, on/off, yes/no, true/false)", s)
	}
	return v, nil
}

func parseFloatOpt(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return 0, fmt.Errorf("%.20q is not a non-negative number", s)
	}
	return f, nil
}

// Disk is a parsed disk or mount point value: "local-lvm:vm-100-disk-0,
// iothread=1,size=32G", "none,media=cdrom", "local:iso/x.iso,media=cdrom",
// "/dev/disk/by-id/...", or LXC "vmstore:subvol-101-disk-0,size=30G".
type Disk struct {
	File    string // the volume as written: "local-lvm:vm-100-disk-0", "none", "/dev/sdb"
	Storage string // "" for "none", paths and bare volumes
	Volume  string // the part after "storage:", or File when there is no storage
	Size    int64  // bytes from size=, 0 when absent
	Media   string // "disk" (default) or "cdrom"
	Format  string // format= when given
	// Options holds every other key (iothread, cache, mp, backup, ...).
	Options map[string]string
}

// ParseDisk parses a disk (qemu) or rootfs/mpN (lxc) value.
func ParseDisk(s string) (Disk, error) {
	ps, err := ParsePropertyString(s, "file")
	if err != nil {
		return Disk{}, fmt.Errorf("parse disk: %w", err)
	}
	d := Disk{Media: "disk", Options: map[string]string{}}
	for _, kv := range ps.Pairs {
		switch kv.Key {
		case "file", "volume":
			d.File = kv.Value
		case "size":
			n, err := ParseSize(kv.Value)
			if err != nil {
				return Disk{}, fmt.Errorf("disk size: %w", err)
			}
			d.Size = n
		case "media":
			if kv.Value != "disk" && kv.Value != "cdrom" {
				return Disk{}, fmt.Errorf("disk media %.20q: want disk or cdrom", kv.Value)
			}
			d.Media = kv.Value
		case "format":
			d.Format = kv.Value
			d.Options[kv.Key] = kv.Value
		default:
			d.Options[kv.Key] = kv.Value
		}
	}
	if d.File == "" {
		return Disk{}, fmt.Errorf("disk %.60q names no volume", s)
	}
	d.Volume = d.File
	if !strings.HasPrefix(d.File, "/") {
		if st, vol, ok := strings.Cut(d.File, ":"); ok {
			if st == "" {
				return Disk{}, fmt.Errorf("disk %.60q has an empty storage name", d.File)
			}
			d.Storage, d.Volume = st, vol
		}
	}
	return d, nil
}
