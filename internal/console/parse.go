package console

import (
	"fmt"
	"slices"
	"strings"

	"github.com/google/shlex"

	"github.com/proxmox-mpc/proxmox-mpc/internal/diag"
)

// actionKind is what a console line asks for.
type actionKind int

const (
	actSkip    actionKind = iota // blank line or comment
	actExec                      // run args through the Executor
	actExit                      // /exit, /quit
	actHistory                   // /history
	actClear                     // /clear
	actMessage                   // print msg (one line) to stderr; the line failed
)

// action is a parsed console line.
type action struct {
	kind        actionKind
	args        []string
	msg         string
	consoleHelp bool // bare /help: also list the console's own verbs
}

// Console verbs handled here, not by the command tree.
const (
	verbExit    = "exit"
	verbQuit    = "quit"
	verbHistory = "history"
	verbClear   = "clear"
)

// mappedSlashVerbs are the slash commands that run the command of the same
// name; a slash before any other known command works too.
func mappedSlashVerbs() []string { return []string{"init", "sync", "status", "help", "context"} }

// builtinSlashVerbs are the slash commands the console itself handles.
func builtinSlashVerbs() []string { return []string{verbExit, verbQuit, verbHistory, verbClear} }

// noNL is the answer to free text.
const noNL = "natural-language requests are not available yet; type /help or `help` to see the commands"

// parse turns a console line into an action.
func (s *session) parse(line string) action {
	trimmed := strings.TrimSpace(line)
	if trimmed == "" || strings.HasPrefix(trimmed, "#") {
		return action{kind: actSkip}
	}
	args, err := shlex.Split(trimmed)
	if err != nil {
		return action{kind: actMessage, msg: fmt.Sprintf("cannot split the line into words: %v — close the quote or escape it with \\", err)}
	}
	if len(args) == 0 {
		return action{kind: actSkip}
	}
	first := args[0]
	if verb, ok := strings.CutPrefix(first, "/"); ok {
		return s.parseSlash(verb, args[1:])
	}
	switch {
	case first == verbExit || first == verbQuit:
		if len(args) == 1 {
			return action{kind: actExit}
		}
	case strings.HasPrefix(first, "-"), s.isCommand(first):
		return action{kind: actExec, args: args, consoleHelp: first == "help" && len(args) == 1}
	}
	return s.unknown(first, args, trimmed)
}

func (s *session) parseSlash(verb string, rest []string) action {
	switch verb {
	case verbExit, verbQuit:
		return action{kind: actExit}
	case verbHistory:
		return action{kind: actHistory}
	case verbClear:
		return action{kind: actClear}
	}
	if verb != "" && s.isCommand(verb) {
		args := append([]string{verb}, rest...)
		return action{kind: actExec, args: args, consoleHelp: verb == "help" && len(rest) == 0}
	}
	var cands []string
	for _, c := range s.slashNames() {
		cands = append(cands, "/"+c)
	}
	name := "/" + verb
	if sug := diag.Suggest(name, cands); len(sug) > 0 {
		return action{kind: actMessage, msg: fmt.Sprintf("unknown command %q — did you mean %s?", name, diag.OrList(sug))}
	}
	return action{kind: actMessage, msg: fmt.Sprintf("unknown command %q — type /help or `help` to see the commands", name)}
}

// unknown answers a line whose first word is not a command: did-you-mean
// for a typo, a plain "not available yet" for free text.
func (s *session) unknown(first string, args []string, line string) action {
	if looksLikeFreeText(args, line) {
		return action{kind: actMessage, msg: noNL}
	}
	cands := append(slices.Clone(s.commands()), mappedSlashVerbs()...)
	if sug := diag.Suggest(first, cands); len(sug) > 0 {
		return action{kind: actMessage, msg: fmt.Sprintf("unknown command %q — did you mean %s?", first, diag.OrList(sug))}
	}
	if len(args) > 1 {
		return action{kind: actMessage, msg: noNL}
	}
	return action{kind: actMessage, msg: fmt.Sprintf("unknown command %q — type /help or `help` to see the commands", first)}
}

// slashNames are the names that may follow a slash.
func (s *session) slashNames() []string {
	names := append(builtinSlashVerbs(), mappedSlashVerbs()...)
	for _, c := range s.commands() {
		if !slices.Contains(names, c) {
			names = append(names, c)
		}
	}
	return names
}

// isCommand reports whether name runs through the command tree: one of
// Commands(), or a slash verb's command typed without the slash (cobra adds
// its help command only when it executes, so Commands may lack it).
func (s *session) isCommand(name string) bool {
	return slices.Contains(s.commands(), name) || slices.Contains(mappedSlashVerbs(), name)
}

// looksLikeFreeText reports whether a line whose first word is not a
// command reads as a sentence rather than a mistyped command: a question,
// or words people write but command lines do not have.
func looksLikeFreeText(args []string, line string) bool {
	if strings.HasSuffix(line, "?") {
		return true
	}
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			return false // flags: a command line with a typo
		}
	}
	for _, a := range args {
		w := strings.ToLower(strings.Trim(a, ".,!?;:'\""))
		if isFillerWord(w) {
			return true
		}
	}
	return false
}

func isFillerWord(w string) bool {
	switch w {
	case "a", "an", "the", "all", "my", "me", "i", "you", "please", "can", "could", "would",
		"what", "which", "who", "how", "why", "when", "where", "is", "are", "do", "does",
		"of", "to", "for", "on", "in", "with", "and", "that", "this", "it", "there", "every", "some":
		return true
	}
	return false
}
