package workspacecmd

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
)

// prompter asks questions on out and reads one line per answer from in.
type prompter struct {
	in  *bufio.Reader
	out io.Writer
}

func newPrompter(in io.Reader, out io.Writer) *prompter {
	return &prompter{in: bufio.NewReader(in), out: out}
}

// maxTries bounds how often an invalid answer is asked again.
const maxTries = 3

func (p *prompter) line() (string, error) {
	s, err := p.in.ReadString('\n')
	if err != nil && (!errors.Is(err, io.EOF) || s == "") {
		if errors.Is(err, io.EOF) {
			return "", &cmdutil.CancelError{Reason: "init cancelled: no answer (end of input)"}
		}
		return "", fmt.Errorf("read answer: %w", err)
	}
	return strings.TrimSpace(s), nil
}

// input asks for a value; Enter gives def.
func (p *prompter) input(question, def string) (string, error) {
	if def != "" {
		fmt.Fprintf(p.out, "? %s [%s]: ", question, def)
	} else {
		fmt.Fprintf(p.out, "? %s: ", question)
	}
	s, err := p.line()
	if err != nil {
		return "", err
	}
	if s == "" {
		return def, nil
	}
	return s, nil
}

// confirm asks a yes/no question; only y or yes is yes.
func (p *prompter) confirm(question string) (bool, error) {
	fmt.Fprintf(p.out, "? %s [y/N]: ", question)
	s, err := p.line()
	if err != nil {
		return false, err
	}
	switch strings.ToLower(s) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

// choose offers numbered options; Enter takes the first, a number or an
// option's name picks it.
func (p *prompter) choose(question string, options []string) (string, error) {
	fmt.Fprintf(p.out, "? %s\n", question)
	for i, o := range options {
		fmt.Fprintf(p.out, "  %d) %s\n", i+1, o)
	}
	for range maxTries {
		fmt.Fprintf(p.out, "  choose 1-%d [1]: ", len(options))
		s, err := p.line()
		if err != nil {
			return "", err
		}
		if s == "" {
			return options[0], nil
		}
		if n, err := strconv.Atoi(s); err == nil && n >= 1 && n <= len(options) {
			return options[n-1], nil
		}
		for _, o := range options {
			if strings.EqualFold(o, s) {
				return o, nil
			}
		}
		fmt.Fprintf(p.out, "  %q is not one of the choices\n", s)
	}
	return "", &cmdutil.CancelError{Reason: "init cancelled: no valid choice for " + question}
}
