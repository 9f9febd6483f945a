package iac

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// Reasons shared by FromState and the readers.
const (
	reasonNotSupported = "not supported by proxmox-mpc yet; the first plan may want to remove it"
	reasonSecret       = "secret: the value is never copied into code (the provider cannot read it back either)"
)

// Ignore reasons by attribute, per ADOPTION.md §6.
var ignoreReasons = map[string]string{
	"scsi_hardware":    "the live config has no scsihw key (PVE runs lsi); the provider reads null and would set virtio-scsi-pci, restarting the VM",
	"memory":           "the live config has no memory key; the provider reads 0, which its validator rejects, and would set 512",
	"operating_system": "the live config has no ostype key; the provider reads \"\", which its validator rejects, and would set other",
	"timeout_clone":    "the container read never sets timeouts; without this the first plan shows an update",
	"timeout_create":   "the container read never sets timeouts; without this the first plan shows an update",
	"timeout_delete":   "the container read never sets timeouts; without this the first plan shows an update",
	"timeout_start":    "the container read never sets timeouts; without this the first plan shows an update",
	"timeout_update":   "the container read never sets timeouts; without this the first plan shows an update",
}

// CTTimeouts are the container timeouts that always need ignore_changes.
var CTTimeouts = []string{"timeout_clone", "timeout_create", "timeout_delete", "timeout_start", "timeout_update"}

// IgnoreReason returns why attr needs lifecycle.ignore_changes, or "" when
// the attribute is not one proxmox-mpc adds.
func IgnoreReason(attr string) string { return ignoreReasons[attr] }

// conv converts one config, remembering which keys it used.
type conv struct {
	conf     map[string]string
	used     map[string]bool
	unmapped []Unmapped
}

func (c *conv) take(key string) (string, bool) {
	v, ok := c.conf[key]
	if ok {
		c.used[key] = true
	}
	return v, ok
}

func (c *conv) unmap(key, value, reason string) {
	c.used[key] = true
	c.unmapped = append(c.unmapped, Unmapped{Key: key, Value: value, Reason: reason})
}

// leftover reports the unused options of a property string.
func (c *conv) leftover(key string, p *propSet) {
	if r := p.rest(); r != "" {
		c.unmapped = append(c.unmapped, Unmapped{Key: key, Value: r, Reason: "option(s) " + reasonNotSupported})
	}
}

func (c *conv) takeBool(key string, def bool) bool {
	v, ok := c.take(key)
	if !ok {
		return def
	}
	return v == "1"
}

func (c *conv) takeInt(key string, def int) int {
	v, ok := c.take(key)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		c.unmap(key, v, "not an integer")
		return def
	}
	return n
}

func (c *conv) takeFloat(key string) float64 {
	v, ok := c.take(key)
	if !ok {
		return 0
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		c.unmap(key, v, "not a number")
		return 0
	}
	return f
}

// FromState converts a guest as stored by sync into the model, following
// ADOPTION.md §3–§6. Every config key is either represented or listed in
// Unmapped; `digest` is the version stamp, not a value, and is skipped.
func FromState(g state.Guest) Guest {
	out, _ := fromState(g)
	return out
}

// fromState also returns the config keys it used (for tests).
func fromState(g state.Guest) (Guest, map[string]bool) {
	c := &conv{conf: g.Config, used: map[string]bool{"digest": true}}
	out := Guest{
		Kind:     Kind(g.Type),
		Node:     g.Node,
		VMID:     g.VMID,
		Name:     g.Name,
		Tags:     slices.Clone(g.Tags),
		Pool:     g.Pool,
		Template: c.takeBool("template", g.Template),
		Started:  g.Status == "running",
	}
	if len(out.Tags) == 0 {
		out.Tags = nil
	}
	if t, ok := c.take("tags"); ok {
		out.Tags = splitList(t, ";")
	}
	if g.HAState != "" {
		out.HA = &HA{State: g.HAState}
	}
	out.Description, _ = c.take("description")
	out.Protection = c.takeBool("protection", false)
	out.OnBoot = c.takeBool("onboot", false)
	out.HookScript, _ = c.take("hookscript")
	if v, ok := c.take("startup"); ok {
		out.Startup = c.startup(v)
	}
	for _, k := range []string{"lock", "parent", "snaptime"} {
		if v, ok := c.conf[k]; ok {
			c.unmap(k, v, "runtime state (lock or snapshot), not configuration")
		}
	}
	if out.Kind == KindCT {
		// PVE returns a trailing newline; the provider compares without it.
		out.Description = strings.TrimSuffix(out.Description, "\n")
		out.CT = c.ct(&out)
	} else {
		if out.Template {
			out.Started = false // ADOPTION §4: a template is written started = false
		}
		out.VM = c.vm(&out)
	}
	for k, v := range g.Config {
		if !c.used[k] {
			c.unmap(k, v, reasonNotSupported)
		}
	}
	slices.SortFunc(c.unmapped, func(a, b Unmapped) int {
		if a.Key != b.Key {
			return compareKeys(a.Key, b.Key)
		}
		return strings.Compare(a.Value, b.Value)
	})
	out.Unmapped = c.unmapped
	return out, c.used
}

func (c *conv) startup(v string) *Startup {
	p := newPropSet(v, "order")
	s := &Startup{Order: -1, Up: -1, Down: -1}
	for _, f := range []struct {
		key string
		dst *int
	}{{"order", &s.Order}, {"up", &s.Up}, {"down", &s.Down}} {
		if x, ok := p.take(f.key); ok {
			n, err := strconv.Atoi(x)
			if err != nil {
				c.unmapped = append(c.unmapped, Unmapped{Key: "startup", Value: f.key + "=" + x, Reason: "not an integer"})
				continue
			}
			*f.dst = n
		}
	}
	c.leftover("startup", p)
	return s
}

var (
	diskKeyRE = regexp.MustCompile(`^(scsi|virtio|sata|ide)(\d+)$`)
	idxKeyRE  = regexp.MustCompile(`^([a-z]+)(\d+)$`)
)

// indexed returns the config keys prefix0..prefixN present, sorted by index.
func indexed(conf map[string]string, prefix string) []string {
	var keys []string
	for k := range conf {
		if rest, ok := strings.CutPrefix(k, prefix); ok && allDigits(rest) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, compareKeys)
	return keys
}

// allDigits reports whether s is a non-empty run of ASCII digits (the
// index of a config key such as net0; idxKeyRE's (\d+), without a regexp
// per key: FromState runs over every key of every guest).
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// keyIndex returns the number at the end of an indexed key.
func keyIndex(k string) int {
	_, idx, ok := splitIndexed(k)
	if !ok {
		return -1
	}
	n, _ := strconv.Atoi(idx)
	return n
}

// splitIndexed splits "net12" into "net" and "12" as idxKeyRE
// (^([a-z]+)(\d+)$) does, without a regexp.
func splitIndexed(k string) (prefix, idx string, ok bool) {
	i := 0
	for i < len(k) && k[i] >= 'a' && k[i] <= 'z' {
		i++
	}
	if i == 0 || !allDigits(k[i:]) {
		return "", "", false
	}
	return k[:i], k[i:], true
}

// compareKeys orders config keys by prefix, then numerically by index.
func compareKeys(a, b string) int {
	pa, ia, oka := splitIndexed(a)
	pb, ib, okb := splitIndexed(b)
	if oka && okb && pa == pb {
		na, _ := strconv.Atoi(ia)
		nb, _ := strconv.Atoi(ib)
		if na != nb {
			if na < nb {
				return -1
			}
			return 1
		}
	}
	return strings.Compare(a, b)
}

func splitList(s, sep string) []string {
	var out []string
	for _, f := range strings.Split(s, sep) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// sizeGiB converts a PVE size ("32G", "1536M", "1T", "715188K") to whole GiB,
// floored; ok is false when it does not parse.
func sizeGiB(s string) (gib int, exact, ok bool) {
	if s == "" {
		return 0, false, false
	}
	unit := s[len(s)-1]
	num := s
	var mult float64 // GiB per unit
	switch unit {
	case 'T', 't':
		mult, num = 1024, s[:len(s)-1]
	case 'G', 'g':
		mult, num = 1, s[:len(s)-1]
	case 'M', 'm':
		mult, num = 1.0/1024, s[:len(s)-1]
	case 'K', 'k':
		mult, num = 1.0/(1024*1024), s[:len(s)-1]
	default:
		mult = 1.0 / (1024 * 1024 * 1024) // bytes
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 {
		return 0, false, false
	}
	v := f * mult
	return int(v), v == float64(int(v)), true
}

// datastoreOf returns the storage id of a volid ("local-lvm:vm-1-disk-0").
func datastoreOf(vol string) string {
	ds, _, ok := strings.Cut(vol, ":")
	if !ok {
		return ""
	}
	return ds
}

// decodeKeys decodes PVE's URL-encoded sshkeys into one key a line.
func decodeKeys(v string) ([]string, error) {
	dec, err := url.PathUnescape(v)
	if err != nil {
		return nil, fmt.Errorf("decode sshkeys: %w", err)
	}
	return splitList(strings.ReplaceAll(dec, "\r\n", "\n"), "\n"), nil
}
