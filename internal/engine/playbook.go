package engine

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/proxmox-mpc/proxmox-mpc/internal/iac/ansible"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// The after-apply playbook: when a workspace has AfterApplyPlaybook,
// apply runs it with ansible-playbook against the guests it created or
// changed. This file holds the pure parts: which hosts, and the command
// line.
const (
	// AfterApplyPlaybook is the workspace-relative playbook; its presence
	// is the switch that turns the after-apply run on.
	AfterApplyPlaybook = "ansible/playbooks/after-apply.yml"
	// AnsibleInventory is the workspace-relative inventory sync writes.
	AnsibleInventory = "ansible/inventory.yml"
	// PlaybookBinary is the program run.
	PlaybookBinary = "ansible-playbook"
	// MaxLimitArg is the longest --limit value passed as an argument;
	// longer host lists go through a file ("@FILE"), as Linux caps one
	// argument at 128 KiB.
	MaxLimitArg = 64 << 10
)

// Why a guest that an apply touched gets no playbook run.
const (
	SkipNotApplied  = "its changes did not all succeed"
	SkipNotSynced   = "created by this apply: it is not in " + AnsibleInventory + " until `proxmox-mpc sync` regenerates it"
	SkipTemplate    = "a template: playbooks do not run on templates"
	SkipStopped     = "not running (started = false in its code)"
	SkipNoInventory = "not in " + AnsibleInventory + " (run `proxmox-mpc sync` to regenerate it)"
)

// PlaybookSkip is a guest the apply created or changed that the playbook
// does not run on, and why.
type PlaybookSkip struct {
	Address string `json:"address"`
	VMID    int    `json:"vmid"`
	Name    string `json:"name"`
	Reason  string `json:"reason"` // one of the Skip* texts
}

// PlaybookHosts is who the after-apply playbook runs on.
type PlaybookHosts struct {
	Hosts   []string       // inventory host names, sorted, each once
	Skipped []PlaybookSkip // in plan order
}

// PlaybookInput is what AfterApplyHosts decides from.
type PlaybookInput struct {
	Plan Plan // the plan that was applied
	// Applied reports whether the guest at address was changed as planned
	// (every step of it succeeded); nil: all were.
	Applied func(address string) bool
	// Synced are the state store's guests (the last sync, without removed
	// ones): what ansible/inventory.yml was generated from, so their host
	// names are the inventory's.
	Synced []state.Guest
	// Inventory holds the host names of ansible/inventory.yml (see
	// InventoryHosts); nil: not checked.
	Inventory map[string]bool
}

// AfterApplyHosts returns the inventory host names of the guests the plan
// created, updated or replaced, as ansible.HostName names them among the
// synced guests. A guest is skipped, with the reason, when its changes
// did not all succeed, when it is a template or is to be stopped, when the
// last sync does not know it (a guest this apply created: the inventory is
// stale until the next sync), or when the inventory does not hold it.
// Deletions are not touched.
func AfterApplyHosts(in PlaybookInput) PlaybookHosts {
	byID := make(map[int]int, len(in.Synced))
	for i := range in.Synced {
		if in.Synced[i].RemovedAt == nil {
			byID[in.Synced[i].VMID] = i
		}
	}
	var out PlaybookHosts
	seen := map[string]bool{}
	for _, c := range in.Plan.Changes {
		if c.Action != Create && c.Action != Update && c.Action != Replace {
			continue
		}
		skip := func(reason string) {
			out.Skipped = append(out.Skipped, PlaybookSkip{Address: c.Address, VMID: c.VMID, Name: c.Name, Reason: reason})
		}
		li, synced := byID[c.VMID]
		switch {
		case in.Applied != nil && !in.Applied(c.Address):
			skip(SkipNotApplied)
		case (c.Desired != nil && c.Desired.Template) || (synced && in.Synced[li].Template):
			skip(SkipTemplate)
		case c.Desired != nil && !c.Desired.Started:
			skip(SkipStopped)
		case c.Action == Create || c.VMID == 0 || !synced:
			skip(SkipNotSynced)
		default:
			host := ansible.HostName(in.Synced[li], in.Synced)
			if in.Inventory != nil && !in.Inventory[host] {
				skip(SkipNoInventory)
				continue
			}
			if !seen[host] {
				seen[host] = true
				out.Hosts = append(out.Hosts, host)
			}
		}
	}
	slices.Sort(out.Hosts)
	return out
}

// PlaybookArgs is the command line after PlaybookBinary, run in the
// workspace root; limit is PlaybookLimit's value.
func PlaybookArgs(limit string) []string {
	return []string{"-i", AnsibleInventory, AfterApplyPlaybook, "--limit", limit}
}

// PlaybookLimit is the --limit value for hosts: the names joined by
// commas. fits is false when that is longer than MaxLimitArg: the caller
// then writes the hosts one a line to a file and passes "@" + its path.
func PlaybookLimit(hosts []string) (limit string, fits bool) {
	limit = strings.Join(hosts, ",")
	return limit, len(limit) <= MaxLimitArg
}

// ErrInventoryPatterns says an inventory names hosts by patterns
// (web[01:10]) that InventoryHosts does not expand.
var ErrInventoryPatterns = errors.New("the inventory names hosts by ranges")

// InventoryHosts returns the host names of a YAML Ansible inventory (as
// sync writes ansible/inventory.yml, or as a person edits it): the keys of
// every group's hosts, through children, at any depth. An inventory that
// names hosts by ranges (web[01:10]) gives ErrInventoryPatterns; one that
// is not YAML, or not an inventory, an error.
func InventoryHosts(data []byte) (map[string]bool, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if strings.TrimSpace(string(data)) == "" {
			return map[string]bool{}, nil
		}
		return nil, fmt.Errorf("read %s: %w", AnsibleInventory, err)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	hosts := map[string]bool{}
	if isNull(root) {
		return hosts, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("read %s: line %d: the inventory is not a mapping of groups", AnsibleInventory, root.Line)
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if err := groupHosts(root.Content[i+1], hosts, 0); err != nil {
			return nil, fmt.Errorf("read %s: group %s: %w", AnsibleInventory, root.Content[i].Value, err)
		}
	}
	return hosts, nil
}

// maxGroupDepth bounds children nesting (a YAML alias may refer back).
const maxGroupDepth = 64

func groupHosts(g *yaml.Node, hosts map[string]bool, depth int) error {
	if depth > maxGroupDepth {
		return errors.New("groups nested too deep")
	}
	if g.Kind == yaml.AliasNode {
		g = g.Alias
	}
	if g == nil || isNull(g) {
		return nil
	}
	if g.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: a group is a mapping (hosts, children, vars)", g.Line)
	}
	for i := 0; i+1 < len(g.Content); i += 2 {
		k, v := g.Content[i].Value, g.Content[i+1]
		if v.Kind == yaml.AliasNode {
			v = v.Alias
		}
		switch k {
		case "hosts":
			if v == nil || isNull(v) {
				continue
			}
			if v.Kind != yaml.MappingNode {
				return fmt.Errorf("line %d: hosts is a mapping of host names", v.Line)
			}
			for j := 0; j < len(v.Content); j += 2 {
				name := v.Content[j].Value
				if strings.Contains(name, "[") {
					return ErrInventoryPatterns
				}
				hosts[name] = true
			}
		case "children":
			if v == nil || isNull(v) {
				continue
			}
			if v.Kind != yaml.MappingNode {
				return fmt.Errorf("line %d: children is a mapping of groups", v.Line)
			}
			for j := 0; j+1 < len(v.Content); j += 2 {
				if err := groupHosts(v.Content[j+1], hosts, depth+1); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func isNull(n *yaml.Node) bool {
	return n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}
