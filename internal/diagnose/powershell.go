package diagnose

import (
	"strings"
)

// The app builds each command once, for a POSIX shell (cmd), and where
// the reader pastes into PowerShell (the app runs on Windows), rewrites it
// word by word: cmd writes few forms (bare words, '…' with '\'' for a
// quote, "…" with no expansion, $(…), NAME=value), so reading them back
// is exact. PowerShell's own rules: about_Quoting_Rules,
// about_Parsing (argument mode), about_Environment_Variables.

// part is a piece of a word: literal text, or a command substitution.
type part struct {
	text string
	sub  [][]part // the substituted command's words; nil for text
}

// posixWords reads a command that cmd wrote into its words.
func posixWords(s string) (words [][]part, rest string) {
	var word []part
	var text strings.Builder
	quoted := false // an empty '' is a word too
	flush := func() {
		if text.Len() > 0 || quoted && word == nil {
			word = append(word, part{text: text.String()})
			text.Reset()
		}
		quoted = false
	}
	endWord := func() {
		flush()
		if word != nil {
			words = append(words, word)
			word = nil
		}
	}
	substitute := func() { // s starts with $(
		flush()
		var sub [][]part
		sub, s = posixWords(s[2:])
		word = append(word, part{sub: sub})
	}
	for s != "" {
		switch c := s[0]; {
		case c == ' ' || c == ')':
			endWord()
			if c == ')' {
				return words, s[1:]
			}
			s = s[1:]
		case c == '\'':
			quoted = true
			end := strings.IndexByte(s[1:], '\'')
			text.WriteString(s[1 : 1+end])
			s = s[2+end:]
		case c == '\\' && len(s) > 1:
			text.WriteByte(s[1])
			s = s[2:]
		case c == '"':
			quoted = true
			s = s[1:]
			for s != "" && s[0] != '"' {
				if strings.HasPrefix(s, "$(") {
					substitute()
					continue
				}
				text.WriteByte(s[0])
				s = s[1:]
			}
			s = strings.TrimPrefix(s, `"`)
		case strings.HasPrefix(s, "$("):
			substitute()
		default:
			text.WriteByte(c)
			s = s[1:]
		}
	}
	endWord()
	return words, ""
}

// powerShell is the command cmd wrote for a POSIX shell, as PowerShell
// reads it: export and unset become $env: and Remove-Item Env:, curl is
// curl.exe (in Windows PowerShell, curl names Invoke-WebRequest) and
// /dev/null is NUL.
func powerShell(posix string) string {
	if posix == "" {
		return ""
	}
	words, _ := posixWords(posix)
	return psCommand(words)
}

func psCommand(words [][]part) string {
	name := literal(words[0])
	switch {
	case name == "export" && len(words) == 2:
		// An assignment's value is an expression, where a bare word would
		// be a command or a number: always quoted.
		variable, value, _ := strings.Cut(literal(words[1][:1]), "=")
		return "$env:" + variable + " = " + psQuoted(append([]part{{text: value}}, words[1][1:]...))
	case name == "unset" && len(words) == 2:
		return "Remove-Item Env:" + literal(words[1])
	case name == "curl":
		words[0] = []part{{text: "curl.exe"}}
	}
	out := make([]string, len(words))
	for i, w := range words {
		if literal(w) == "/dev/null" {
			w = []part{{text: "NUL"}}
		}
		out[i] = psWord(w)
	}
	return strings.Join(out, " ")
}

// literal is a word's text, when it has no substitution.
func literal(w []part) string {
	var b strings.Builder
	for _, p := range w {
		b.WriteString(p.text)
	}
	return b.String()
}

// psWord writes one word for PowerShell's argument mode: bare when
// PowerShell reads none of its characters as syntax, '…' (with ” for a
// quote) when it is all text, "…" when it holds a substitution, $(…),
// with ` before each character a double-quoted string would expand.
func psWord(w []part) string {
	if len(w) == 1 && w[0].sub != nil {
		return "$(" + psCommand(w[0].sub) + ")"
	}
	if s := literal(w); len(w) == 1 && psBare(s) {
		return s
	}
	return psQuoted(w)
}

// psQuoted is w in quotes: single when it is all text, with each single
// quote doubled (PowerShell counts ‘ ’ ‚ ‛ as single quotes too), else
// double.
func psQuoted(w []part) string {
	hasSub := false
	for _, p := range w {
		hasSub = hasSub || p.sub != nil
	}
	if !hasSub {
		var b strings.Builder
		b.WriteByte('\'')
		for _, r := range literal(w) {
			if strings.ContainsRune("'\u2018\u2019\u201a\u201b", r) {
				b.WriteRune(r)
			}
			b.WriteRune(r)
		}
		b.WriteByte('\'')
		return b.String()
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, p := range w {
		if p.sub != nil {
			b.WriteString("$(" + psCommand(p.sub) + ")")
			continue
		}
		for _, r := range p.text {
			if strings.ContainsRune("`$\"\u201c\u201d\u201e", r) {
				b.WriteByte('`')
			}
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// psBare: letters, digits and -_./:=+ only, starting with a letter, / or
// -- or - and a letter. A word that starts with a digit may be a number
// to PowerShell (30s is the short 30, 1kb is 1024: about_Numeric_Literals).
func psBare(s string) bool {
	if s == "" || strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=+") != "" {
		return false
	}
	letter := func(i int) bool { return i < len(s) && (s[i]|0x20 >= 'a' && s[i]|0x20 <= 'z') }
	return letter(0) || s[0] == '/' || strings.HasPrefix(s, "--") && letter(2) || s[0] == '-' && letter(1)
}
