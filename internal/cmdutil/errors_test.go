package cmdutil

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"
)

func TestFlagErrorf(t *testing.T) {
	t.Parallel()
	err := FlagErrorf("unknown format %q: %w", "xml", fs.ErrInvalid)
	var fe *FlagError
	if !errors.As(err, &fe) {
		t.Fatalf("FlagErrorf returned %T, want *FlagError", err)
	}
	if got, want := err.Error(), `unknown format "xml": invalid argument`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, fs.ErrInvalid) {
		t.Error("FlagErrorf must keep the %w chain")
	}
}

func TestFlagErrorWrap(t *testing.T) {
	t.Parallel()
	if FlagErrorWrap(nil) != nil {
		t.Error("FlagErrorWrap(nil) must be nil")
	}
	base := errors.New("bad")
	err := FlagErrorWrap(base)
	var fe *FlagError
	if !errors.As(err, &fe) || fe.Err != base {
		t.Errorf("FlagErrorWrap = %#v", err)
	}
}

func TestExitCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, 0},
		{"plain", errors.New("x"), 1},
		{"silent", ErrSilent, 1},
		{"cancel", &CancelError{}, 1},
		{"flag", FlagErrorf("bad"), 2},
		{"wrapped flag", fmt.Errorf("get: %w", FlagErrorf("bad")), 2},
		{"exit error", &ExitError{Code: 4, Err: errors.New("auth")}, 4},
		{"exit error wrapping flag", &ExitError{Code: 3, Err: FlagErrorf("x")}, 3},
		{"wrapped exit error", fmt.Errorf("plan: %w", &ExitError{Code: 2}), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := ExitCode(tt.err); got != tt.want {
				t.Errorf("ExitCode(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

func TestErrorMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"empty flag error", &FlagError{}, "invalid usage"},
		{"exit error no err", &ExitError{Code: 2}, "exit status 2"},
		{"exit error with err", &ExitError{Code: 2, Err: errors.New("changes present")}, "changes present"},
		{"cancel default", &CancelError{}, "cancelled"},
		{"cancel reason", &CancelError{Reason: "delete vm web-01 cancelled"}, "delete vm web-01 cancelled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
	if !errors.Is(fmt.Errorf("x: %w", &CancelError{}), ErrCancel) {
		t.Error("CancelError must match ErrCancel")
	}
	ee := &ExitError{Code: 1, Err: ErrSilent}
	if !errors.Is(ee, ErrSilent) {
		t.Error("ExitError must unwrap")
	}
}
