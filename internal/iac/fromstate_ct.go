package iac

import (
	"strconv"
	"strings"
)

func (c *conv) ct(g *Guest) *CT {
	ct := &CT{
		Unprivileged: c.takeBool("unprivileged", false),
		Arch:         "amd64",
		Cores:        c.takeInt("cores", 1),
		Limit:        c.takeFloat("cpulimit"),
		Units:        c.takeInt("cpuunits", 0),
		MemoryMiB:    c.takeInt("memory", 0),
		SwapMiB:      c.takeInt("swap", 0),
		Console: Console{
			Enabled:  c.takeBool("console", true),
			Mode:     "tty",
			TTYCount: c.takeInt("tty", 2),
		},
	}
	if v, ok := c.take("hostname"); ok {
		g.Name = v
	}
	if v, ok := c.take("arch"); ok {
		ct.Arch = v
	}
	if v, ok := c.take("cmode"); ok {
		ct.Console.Mode = v
	}
	ct.OSType, _ = c.take("ostype")
	if _, ok := c.conf["memory"]; !ok {
		g.Ignore = append(g.Ignore, IgnoredAttr{Attr: "memory", Reason: ignoreReasons["memory"]})
	}
	for _, t := range CTTimeouts {
		g.Ignore = append(g.Ignore, IgnoredAttr{Attr: t, Reason: ignoreReasons[t]})
	}
	if g.Pool != "" {
		// ADOPTION §5: pool_id is never read and forces replacement.
		c.unmapped = append(c.unmapped, Unmapped{Key: "pool", Value: g.Pool, Reason: "pool_id is not written for containers: the provider never reads it and writing it forces replacement"})
	}
	if v, ok := c.take("nameserver"); ok {
		ct.DNSServers = splitList(v, " ")
	}
	ct.DNSDomain, _ = c.take("searchdomain")
	if v, ok := c.take("rootfs"); ok {
		p := newPropSet(v, "volume")
		vol, _ := p.takeFirst()
		r := RootFS{Datastore: datastoreOf(vol.Value), SizeGiB: 4, Replicate: true}
		if r.Datastore == "" {
			r.Datastore = vol.Value
		}
		if s, ok := p.take("size"); ok {
			gib, exact, ok := sizeGiB(s)
			if ok {
				r.SizeGiB = gib
			}
			if !exact {
				c.unmapped = append(c.unmapped, Unmapped{Key: "rootfs", Value: "size=" + s, Reason: "sub-GiB sizes cannot be represented; the size is floored to whole GiB"})
			}
		}
		if m, ok := p.take("mountoptions"); ok {
			r.MountOptions = splitList(m, ";")
		}
		for _, f := range []struct {
			key string
			dst *bool
		}{{"acl", &r.ACL}, {"quota", &r.Quota}, {"replicate", &r.Replicate}} {
			if x, ok := p.take(f.key); ok {
				*f.dst = x == "1"
			}
		}
		c.leftover("rootfs", p)
		ct.RootFS = r
	}
	for _, k := range indexed(c.conf, "mp") {
		v, _ := c.take(k)
		p := newPropSet(v, "volume")
		vol, _ := p.takeFirst()
		mp := MountPoint{Volume: vol.Value, Replicate: true}
		mp.Path, _ = p.take("mp")
		mp.Size, _ = p.take("size")
		if m, ok := p.take("mountoptions"); ok {
			mp.MountOptions = splitList(m, ";")
		}
		for _, f := range []struct {
			key string
			dst *bool
		}{{"ro", &mp.ReadOnly}, {"backup", &mp.Backup}, {"acl", &mp.ACL}, {"quota", &mp.Quota}, {"shared", &mp.Shared}, {"replicate", &mp.Replicate}} {
			if x, ok := p.take(f.key); ok {
				*f.dst = x == "1"
			}
		}
		c.leftover(k, p)
		for len(ct.MountPoints) < keyIndex(k) {
			c.unmapped = append(c.unmapped, Unmapped{Key: "mp" + strconv.Itoa(len(ct.MountPoints)), Reason: "a gap in the mount point indexes cannot be represented"})
			ct.MountPoints = append(ct.MountPoints, MountPoint{})
		}
		ct.MountPoints = append(ct.MountPoints, mp)
	}
	if v, ok := c.take("features"); ok {
		p := newPropSet(v, "")
		f := &Features{}
		for _, x := range []struct {
			key string
			dst *bool
		}{{"nesting", &f.Nesting}, {"fuse", &f.FUSE}, {"keyctl", &f.Keyctl}, {"mknod", &f.Mknod}} {
			if s, ok := p.take(x.key); ok {
				*x.dst = s == "1"
			}
		}
		if m, ok := p.take("mount"); ok {
			f.Mount = splitList(m, ";")
		}
		c.leftover("features", p)
		ct.Features = f
	}
	for _, k := range indexed(c.conf, "net") {
		v, _ := c.take(k)
		p := newPropSet(v, "")
		n := CTNIC{Bridge: "vmbr0"}
		n.Name, _ = p.take("name")
		if b, ok := p.take("bridge"); ok {
			n.Bridge = b
		}
		n.MAC, _ = p.take("hwaddr")
		if f, ok := p.take("firewall"); ok {
			n.Firewall = f == "1"
		}
		if f, ok := p.take("link_down"); ok {
			n.LinkDown = f == "1"
		}
		if x, ok := p.take("tag"); ok {
			n.VLAN, _ = strconv.Atoi(x)
		}
		if x, ok := p.take("mtu"); ok {
			n.MTU, _ = strconv.Atoi(x)
		}
		if x, ok := p.take("rate"); ok {
			n.Rate, _ = strconv.ParseFloat(x, 64)
		}
		if t, ok := p.take("type"); ok && t != "veth" {
			c.unmapped = append(c.unmapped, Unmapped{Key: k, Value: "type=" + t, Reason: "only veth interfaces are supported"})
		}
		n.IP = c.ipConfig(k, p)
		c.leftover(k, p)
		for len(ct.NICs) < keyIndex(k) {
			c.unmapped = append(c.unmapped, Unmapped{Key: "net" + strconv.Itoa(len(ct.NICs)), Reason: "a gap in the interface indexes cannot be represented"})
			ct.NICs = append(ct.NICs, CTNIC{Bridge: "vmbr0"})
		}
		ct.NICs = append(ct.NICs, n)
	}
	for k, v := range c.conf {
		if k == "lxc" || strings.HasPrefix(k, "lxc.") {
			c.unmap(k, v, "raw lxc.* lines cannot be represented by the provider")
		}
	}
	return ct
}
