// Package testrun runs a workspace's checks — built-in ones handed in by
// the caller and the external tools (OpenTofu or Terraform, Ansible) — one
// after the other, and reports each as passed, failed or skipped with the
// reason. It never prints: results are returned and streamed to a callback.
package testrun

import (
	"context"
	"time"
)

// Status is the outcome of one check.
type Status string

// Statuses.
const (
	StatusPassed  Status = "passed"
	StatusFailed  Status = "failed"
	StatusSkipped Status = "skipped"
)

// Result is what one check found.
type Result struct {
	Name   string
	Status Status
	// Detail says why a check was skipped, or what failed (the first
	// lines of the tool's output). Empty for a plain pass.
	Detail   string
	Duration time.Duration
}

// Check is one named check.
type Check struct {
	Name string
	Run  func(ctx context.Context) Result
}

// Run runs checks in order and returns one result per check, calling
// progress (when not nil) as each finishes. Once ctx is cancelled the
// remaining checks are not started and report skipped, "cancelled". A
// result's Name defaults to the check's, its Duration to the measured one.
func Run(ctx context.Context, checks []Check, progress func(Result)) []Result {
	results := make([]Result, 0, len(checks))
	for _, c := range checks {
		var r Result
		if ctx.Err() != nil || c.Run == nil {
			r = Result{Name: c.Name, Status: StatusSkipped, Detail: "cancelled"}
			if c.Run == nil && ctx.Err() == nil {
				r.Detail = "nothing to run"
			}
		} else {
			start := time.Now()
			r = c.Run(ctx)
			if r.Duration == 0 {
				r.Duration = time.Since(start)
			}
		}
		if r.Name == "" {
			r.Name = c.Name
		}
		if r.Status == "" {
			r.Status, r.Detail = StatusFailed, "check returned no status"
		}
		results = append(results, r)
		if progress != nil {
			progress(r)
		}
	}
	return results
}

// Summary counts results by status.
type Summary struct {
	Passed, Failed, Skipped int
}

// Summarize counts results.
func Summarize(results []Result) Summary {
	var s Summary
	for _, r := range results {
		switch r.Status {
		case StatusPassed:
			s.Passed++
		case StatusSkipped:
			s.Skipped++
		default:
			s.Failed++
		}
	}
	return s
}
