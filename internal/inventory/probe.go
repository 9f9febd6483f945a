package inventory

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
)

// DialOptions say how to reach a server, for callers above the domain
// (which never see pve types).
type DialOptions struct {
	Endpoint    string // https://HOST:8006
	APIToken    string // USER@REALM!ID=SECRET
	Username    string // ticket login
	Password    string
	Fingerprint string // pinned certificate, AA:BB:...
	CAFile      string
	Insecure    bool
	Timeout     time.Duration
	UserAgent   string
	Transport   http.RoundTripper // the in-process simulator; TLS settings are then ignored
	Logger      *slog.Logger
}

// Dial returns a Service for the server in o. It makes no network call;
// bad settings are a *pve.ConfigError.
func Dial(o DialOptions) (*Service, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c, err := pve.New(pve.Config{
		Endpoint: o.Endpoint, APIToken: o.APIToken, Username: o.Username, Password: o.Password,
		Fingerprint: o.Fingerprint, CAFile: o.CAFile, Insecure: o.Insecure, Timeout: o.Timeout,
		UserAgent: o.UserAgent, Transport: o.Transport, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	return New(c, log), nil
}

// ServerFingerprint connects to endpoint without verifying its certificate
// and returns the certificate's SHA-256 fingerprint (AA:BB:...), for trust
// on first use: show it to the user before pinning it.
func ServerFingerprint(ctx context.Context, endpoint string, timeout time.Duration) (string, error) {
	fp, err := pve.FetchFingerprint(ctx, endpoint, timeout)
	if err != nil {
		return "", fmt.Errorf("fetch the certificate of %s: %w", endpoint, err)
	}
	return fp, nil
}

// NodeChoices are the defaults a new workspace can pick for a node.
type NodeChoices struct {
	Storages []string // active storages that hold VM disks ("images" content)
	Bridges  []string // Linux and OVS bridges
}

// NodeNames lists the nodes, online ones first, each group by name.
func (s *Service) NodeNames(ctx context.Context) ([]string, error) {
	nodes, err := s.Nodes(ctx)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(nodes, func(a, b Node) int {
		return boolInt(a.Status != "online") - boolInt(b.Status != "online")
	})
	names := make([]string, len(nodes))
	for i, n := range nodes {
		names[i] = n.Name
	}
	return names, nil
}

// NodeChoices lists the storages for VM disks and the bridges of node.
func (s *Service) NodeChoices(ctx context.Context, node string) (NodeChoices, error) {
	if s.client == nil {
		return NodeChoices{}, &NotInStateError{What: "network bridges"}
	}
	st, err := s.Storages(ctx, node)
	if err != nil {
		return NodeChoices{}, err
	}
	var out NodeChoices
	for _, x := range st {
		if slices.Contains(x.Content, "images") && (x.Status == "" || x.Status == "available") {
			out.Storages = append(out.Storages, x.Name)
		}
	}
	ifaces, err := s.client.Network(ctx, node)
	if err != nil {
		return NodeChoices{}, fmt.Errorf("list bridges: %w", err)
	}
	for _, n := range ifaces {
		if strings.EqualFold(n.Type, "bridge") || strings.EqualFold(n.Type, "OVSBridge") {
			out.Bridges = append(out.Bridges, n.Iface)
		}
	}
	slices.Sort(out.Storages)
	slices.Sort(out.Bridges)
	return out, nil
}
