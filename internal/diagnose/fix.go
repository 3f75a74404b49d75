package diagnose

import (
	"strings"
)

// Fix is one thing a user can do about a failure: what to do, in words,
// and at most one command that runs when pasted as it stands.
type Fix struct {
	Text    string `json:"text"`
	Command string `json:"command,omitempty"`
}

// Words splits the command at its spaces, so that the page can keep each
// word whole when it wraps a long command on a narrow screen.
func (f Fix) Words() []string { return strings.Fields(f.Command) }

// cmd joins words into one shell command. Each word is shell-quoted unless
// it is a literal piece of shell syntax, marked with raw.
func cmd(words ...any) string {
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		switch w := w.(type) {
		case raw:
			b.WriteString(string(w))
		case string:
			b.WriteString(shellQuote(w))
		}
	}
	return b.String()
}

// raw is shell text that cmd writes as it is, such as a command
// substitution the app wrote itself.
type raw string

// shellQuote returns s as one shell word: bare when it holds only
// characters no shell treats specially (and does not start with =, which
// zsh expands to a command's path: =ls is /usr/bin/ls); in double quotes when it holds
// single quotes (a JMESPath literal) and nothing double quotes expand;
// else in single quotes.
func shellQuote(s string) string {
	switch {
	case s != "" && s[0] != '=' && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@%+=,") == "":
		return s
	case strings.Contains(s, "'") && !strings.ContainsAny(s, "\"$`\\!"):
		return `"` + s + `"`
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// assign is the shell word NAME=value, with only the value quoted.
func assign(name, value string) raw { return raw(name + "=" + shellQuote(value)) }

// placeholder names a value the app cannot know, such as <resource-group>.
// It is quoted like any other word, so that a pasted command fails on the
// visible placeholder rather than on shell redirection.
func placeholder(name string) string { return "<" + name + ">" }
