package privacy

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/anonymize"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

// BundleInput says what goes into a diagnostic bundle besides what the
// Service reads itself (state summary, workspace config, terraform/ and
// ansible/ files, failed operations).
type BundleInput struct {
	// Logs returns the JSON-lines log records since a time; nil reads the
	// workspace's log files directly (RecentLogs).
	Logs func(ctx context.Context, since time.Time) ([]byte, error)
	// Health returns the health report (JSON or text); nil leaves it out.
	Health func(ctx context.Context) ([]byte, error)
	// Since is how far back logs go.
	Since time.Time
	// Anonymize masks every member (the default of report-issue).
	Anonymize bool
	// Version names the binary in the manifest.
	Version string
}

// Member is one file of a bundle.
type Member struct {
	Name   string                 `json:"name"`
	Size   int64                  `json:"size"`
	Kind   Kind                   `json:"kind"`
	Masked map[anonymize.Type]int `json:"masked,omitempty"`
}

// BundleResult describes a written bundle.
type BundleResult struct {
	Path       string                 `json:"path"`
	Size       int64                  `json:"size"`
	Anonymized bool                   `json:"anonymized"`
	Members    []Member               `json:"members"`
	Masked     map[anonymize.Type]int `json:"masked,omitempty"`
	LeftOut    []string               `json:"left_out,omitempty"`
}

// ManifestName is the bundle's table of contents, its first member.
const ManifestName = "MANIFEST.txt"

// Bundle limits.
const (
	maxBundleFile  = 1 << 20 // terraform/ansible files larger than this are left out
	maxFailedOps   = 20
	maxErrorRecord = 50
)

type part struct {
	name string
	kind Kind
	data []byte
}

// Bundle writes a diagnostic bundle, a .tar.gz of mode 0600, to path:
// MANIFEST.txt, state.json (a summary of the state store), config.yaml,
// health, logs/recent.log, errors.json (failed operations and error log
// records, with correlation ids) and the terraform/ and ansible/ files.
// With in.Anonymize every member and member name goes through the
// workspace's engine by its kind.
func (s *Service) Bundle(ctx context.Context, path string, in BundleInput) (BundleResult, error) {
	res := BundleResult{Path: path, Anonymized: in.Anonymize}
	var parts []part
	add := func(name string, data []byte) {
		parts = append(parts, part{name: name, kind: KindOf(name), data: data})
	}

	summary, err := s.stateSummary(ctx)
	if err != nil {
		return res, err
	}
	add("state.json", summary)

	if cfg, err := os.ReadFile(workspace.ConfigPath(s.Workspace.Root)); err == nil {
		add("config.yaml", cfg)
	} else {
		res.LeftOut = append(res.LeftOut, "config.yaml: "+errText(err))
	}

	if in.Health != nil {
		if h, err := in.Health(ctx); err != nil {
			res.LeftOut = append(res.LeftOut, "health: "+errText(err))
		} else {
			name := "health.txt"
			if json.Valid(h) {
				name = "health.json"
			}
			add(name, h)
		}
	} else {
		res.LeftOut = append(res.LeftOut, "health: not available")
	}

	logs, err := s.logs(ctx, in)
	if err != nil {
		res.LeftOut = append(res.LeftOut, "logs: "+errText(err))
	} else {
		add("logs/recent.log", logs)
	}

	errs, err := s.lastErrors(ctx, logs)
	if err != nil {
		return res, err
	}
	add("errors.json", errs)

	for _, dir := range []string{workspace.TerraformDir, workspace.AnsibleDir} {
		files, err := s.Workspace.ReadDir(dir)
		if err != nil {
			return res, fmt.Errorf("bundle: %w", err)
		}
		for _, name := range slices.Sorted(maps.Keys(files)) {
			switch {
			case strings.Contains(name, ".tfstate"):
				res.LeftOut = append(res.LeftOut, name+": terraform state holds every attribute, secrets included")
			case len(files[name]) > maxBundleFile:
				res.LeftOut = append(res.LeftOut, fmt.Sprintf("%s: larger than %d bytes", name, maxBundleFile))
			default:
				add(name, files[name])
			}
		}
	}

	var e *anonymize.Engine
	if in.Anonymize {
		if e, err = s.Engine(ctx); err != nil {
			return res, err
		}
		for i := range res.LeftOut {
			res.LeftOut[i] = e.Text(res.LeftOut[i])
		}
	}
	for i, p := range parts {
		m := Member{Name: p.name, Kind: p.kind}
		if e != nil {
			before := e.Counts()
			m.Name = anonymizeName(e, p.name)
			parts[i].data, m.Kind = Anonymize(e, p.kind, p.data)
			m.Masked = diffCounts(before, e.Counts())
			parts[i].name = m.Name
		}
		m.Size = int64(len(parts[i].data))
		res.Members = append(res.Members, m)
	}
	if e != nil {
		res.Masked = e.Counts()
	}
	now := s.now()
	manifest := []byte(Manifest(res, now, in.Version))
	if err := writeTarGz(path, now, append([]part{{name: ManifestName, data: manifest}}, parts...)); err != nil {
		return res, err
	}
	res.Members = append([]Member{{Name: ManifestName, Kind: KindText, Size: int64(len(manifest))}}, res.Members...)
	if st, err := os.Stat(path); err == nil {
		res.Size = st.Size()
	}
	return res, nil
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func (s *Service) logs(ctx context.Context, in BundleInput) ([]byte, error) {
	if in.Logs != nil {
		return in.Logs(ctx, in.Since)
	}
	return RecentLogs(s.Workspace.Root, in.Since)
}

// stateSummary is the state store as JSON: the cluster, recent syncs,
// counts, nodes, storages, networks and guests with their configs.
func (s *Service) stateSummary(ctx context.Context) ([]byte, error) {
	type counts struct {
		Nodes     int `json:"nodes"`
		Guests    int `json:"guests"`
		Storages  int `json:"storages"`
		Networks  int `json:"networks"`
		Volumes   int `json:"volumes"`
		Snapshots int `json:"snapshots"`
	}
	sum := struct {
		Available bool            `json:"available"`
		Cluster   state.Cluster   `json:"cluster"`
		SyncRuns  []state.SyncRun `json:"sync_runs"`
		Counts    counts          `json:"counts"`
		Nodes     []state.Node    `json:"nodes"`
		Storages  []state.Storage `json:"storages"`
		Networks  []state.Network `json:"networks"`
		Guests    []state.Guest   `json:"guests"`
		Note      string          `json:"note,omitempty"`
	}{}
	if s.State != nil {
		inv, err := s.State.Inventory(ctx)
		if err != nil {
			return nil, fmt.Errorf("bundle state summary: %w", err)
		}
		runs, err := s.State.SyncRuns(ctx, 10)
		if err != nil {
			return nil, fmt.Errorf("bundle state summary: %w", err)
		}
		sum.Available = true
		sum.Cluster, sum.SyncRuns = inv.Cluster, runs
		sum.Nodes, sum.Storages, sum.Networks, sum.Guests = inv.Nodes, inv.Storages, inv.Networks, inv.Guests
		sum.Counts = counts{len(inv.Nodes), len(inv.Guests), len(inv.Storages), len(inv.Networks), len(inv.Volumes), len(inv.Snapshots)}
	} else {
		sum.Note = "no state store: the workspace was never synced"
	}
	return json.MarshalIndent(sum, "", "  ")
}

// lastErrors is errors.json: the newest failed operations of the journal
// and the newest error records of the logs, each with its correlation id.
func (s *Service) lastErrors(ctx context.Context, logs []byte) ([]byte, error) {
	out := struct {
		FailedOperations []state.Operation `json:"failed_operations"`
		ErrorRecords     []json.RawMessage `json:"error_log_records"`
	}{FailedOperations: []state.Operation{}, ErrorRecords: errorRecords(logs, maxErrorRecord)}
	if out.ErrorRecords == nil {
		out.ErrorRecords = []json.RawMessage{}
	}
	if s.State != nil {
		ops, err := s.State.Operations(ctx, state.OperationFilter{Limit: 500})
		if err != nil {
			return nil, fmt.Errorf("bundle errors: %w", err)
		}
		for _, op := range ops {
			if op.Outcome == state.OutcomeFailed && len(out.FailedOperations) < maxFailedOps {
				out.FailedOperations = append(out.FailedOperations, op)
			}
		}
	}
	return json.MarshalIndent(out, "", "  ")
}

// anonymizeName masks a member's slash-separated name part by part,
// keeping extensions (terraform/web-01.tf -> terraform/host-3f9a2c.tf).
func anonymizeName(e *anonymize.Engine, name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		stem, ext := splitExt(p)
		parts[i] = e.Text(stem) + ext
	}
	return strings.Join(parts, "/")
}

func diffCounts(before, after map[anonymize.Type]int) map[anonymize.Type]int {
	d := map[anonymize.Type]int{}
	for t, n := range after {
		if n > before[t] {
			d[t] = n - before[t]
		}
	}
	return d
}

// FormatCounts renders counts as "12 ipv4, 3 host, 1 token" in the
// engine's type order; "nothing" when empty.
func FormatCounts(c map[anonymize.Type]int) string {
	var parts []string
	for _, t := range anonymize.Types() {
		if n := c[t]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, t))
		}
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}

// Manifest is the text of MANIFEST.txt.
func Manifest(r BundleResult, created time.Time, version string) string {
	var b strings.Builder
	b.WriteString("proxmox-mpc diagnostic bundle\n")
	fmt.Fprintf(&b, "created:    %s\n", created.UTC().Format(time.RFC3339))
	if version != "" {
		fmt.Fprintf(&b, "version:    %s\n", version)
	}
	if r.Anonymized {
		b.WriteString("anonymized: yes — names and addresses are consistent pseudonyms (host-3f9a2c, 240.x.y.z,\n" +
			"            domain-1a2b3c.lan); secrets are [REDACTED:type]. The same pseudonym is the same thing.\n")
		fmt.Fprintf(&b, "masked:     %s\n", FormatCounts(r.Masked))
	} else {
		b.WriteString("anonymized: NO — this bundle holds real names and addresses\n")
	}
	b.WriteString("\nmembers:\n")
	width := len(ManifestName)
	for _, m := range r.Members {
		width = max(width, len(m.Name))
	}
	for _, m := range r.Members {
		fmt.Fprintf(&b, "  %-*s  %8d bytes  %-5s", width, m.Name, m.Size, m.Kind)
		if r.Anonymized {
			fmt.Fprintf(&b, "  masked: %s", FormatCounts(m.Masked))
		}
		b.WriteString("\n")
	}
	if len(r.LeftOut) > 0 {
		b.WriteString("\nleft out:\n")
		for _, l := range r.LeftOut {
			fmt.Fprintf(&b, "  %s\n", l)
		}
	}
	return b.String()
}

func writeTarGz(path string, mtime time.Time, parts []part) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write bundle: %w", err)
	}
	return writeStream(path, func(w io.Writer) error {
		gz := gzip.NewWriter(w)
		tw := tar.NewWriter(gz)
		for _, p := range parts {
			hdr := &tar.Header{Name: p.name, Mode: 0o600, Size: int64(len(p.data)), ModTime: mtime.UTC(), Typeflag: tar.TypeReg, Format: tar.FormatPAX}
			if err := tw.WriteHeader(hdr); err != nil {
				return fmt.Errorf("write bundle: %w", err)
			}
			if _, err := tw.Write(p.data); err != nil {
				return fmt.Errorf("write bundle: %w", err)
			}
		}
		if err := tw.Close(); err != nil {
			return fmt.Errorf("write bundle: %w", err)
		}
		if err := gz.Close(); err != nil {
			return fmt.Errorf("write bundle: %w", err)
		}
		return nil
	})
}
