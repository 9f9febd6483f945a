package ansible

import (
	"strconv"
	"strings"

	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// List is the dynamic-inventory answer to `--list`: the same hosts, groups
// and host vars as inventory.yml, as
//
//	{"_meta":{"hostvars":{HOST:{VARS}}},"all":{"children":[GROUP...]},GROUP:{"hosts":[HOST...]},...}
//
// With _meta present Ansible never calls `--host`. Keys and lists are
// sorted; there is no trailing newline.
func List(guests []state.Guest, opts Options) ([]byte, error) {
	m := build(guests, opts)
	b := make([]byte, 0, 320*(len(m.hosts)+1))
	b = append(b, `{"_meta":{"hostvars":{`...)
	for i, h := range m.hosts {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, h.name)
		b = append(b, ':')
		b = h.vars.appendJSON(b)
	}
	b = append(b, `}},"all":{"children":[`...)
	for i, g := range m.groups {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, g.name)
	}
	b = append(b, "]}"...)
	for _, g := range m.groups {
		b = append(b, ',')
		b = appendJSONString(b, g.name)
		b = append(b, `:{"hosts":`...)
		b = appendJSONStrings(b, g.hosts)
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

// Host is the dynamic-inventory answer to `--host NAME`: that host's vars
// as a JSON object, or {} for a host that is not in the inventory, as
// Ansible's script protocol expects.
func Host(guests []state.Guest, name string, opts Options) ([]byte, error) {
	var names map[int]string
	for i := range guests {
		g := &guests[i]
		if g.Template && opts.SkipTemplates {
			continue
		}
		// Cheap test first: a host name starts with the guest's name or
		// ends with its VMID.
		if !strings.HasPrefix(name, g.Name) && !strings.HasSuffix(name, "-"+strconv.Itoa(g.VMID)) {
			continue
		}
		if names == nil {
			names = hostNames(guests)
		}
		if names[g.VMID] == name {
			v := varsOf(g)
			return v.appendJSON(nil), nil
		}
	}
	return []byte("{}"), nil
}
