package guest

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/inventory"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
	"github.com/proxmox-mpc/proxmox-mpc/internal/lifecycle"
	"github.com/proxmox-mpc/proxmox-mpc/internal/lifecycle/lifecycletest"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

type env struct {
	*lifecycletest.Env
	f       *cmdutil.Factory
	ios     *iostreams.IOStreams
	in      *bytes.Buffer
	out     *bytes.Buffer
	errOut  *bytes.Buffer
	lc      func(context.Context) (*lifecycle.Service, error)
	outOpts cmdutil.OutputOptions
}

func newEnv(t *testing.T, opts lifecycletest.Options) *env {
	t.Helper()
	le := lifecycletest.New(t, opts)
	ios, in, out, errOut := iostreams.Test()
	e := &env{Env: le, ios: ios, in: in, out: out, errOut: errOut}
	e.lc = func(context.Context) (*lifecycle.Service, error) { return le.Lifecycle, nil }
	e.f = &cmdutil.Factory{
		IOStreams: ios,
		Inventory: func(context.Context) (*inventory.Service, error) { return le.Inventory, nil },
		Output:    func() cmdutil.OutputOptions { return e.outOpts },
		Now:       time.Now,
	}
	return e
}

// run executes cmd with args and returns its error.
func (e *env) run(t *testing.T, cmd *cobra.Command, args ...string) error {
	t.Helper()
	cmd.SetArgs(args)
	cmd.SetIn(e.in)
	cmd.SetOut(e.out)
	cmd.SetErr(e.errOut)
	cmd.SilenceErrors = true
	cmd.SilenceUsage = true
	_, err := cmd.ExecuteContextC(t.Context())
	return err
}

// guest reads a guest live; ok is false when it does not exist.
func (e *env) guest(t *testing.T, typ string, vmid int) (inventory.Guest, bool) {
	t.Helper()
	g, err := e.Inventory.ResolveGuest(t.Context(), typ, itoa(vmid))
	var nf *inventory.NotFoundError
	if errors.As(err, &nf) {
		return inventory.Guest{}, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return g, true
}

func (e *env) status(t *testing.T, typ string, vmid int) string {
	t.Helper()
	g, ok := e.guest(t, typ, vmid)
	if !ok {
		t.Fatalf("%s %d does not exist", typ, vmid)
	}
	return g.Status
}

func (e *env) ops(t *testing.T) []state.Operation {
	t.Helper()
	ops, err := e.Journal.Operations(t.Context(), state.OperationFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return ops
}

func itoa(n int) string { return strconv.Itoa(n) }
