package mcp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"strings"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/anonymize"
)

// Resource URIs.
const (
	uriWorkspace  = "pmc://workspace"
	uriGuests     = "pmc://guests"
	uriGuest      = "pmc://guests/{vmid}"
	uriTerraform  = "pmc://terraform/{file}"
	uriPlanLatest = "pmc://plan/latest"
	uriLogs       = "pmc://logs/recent"
	uriHealth     = "pmc://health"
)

// recentLogs is how many records pmc://logs/recent holds.
const recentLogs = 100

// WorkspaceSummary is pmc://workspace.
type WorkspaceSummary struct {
	InWorkspace bool           `json:"in_workspace"`
	Allow       string         `json:"allow"`
	Privacy     string         `json:"privacy"`
	Guests      int            `json:"guests"`
	ByStatus    map[string]int `json:"guests_by_status"`
	Nodes       int            `json:"nodes"`
	LatestPlan  string         `json:"latest_plan_id,omitempty"`
	Allowlists  map[string]any `json:"allowlists,omitempty"`
}

func (s *Server) addResources() {
	add := func(uri, name, desc, mime string, h func(ctx context.Context, uri string) (string, error)) {
		s.sdk.AddResource(&sdk.Resource{URI: uri, Name: name, Description: desc, MIMEType: mime}, s.resourceHandler(mime, h))
	}
	tmpl := func(uri, name, desc, mime string, h func(ctx context.Context, uri string) (string, error)) {
		s.sdk.AddResourceTemplate(&sdk.ResourceTemplate{URITemplate: uri, Name: name, Description: desc, MIMEType: mime}, s.resourceHandler(mime, h))
	}
	const js = "application/json"
	add(uriWorkspace, "workspace", "Summary of the workspace: guests by status, nodes, tier, privacy, latest plan.", js, s.readWorkspace)
	add(uriGuests, "guests", "Every guest the allowlists admit (as list_guests).", js,
		func(ctx context.Context, _ string) (string, error) {
			return jsonOf(s.listGuests(ctx, ListGuestsInput{}))
		})
	tmpl(uriGuest, "guest", "One guest in full (as get_guest), by VMID.", js, func(ctx context.Context, uri string) (string, error) {
		return jsonOf(s.getGuest(ctx, GetGuestInput{Guest: path.Base(uri)}))
	})
	tmpl(uriTerraform, "terraform file", "One file of the workspace's terraform/ folder, by name.", "text/plain", s.readTerraform)
	add(uriPlanLatest, "latest plan", "The latest plan this server made (call the plan tool first).", js, func(context.Context, string) (string, error) {
		id, p, ok := s.latestPlan()
		if !ok {
			return "", sdk.ResourceNotFoundError(uriPlanLatest)
		}
		return jsonOf(planOutput(id, p))
	})
	add(uriLogs, "recent logs", "The newest log records of the workspace (info and above).", js, func(ctx context.Context, _ string) (string, error) {
		return jsonOf(s.queryLogs(ctx, LogsInput{Limit: recentLogs}))
	})
	add(uriHealth, "health", "The health report (as the health tool).", js, func(ctx context.Context, _ string) (string, error) {
		return jsonOf(s.health(ctx, struct{}{}))
	})
}

// resourceHandler anonymizes what h returns and journals the read.
func (s *Server) resourceHandler(mime string, h func(ctx context.Context, uri string) (string, error)) sdk.ResourceHandler {
	return func(ctx context.Context, req *sdk.ReadResourceRequest) (*sdk.ReadResourceResult, error) {
		started := s.now()
		uri := req.Params.URI
		e, err := s.engine(ctx)
		if err == nil {
			uri = unmaskText(e, uri)
			var text string
			text, err = h(ctx, uri)
			if err == nil && e != nil {
				text, err = maskResource(e, mime, text)
			}
			if err == nil {
				s.journal(ctx, req.Session, "read-resource", req.Params.URI, nil, started, nil)
				return &sdk.ReadResourceResult{Contents: []*sdk.ResourceContents{{URI: req.Params.URI, MIMEType: mime, Text: text}}}, nil
			}
		}
		s.journal(ctx, req.Session, "read-resource", req.Params.URI, nil, started, err)
		return nil, s.toolError(ctx, err)
	}
}

func unmaskText(e *anonymize.Engine, s string) string {
	if e == nil {
		return s
	}
	if u, err := url.PathUnescape(s); err == nil {
		s = u
	}
	return anonymize.Reverse(s, e.Mapping())
}

func maskResource(e *anonymize.Engine, mime, text string) (string, error) {
	if mime != "application/json" {
		return e.Text(text), nil
	}
	b, err := e.JSON([]byte(text))
	if err != nil {
		return "", fmt.Errorf("anonymize resource: %w", err)
	}
	return string(b), nil
}

func jsonOf[T any](v T, err error) (string, error) {
	if err != nil {
		return "", err
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encode resource: %w", err)
	}
	return string(b), nil
}

func (s *Server) readWorkspace(ctx context.Context, _ string) (string, error) {
	sum := WorkspaceSummary{InWorkspace: s.deps.Workspace != "", Allow: s.opts.Allow.String(), Privacy: "on", ByStatus: map[string]int{}}
	if s.opts.NoPrivacy {
		sum.Privacy = "off"
	}
	if s.deps.Guests != nil {
		out, err := s.listGuests(ctx, ListGuestsInput{})
		if err != nil {
			return "", err
		}
		sum.Guests = out.Count
		for _, g := range out.Guests {
			sum.ByStatus[g.Status]++
		}
	}
	if s.deps.Nodes != nil {
		ns, err := s.listNodes(ctx, struct{}{})
		if err != nil {
			return "", err
		}
		sum.Nodes = len(ns.Nodes)
	}
	if id, _, ok := s.latestPlan(); ok {
		sum.LatestPlan = id
	}
	if len(s.opts.Nodes)+len(s.opts.Tags)+len(s.opts.VMIDs) > 0 {
		sum.Allowlists = map[string]any{"nodes": s.opts.Nodes, "tags": s.opts.Tags, "vmids": s.opts.VMIDs}
	}
	return jsonOf(sum, nil)
}

func (s *Server) readTerraform(ctx context.Context, uri string) (string, error) {
	name := strings.TrimPrefix(uri, "pmc://terraform/")
	if name == "" || name != path.Base(name) || strings.HasPrefix(name, ".") || strings.ContainsAny(name, `/\`) {
		return "", fmt.Errorf("terraform file %q: want the name of a file in terraform/", name)
	}
	if s.deps.TerraformFile == nil {
		return "", unavailable("terraform files")
	}
	b, err := s.deps.TerraformFile(ctx, name)
	if err != nil {
		return "", fmt.Errorf("read terraform/%s: %w", name, err)
	}
	return string(b), nil
}

func (s *Server) addPrompts() {
	s.sdk.AddPrompt(&sdk.Prompt{Name: "troubleshoot-guest", Title: "Troubleshoot a guest",
		Description: "Find out why a guest misbehaves, from its config, status, history, logs and health.",
		Arguments:   []*sdk.PromptArgument{{Name: "guest", Description: "the guest's VMID or name", Required: true}}},
		func(_ context.Context, req *sdk.GetPromptRequest) (*sdk.GetPromptResult, error) {
			g := strings.TrimSpace(req.Params.Arguments["guest"])
			if g == "" {
				return nil, fmt.Errorf("troubleshoot-guest needs the argument guest")
			}
			return userPrompt("Troubleshoot guest "+g, fmt.Sprintf(
				"Troubleshoot the Proxmox guest %q.\n"+
					"1. Call get_guest with guest=%q: read its status, config, agent IP addresses and recent history.\n"+
					"2. Call query_logs with grep=%q and since=24h, and again with level=warn, to find errors around it.\n"+
					"3. Call health, and list_nodes to see whether its node is short of CPU, memory or disk.\n"+
					"4. Call drift to see whether its code and the server disagree.\n"+
					"Then explain the most likely cause, the evidence, and the exact fix. Do not change anything without the user's consent; "+
					"changes go through edit_code, plan and apply.", g, g, g)), nil
		})
	s.sdk.AddPrompt(&sdk.Prompt{Name: "capacity-review", Title: "Capacity review",
		Description: "Review CPU, memory and storage headroom across nodes and guests."},
		func(context.Context, *sdk.GetPromptRequest) (*sdk.GetPromptResult, error) {
			return userPrompt("Capacity review",
				"Review the capacity of this Proxmox cluster.\n"+
					"1. Call list_nodes: CPU usage, memory used/total and disk used/total per node.\n"+
					"2. Call list_storage: usage per storage; flag any above 80%.\n"+
					"3. Call list_guests: memory and CPUs allocated per node, against each node's capacity (overcommit ratio), and stopped guests that still hold resources.\n"+
					"Report per node: headroom, risks, and concrete suggestions (which guests to move, resize or remove), most urgent first."), nil
		})
	s.sdk.AddPrompt(&sdk.Prompt{Name: "plan-change", Title: "Plan a change",
		Description: "Turn a request in plain words into a code edit and a plan to review.",
		Arguments:   []*sdk.PromptArgument{{Name: "request", Description: "the change, in plain words", Required: true}}},
		func(_ context.Context, req *sdk.GetPromptRequest) (*sdk.GetPromptResult, error) {
			r := strings.TrimSpace(req.Params.Arguments["request"])
			if r == "" {
				return nil, fmt.Errorf("plan-change needs the argument request")
			}
			return userPrompt("Plan a change", fmt.Sprintf(
				"The user asks: %q\n"+
					"1. Use list_guests and get_guest to find the guests concerned and their current settings.\n"+
					"2. Express the change with edit_code (op create, set or delete) and show the user the diff it returns.\n"+
					"3. Call plan and show the user the rendered plan, its summary and what each change disrupts (reboot, replace, data loss).\n"+
					"4. Only when the user approves this exact plan, call apply with its plan_id. If apply says the plan_id is stale, plan again and ask again.", r)), nil
		})
}

func userPrompt(desc, text string) *sdk.GetPromptResult {
	return &sdk.GetPromptResult{Description: desc, Messages: []*sdk.PromptMessage{{Role: "user", Content: &sdk.TextContent{Text: text}}}}
}
