package anonymize

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
)

// maxLine bounds the memory Stream holds: a longer line is cut at its last
// blank (or, without one, anywhere) and anonymized in pieces.
const maxLine = 1 << 20

// Stream anonymizes src to dst line by line, in bounded memory. Private key
// blocks that span lines are masked whole.
func (e *Engine) Stream(dst io.Writer, src io.Reader) error {
	br := bufio.NewReaderSize(src, 64<<10)
	bw := bufio.NewWriterSize(dst, 64<<10)
	var pending []byte
	inKey := false
	for {
		chunk, err := br.ReadSlice('\n')
		pending = append(pending, chunk...)
		full := len(pending) > 0 && pending[len(pending)-1] == '\n'
		switch {
		case err == bufio.ErrBufferFull && len(pending) < maxLine:
			continue
		case err == bufio.ErrBufferFull:
			cut := bytes.LastIndexAny(pending, " \t")
			if cut <= 0 {
				cut = len(pending)
			}
			rest := append([]byte(nil), pending[cut:]...)
			inKey = e.streamLine(bw, pending[:cut], false, inKey)
			pending = append(pending[:0], rest...)
			continue
		case err != nil && err != io.EOF:
			return fmt.Errorf("anonymize stream: %w", err)
		}
		if len(pending) > 0 {
			line := pending
			if full {
				line = line[:len(line)-1]
			}
			inKey = e.streamLine(bw, line, full, inKey)
		}
		pending = pending[:0]
		if err == io.EOF {
			break
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("anonymize stream: %w", err)
	}
	return nil
}

// streamLine writes one anonymized line and returns whether a private key
// block is still open after it.
func (e *Engine) streamLine(w *bufio.Writer, line []byte, nl, inKey bool) bool {
	s := string(line)
	if inKey {
		i := bytes.Index(line, []byte("-----END "))
		if i < 0 {
			return true // the key's body: dropped
		}
		j := bytes.Index(line[i+9:], []byte("-----"))
		if j < 0 {
			return true
		}
		s = s[i+9+j+5:]
		inKey = false
	} else if i := bytes.Index(line, []byte("-----BEGIN ")); i >= 0 && bytes.Contains(line[i:], []byte("PRIVATE KEY-----")) &&
		!bytes.Contains(line[i:], []byte("-----END ")) && e.on(TypeSSHKey) {
		inKey = true
	}
	_, _ = w.WriteString(e.Text(s))
	if nl {
		_ = w.WriteByte('\n')
	}
	return inKey
}
