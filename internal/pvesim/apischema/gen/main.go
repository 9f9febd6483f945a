// Command gen writes the compact PVE API schema embedded by package apischema.
//
//	go run ./gen -in ../../../../shared/pve-api/apidoc.json -out schema.json
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim/apischema"
)

func main() {
	in := flag.String("in", "../../../../shared/pve-api/apidoc.json", "official PVE apidoc.json to read")
	out := flag.String("out", "schema.json", "compact schema to write")
	flag.Parse()
	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	apidoc, err := os.ReadFile(in)
	if err != nil {
		return fmt.Errorf("read apidoc: %w", err)
	}
	subset, err := apischema.Subset(apidoc)
	if err != nil {
		return fmt.Errorf("build subset of %s: %w", in, err)
	}
	// Write to a temporary file and rename, so a failed run never leaves a
	// half-written schema behind.
	tmp, err := os.CreateTemp(filepath.Dir(out), ".schema-*.json")
	if err != nil {
		return fmt.Errorf("create temp file: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // gone after the rename; removes a failed write
	if _, err := tmp.Write(subset); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp.Name(), err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil { //nolint:gosec // G302: a source file of the repository, readable like the others
		return fmt.Errorf("chmod %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("rename to %s: %w", out, err)
	}
	return nil
}
