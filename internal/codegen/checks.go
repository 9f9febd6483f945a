package codegen

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/proxmox-mpc/proxmox-mpc/internal/iac/terraform"
	"github.com/proxmox-mpc/proxmox-mpc/internal/testrun"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

// Checks are the built-in checks of `proxmox-mpc test`: they need no
// external tool.
func Checks(ws *workspace.Workspace) []testrun.Check {
	return []testrun.Check{
		{Name: "terraform reads back", Run: func(context.Context) testrun.Result {
			files, err := ws.ReadDir(workspace.TerraformDir, ".tf")
			if err != nil {
				return failed(err.Error())
			}
			if len(files) == 0 {
				return skipped("terraform/ has no .tf files: run `proxmox-mpc sync` or `proxmox-mpc generate`")
			}
			code, err := terraform.Read(files)
			if err != nil {
				return failed(errorLines(err))
			}
			detail := fmt.Sprintf("%d guests, %d import blocks", len(code.Guests), len(code.Imports))
			if len(code.Warnings) > 0 {
				detail += fmt.Sprintf("; %d warnings, first: %s", len(code.Warnings), code.Warnings[0])
			}
			return testrun.Result{Status: testrun.StatusPassed, Detail: detail}
		}},
		{Name: "provider schema (bpg/proxmox)", Run: func(context.Context) testrun.Result {
			files, err := ws.ReadDir(workspace.TerraformDir, ".tf")
			if err != nil {
				return failed(err.Error())
			}
			if len(files) == 0 {
				return skipped("terraform/ has no .tf files")
			}
			if errs := terraform.CheckSchema(files); len(errs) > 0 {
				return failed(errorLines(terraform.Errors(errs)))
			}
			return testrun.Result{Status: testrun.StatusPassed}
		}},
		{Name: "ansible inventory reads back", Run: func(context.Context) testrun.Result {
			data, ok, err := ws.ReadFile(workspace.AnsibleDir + "/inventory.yml")
			switch {
			case err != nil:
				return failed(err.Error())
			case !ok:
				return skipped("ansible/inventory.yml does not exist: run `proxmox-mpc sync` or `proxmox-mpc generate`")
			}
			var inv struct {
				All struct {
					Hosts map[string]map[string]any `yaml:"hosts"`
				} `yaml:"all"`
			}
			if err := yaml.Unmarshal(data, &inv); err != nil {
				return failed("ansible/inventory.yml: " + err.Error())
			}
			var noVMID []string
			for h, vars := range inv.All.Hosts {
				if _, ok := vars["proxmox_vmid"]; !ok {
					noVMID = append(noVMID, h)
				}
			}
			if len(noVMID) > 0 {
				return failed(fmt.Sprintf("hosts without proxmox_vmid: %s", strings.Join(noVMID, ", ")))
			}
			return testrun.Result{Status: testrun.StatusPassed, Detail: fmt.Sprintf("%d hosts", len(inv.All.Hosts))}
		}},
	}
}

func failed(detail string) testrun.Result {
	return testrun.Result{Status: testrun.StatusFailed, Detail: detail}
}

func skipped(reason string) testrun.Result {
	return testrun.Result{Status: testrun.StatusSkipped, Detail: reason}
}

// errorLines renders Read/CheckSchema errors one per line (at most 10).
func errorLines(err error) string {
	var es terraform.Errors
	if !errors.As(err, &es) {
		return err.Error()
	}
	lines := make([]string, 0, min(len(es), 10)+1)
	for i, e := range es {
		if i == 10 {
			lines = append(lines, fmt.Sprintf("… and %d more", len(es)-10))
			break
		}
		lines = append(lines, e.Error())
	}
	return strings.Join(lines, "\n")
}
