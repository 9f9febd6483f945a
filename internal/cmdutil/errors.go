// Package cmdutil holds helpers shared by the command packages: usage and
// exit-code errors, the -o/--jq output machinery (tables, JSON, YAML, jq),
// did-you-mean suggestions and human-readable formatting of sizes,
// durations and times.
package cmdutil

import (
	"errors"
	"fmt"
)

// FlagError is a usage error: bad flags or arguments. app prints it with
// the command's usage hint and exits with code 2.
type FlagError struct {
	Err error
}

var _ error = (*FlagError)(nil)

// Error returns the wrapped error's message.
func (e *FlagError) Error() string {
	if e == nil || e.Err == nil {
		return "invalid usage"
	}
	return e.Err.Error()
}

// Unwrap returns the wrapped error.
func (e *FlagError) Unwrap() error {
	if e == nil {
		return nil
	}
	return e.Err
}

// FlagErrorf returns a *FlagError formatted like fmt.Errorf (so %w works).
func FlagErrorf(format string, a ...any) error {
	return &FlagError{Err: fmt.Errorf(format, a...)}
}

// FlagErrorWrap wraps err as a usage error; nil stays nil.
func FlagErrorWrap(err error) error {
	if err == nil {
		return nil
	}
	return &FlagError{Err: err}
}

// ErrSilent means the command already told the user what went wrong; app
// exits with code 1 without printing anything more.
var ErrSilent = errors.New("silent")

// ErrCancel means the user declined a confirmation or pressed Ctrl-C at a
// prompt; app exits quietly with code 1 (130 when interrupted by a signal
// is decided by app).
var ErrCancel = errors.New("cancelled")

// CancelError reports a cancelled operation with a message to show.
type CancelError struct {
	Reason string
}

var _ error = (*CancelError)(nil)

// Error returns the reason, or "cancelled".
func (e *CancelError) Error() string {
	if e == nil || e.Reason == "" {
		return "cancelled"
	}
	return e.Reason
}

// Is makes errors.Is(err, ErrCancel) true for a *CancelError.
func (e *CancelError) Is(target error) bool { return target == ErrCancel }

// ExitError asks app to exit with Code after reporting Err (when Err is
// nil, nothing is printed). Usage errors should be FlagError instead.
type ExitError struct {
	Code int
	Err  error
}

var _ error = (*ExitError)(nil)

// Error returns the wrapped error's message.
func (e *ExitError) Error() string {
	if e == nil || e.Err == nil {
		return fmt.Sprintf("exit status %d", e.exitCode())
	}
	return e.Err.Error()
}

// Unwrap returns the wrapped error.
func (e *ExitError) Unwrap() error {
	if e == nil {
		return nil
	}
	return e.Err
}

func (e *ExitError) exitCode() int {
	if e == nil {
		return 0
	}
	return e.Code
}

// ExitCode maps an error returned by a command to a process exit code:
// nil 0; *ExitError its Code; *FlagError 2; anything else (including
// ErrSilent and cancellation) 1. The outermost ExitError wins.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *ExitError
	if errors.As(err, &ee) && ee != nil {
		return ee.Code
	}
	var fe *FlagError
	if errors.As(err, &fe) {
		return 2
	}
	return 1
}
