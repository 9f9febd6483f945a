//go:build unix

package console

import (
	"os"
	"syscall"
)

// resizeSignals are the signals that mean the terminal changed size.
func resizeSignals() []os.Signal { return []os.Signal{syscall.SIGWINCH} }
