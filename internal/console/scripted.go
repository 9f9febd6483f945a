package console

import (
	"bufio"
	"context"
	"fmt"
	"strings"

	"github.com/proxmox-mpc/proxmox-mpc/internal/observe"
)

// maxLineBytes bounds one input line (and one history entry).
const maxLineBytes = 1 << 20

// runScripted reads commands line by line from a pipe or file: no prompt,
// no welcome, no history written. It stops at /exit or end of input and
// returns 0 when every line succeeded, else 1 (130 when ctx is done).
func (s *session) runScripted(ctx context.Context) int {
	h, err := loadHistory(s.opts.HistoryFile)
	if err != nil {
		s.log.Warn("console history", observe.KeyErr, err)
	}
	s.hist = h
	sc := bufio.NewScanner(s.in)
	sc.Buffer(make([]byte, 0, 64*1024), maxLineBytes)
	failed := false
	for sc.Scan() {
		if ctx.Err() != nil {
			return exitInterrupted
		}
		code, stop := s.handle(ctx, strings.TrimSuffix(sc.Text(), "\r"))
		if code != exitOK {
			failed = true
		}
		if stop {
			break
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(s.errOut, "read commands: %v\n", err)
		return exitError
	}
	if ctx.Err() != nil {
		return exitInterrupted
	}
	if failed {
		return exitError
	}
	return exitOK
}
