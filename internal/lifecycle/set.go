package lifecycle

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/proxmox-mpc/proxmox-mpc/internal/inventory"
)

// SetRequest changes config options of a guest; nil fields are left alone.
type SetRequest struct {
	Guest       inventory.Guest
	Cores       *int
	Memory      *string // "8G", "512M", or MiB
	Tags        *string // "a,b"; "" removes all tags
	Description *string // "" removes the description
	OnBoot      *bool
}

// SetPlan is a config change's plan and the keys it touches.
type SetPlan struct {
	Plan
	Keys []string
}

// PlanSet validates the given options and plans one PUT .../config with
// the config digest read now, so that a concurrent change makes the
// server refuse instead of overwriting it.
func (s *Service) PlanSet(ctx context.Context, req SetRequest) (SetPlan, error) {
	g := req.Guest
	form := url.Values{}
	var del []string
	if req.Cores != nil {
		if err := ValidateCores(*req.Cores); err != nil {
			return SetPlan{}, err
		}
		form.Set("cores", strconv.Itoa(*req.Cores))
	}
	if req.Memory != nil {
		mib, err := ParseMemory(*req.Memory)
		if err != nil {
			return SetPlan{}, err
		}
		form.Set("memory", strconv.Itoa(mib))
	}
	if req.Tags != nil {
		tags, err := ParseTags(*req.Tags)
		if err != nil {
			return SetPlan{}, err
		}
		if len(tags) == 0 {
			del = append(del, "tags")
		} else {
			form.Set("tags", strings.Join(tags, ";"))
		}
	}
	if req.Description != nil {
		if *req.Description == "" {
			del = append(del, "description")
		} else {
			form.Set("description", *req.Description)
		}
	}
	if req.OnBoot != nil {
		form.Set("onboot", map[bool]string{true: "1", false: "0"}[*req.OnBoot])
	}
	if len(form) == 0 && len(del) == 0 {
		return SetPlan{}, &ValidationError{What: "options", Problem: "nothing to change", Fix: "pass at least one of --cores, --memory, --tags, --description, --onboot"}
	}
	if g.Template && (req.Cores != nil || req.Memory != nil) {
		return SetPlan{}, &ValidationError{What: "guest", Value: Label(g), Problem: "is a template; its clones take their own sizes", Fix: "change the clone, or the template's options other than --cores and --memory"}
	}
	cfg, err := s.client.GuestConfig(ctx, g.Node, kindOf(g), g.VMID)
	if err != nil {
		return SetPlan{}, fmt.Errorf("read config of %s: %w", Label(g), err)
	}
	keys := make([]string, 0, len(form)+len(del))
	for k := range form {
		keys = append(keys, k)
	}
	keys = append(keys, del...)
	slices.Sort(keys)
	if len(del) > 0 {
		form.Set("delete", strings.Join(del, ","))
	}
	if cfg.Digest != "" {
		form.Set("digest", cfg.Digest)
	}
	p := SetPlan{Keys: keys}
	p.Verb = "set"
	p.Warnings = guestWarnings(g)
	p.Steps = []Step{{Action: "set", Guest: g, Call: Call{Method: "PUT", Path: guestPath(g) + "/config", Params: form}}}
	return p, nil
}

// PendingChange is a config change that waits for the guest's restart.
type PendingChange struct {
	Key     string `json:"key"`
	Value   string `json:"value"`   // the running value
	Pending string `json:"pending"` // the value after the restart
	Delete  bool   `json:"delete"`  // the key goes away at the restart
}

// Pending reads GET .../pending and returns the pending changes among keys
// (all of them when keys is empty).
func (s *Service) Pending(ctx context.Context, g inventory.Guest, keys []string) ([]PendingChange, error) {
	items, err := s.client.GuestPending(ctx, g.Node, kindOf(g), g.VMID)
	if err != nil {
		return nil, err
	}
	var out []PendingChange
	for _, it := range items {
		if (it.Pending == nil && !bool(it.Delete)) || (len(keys) > 0 && !slices.Contains(keys, it.Key)) {
			continue
		}
		pc := PendingChange{Key: it.Key, Delete: bool(it.Delete)}
		if it.Value != nil {
			pc.Value = *it.Value
		}
		if it.Pending != nil {
			pc.Pending = *it.Pending
		}
		out = append(out, pc)
	}
	return out, nil
}
