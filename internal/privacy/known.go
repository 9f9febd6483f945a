package privacy

import (
	"context"
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/proxmox-mpc/proxmox-mpc/internal/anonymize"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// KnownStats counts the names a workspace knows, by kind.
type KnownStats struct {
	Nodes    int `json:"nodes"`
	Guests   int `json:"guests"`
	Storages int `json:"storages"`
	Pools    int `json:"pools"`
	Domains  int `json:"domains"`
}

// Total is the number of known names and domains.
func (k KnownStats) Total() int { return k.Nodes + k.Guests + k.Storages + k.Pools + k.Domains }

// Known lists the names the workspace knows: from the state store (every
// node, guest, storage and pool name, the cluster name, the DNS search
// domains of guest configs) and the endpoint host of its config. Without
// a state store only the endpoint is known.
func (s *Service) Known(ctx context.Context) (anonymize.Known, KnownStats, error) {
	var inv state.Inventory
	if s.State != nil {
		var err error
		if inv, err = s.State.Inventory(ctx); err != nil {
			return anonymize.Known{}, KnownStats{}, err
		}
	}
	k, st := KnownFrom(inv)
	for _, ep := range []string{s.Workspace.Config.Endpoint, inv.Cluster.Endpoint} {
		hosts, domains := endpointNames(ep)
		k.Hosts = appendNew(k.Hosts, hosts...)
		k.Domains = appendNew(k.Domains, domains...)
	}
	return k, st, nil
}

// KnownFrom collects the names of an inventory.
func KnownFrom(inv state.Inventory) (anonymize.Known, KnownStats) {
	var k anonymize.Known
	var st KnownStats
	seen := map[string]bool{}
	addHost := func(name string, n *int) {
		name = strings.TrimSpace(name)
		if name == "" || seen[strings.ToLower(name)] {
			return
		}
		seen[strings.ToLower(name)] = true
		k.Hosts = append(k.Hosts, name)
		if n != nil {
			*n++
		}
	}
	addHost(inv.Cluster.Name, nil)
	for _, n := range inv.Nodes {
		addHost(n.Name, &st.Nodes)
	}
	for _, g := range inv.Guests {
		addHost(g.Name, &st.Guests)
		if h := g.Config["hostname"]; h != "" { // containers: usually the name
			hosts, domains := splitFQDN(h)
			for _, x := range hosts {
				addHost(x, &st.Guests)
			}
			k.Domains = appendNew(k.Domains, domains...)
		}
	}
	for _, s := range inv.Storages {
		addHost(s.Name, &st.Storages)
	}
	for _, g := range inv.Guests {
		addHost(g.Pool, &st.Pools)
	}
	for _, g := range inv.Guests {
		for d := range strings.FieldsFuncSeq(g.Config["searchdomain"], func(r rune) bool { return r == ' ' || r == ',' || r == ';' }) {
			k.Domains = appendNew(k.Domains, strings.Trim(d, "."))
		}
	}
	st.Domains = len(k.Domains)
	return k, st
}

// endpointNames turns an endpoint URL's host into a known host and domain
// (an address needs nothing: the engine masks every address).
func endpointNames(endpoint string) (hosts, domains []string) {
	if endpoint == "" {
		return nil, nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Hostname() == "" || net.ParseIP(u.Hostname()) != nil {
		return nil, nil
	}
	return splitFQDN(u.Hostname())
}

// splitFQDN splits pve1.lab.example into the host pve1 and the domain
// lab.example.
func splitFQDN(name string) (hosts, domains []string) {
	name = strings.Trim(strings.TrimSpace(name), ".")
	host, domain, ok := strings.Cut(name, ".")
	if host != "" {
		hosts = append(hosts, host)
	}
	if ok && domain != "" {
		domains = append(domains, domain)
	}
	return hosts, domains
}

func appendNew(list []string, vals ...string) []string {
	for _, v := range vals {
		if v != "" && !slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, v) }) {
			list = append(list, v)
		}
	}
	return list
}

// KnownMapping anonymizes every known name once and returns the reverse
// map of them all (pseudonym → real name): what `privacy --export-map`
// writes, so any text anonymized in this workspace can be turned back.
func (s *Service) KnownMapping(ctx context.Context) (map[string]string, error) {
	e, err := s.Engine(ctx)
	if err != nil {
		return nil, err
	}
	k, _, err := s.Known(ctx)
	if err != nil {
		return nil, err
	}
	for _, h := range k.Hosts {
		e.Text(h)
	}
	for _, d := range k.Domains {
		e.Text("host." + d)
	}
	m := e.Mapping()
	return m, nil
}
