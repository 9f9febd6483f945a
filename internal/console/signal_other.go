//go:build !unix

package console

import "os"

// resizeSignals is empty where there is no SIGWINCH.
func resizeSignals() []os.Signal { return nil }
