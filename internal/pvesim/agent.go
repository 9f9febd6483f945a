package pvesim

import (
	"fmt"
	"strconv"
	"strings"
)

// guestIPv4 returns the address a guest's NIC n reports: the static
// ipconfigN/ip= address, or a deterministic DHCP lease.
func guestIPv4(g *guest, n int) (string, int) {
	key := "ipconfig" + strconv.Itoa(n)
	src := g.conf[key]
	if g.kind == kindLXC {
		src = g.conf["net"+strconv.Itoa(n)]
	}
	if ip, ok := optValue(src, "ip"); ok && ip != "dhcp" && ip != "manual" {
		addr, prefix, _ := strings.Cut(ip, "/")
		return addr, atoiDef(prefix, 24)
	}
	h := hash32(uint64(g.vmid)*131 + uint64(n))
	return fmt.Sprintf("192.168.1.%d", 100+h%150), 24
}

// macOf extracts a NIC's MAC address (qemu model=MAC or lxc hwaddr=).
func macOf(g *guest, netKey string) string {
	v := g.conf[netKey]
	if g.kind == kindLXC {
		mac, _ := optValue(v, "hwaddr")
		return mac
	}
	first, _, _ := strings.Cut(v, ",")
	_, mac, _ := strings.Cut(first, "=")
	return mac
}

// linkLocal derives the EUI-64 fe80:: address of a MAC.
func linkLocal(mac string) string {
	parts := strings.Split(strings.ToLower(mac), ":")
	if len(parts) != 6 {
		return "fe80::1"
	}
	b0, err := strconv.ParseUint(parts[0], 16, 8)
	if err != nil {
		return "fe80::1"
	}
	return fmt.Sprintf("fe80::%02x%s:%sff:fe%s:%s%s", b0^0x02, parts[1], parts[2], parts[3], parts[4], parts[5])
}

func netKeys(g *guest) []int {
	var out []int
	for k := range g.conf {
		if rest, ok := strings.CutPrefix(k, "net"); ok && isDigits(rest) {
			out = append(out, atoiDef(rest, 0))
		}
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func (s *Sim) hAgentIndex(c *call) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, err := s.c.findGuest(kindQemu, c.vars["node"], c.vars["vmid"]); err != nil {
		return nil, err
	}
	out := []map[string]string{}
	for _, d := range []string{"get-host-name", "get-osinfo", "network-get-interfaces", "ping"} {
		out = append(out, map[string]string{"name": d})
	}
	return out, nil
}

func (s *Sim) agentGuest(c *call) (*guest, *apiError) {
	g, err := s.c.findGuest(kindQemu, c.vars["node"], c.vars["vmid"])
	if err != nil {
		return nil, err
	}
	// qemu-server's PVE::QemuServer::Agent::assert_agent_available, in
	// order: the agent key must be defined (any value, "0" included), the
	// VM must run, and the agent must answer guest-ping. A disabled agent
	// ("0", enabled=0) has no QGA channel, so its ping fails like that of
	// a paused guest.
	v, ok := g.conf["agent"]
	if !ok {
		return nil, errf("No QEMU guest agent configured")
	}
	if !g.running {
		return nil, errf("VM %d is not running", g.vmid)
	}
	if !agentEnabled(v) || g.paused {
		return nil, errf("QEMU guest agent is not running")
	}
	return g, nil
}

func (s *Sim) hAgentPing(c *call) (any, error) {
	s.syncTasks(c.now)
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, err := s.agentGuest(c); err != nil {
		return nil, err
	}
	return map[string]any{"result": map[string]any{}}, nil
}

func (s *Sim) hAgentNetwork(c *call) (any, error) {
	s.syncTasks(c.now)
	s.mu.RLock()
	defer s.mu.RUnlock()
	g, err := s.agentGuest(c)
	if err != nil {
		return nil, err
	}
	result := []map[string]any{{
		"name": "lo", "hardware-address": "00:00:00:00:00:00",
		"ip-addresses": []map[string]any{
			{"ip-address-type": "ipv4", "ip-address": "127.0.0.1", "prefix": 8},
			{"ip-address-type": "ipv6", "ip-address": "::1", "prefix": 128},
		},
		"statistics": map[string]any{"rx-bytes": 4096, "rx-packets": 48, "rx-errs": 0, "rx-dropped": 0, "tx-bytes": 4096, "tx-packets": 48, "tx-errs": 0, "tx-dropped": 0},
	}}
	windows := strings.HasPrefix(g.conf["ostype"], "win")
	st := guestStats(g, c.now)
	for i, n := range netKeys(g) {
		mac := strings.ToLower(macOf(g, "net"+strconv.Itoa(n)))
		ip, prefix := guestIPv4(g, n)
		name := "ens" + strconv.Itoa(18+n)
		if windows {
			name = "Ethernet"
			if i > 0 {
				name = "Ethernet " + strconv.Itoa(i+1)
			}
		}
		result = append(result, map[string]any{
			"name": name, "hardware-address": mac,
			"ip-addresses": []map[string]any{
				{"ip-address-type": "ipv4", "ip-address": ip, "prefix": prefix},
				{"ip-address-type": "ipv6", "ip-address": linkLocal(mac), "prefix": 64},
			},
			"statistics": map[string]any{
				"rx-bytes": st.netin, "rx-packets": st.netin / 1400, "rx-errs": 0, "rx-dropped": 0,
				"tx-bytes": st.netout, "tx-packets": st.netout / 1400, "tx-errs": 0, "tx-dropped": 0,
			},
		})
	}
	return map[string]any{"result": result}, nil
}

func (s *Sim) hLXCInterfaces(c *call) (any, error) {
	s.syncTasks(c.now)
	s.mu.RLock()
	defer s.mu.RUnlock()
	g, err := s.c.findGuest(kindLXC, c.vars["node"], c.vars["vmid"])
	if err != nil {
		return nil, err
	}
	if !g.running {
		return nil, errf("CT %d not running", g.vmid)
	}
	out := []map[string]any{{
		"name": "lo", "hwaddr": "00:00:00:00:00:00", "hardware-address": "00:00:00:00:00:00",
		"inet": "127.0.0.1/8", "inet6": "::1/128",
		"ip-addresses": []map[string]any{
			{"ip-address-type": "inet", "ip-address": "127.0.0.1", "prefix": 8},
			{"ip-address-type": "inet6", "ip-address": "::1", "prefix": 128},
		},
	}}
	for _, n := range netKeys(g) {
		key := "net" + strconv.Itoa(n)
		mac := strings.ToLower(macOf(g, key))
		name, _ := optValue(g.conf[key], "name")
		if name == "" {
			name = "eth" + strconv.Itoa(n)
		}
		ip, prefix := guestIPv4(g, n)
		ll := linkLocal(mac)
		out = append(out, map[string]any{
			"name": name, "hwaddr": mac, "hardware-address": mac,
			"inet": fmt.Sprintf("%s/%d", ip, prefix), "inet6": ll + "/64",
			"ip-addresses": []map[string]any{
				{"ip-address-type": "inet", "ip-address": ip, "prefix": prefix},
				{"ip-address-type": "inet6", "ip-address": ll, "prefix": 64},
			},
		})
	}
	return out, nil
}
