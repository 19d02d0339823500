// Package textlimit counts and cuts text the way chat platforms count it.
//
// Slack and Discord state their size limits in characters and count them as
// JavaScript does, in UTF-16 code units: a character outside the Basic
// Multilingual Plane (most emoji) counts twice. Width counts the same way,
// and Cut shortens text to a width on a rune boundary, ending in "…", so
// that a cut text always fits. The package imports nothing of talkbot: the
// core and every adapter may use it.
package textlimit

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Ellipsis ends every cut text. It is one character wide.
const Ellipsis = "…"

// runeWidth is the number of UTF-16 code units of r. An invalid byte, which
// ranging over a string reports as utf8.RuneError, counts as the one
// replacement character that JSON encoding turns it into.
func runeWidth(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

// Width returns the length of s in UTF-16 code units. It is never more than
// len(s), so a string of at most n bytes is at most n wide.
func Width(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

// Fits reports whether s is at most n wide. It counts no further than n+1,
// and not at all when the byte length already says so.
func Fits(s string, n int) bool {
	if len(s) <= n {
		return true
	}
	w := 0
	for _, r := range s {
		if w += runeWidth(r); w > n {
			return false
		}
	}
	return true
}

// Cut returns s when it is at most n wide. Otherwise it returns the longest
// prefix of s that fits in n-1, cut on a rune boundary and without trailing
// white space, followed by Ellipsis. For n <= 0 it returns "" unless s is
// empty. Invalid UTF-8 is cut between the bytes that make it invalid.
func Cut(s string, n int) string { return CutTidy(s, n, nil) }

// CutTidy is Cut that hands the kept prefix to tidy before Ellipsis is
// added, so that a caller can drop the start of an escape sequence that the
// cut broke (half an HTML entity, a dangling backslash). tidy must return a
// prefix of its argument; nil means none.
func CutTidy(s string, n int, tidy func(prefix string) string) string {
	if Fits(s, n) {
		return s
	}
	if n <= 0 {
		return ""
	}
	p := Prefix(s, n-1) // keep room for the ellipsis
	p = strings.TrimRight(p, " \t\n")
	if tidy != nil {
		p = strings.TrimRight(tidy(p), " \t\n")
	}
	return p + Ellipsis
}

// Prefix returns the longest prefix of s that is at most n wide, ending on a
// rune boundary (between bytes, for invalid UTF-8).
func Prefix(s string, n int) string {
	if len(s) <= n {
		return s
	}
	w := 0
	for i, r := range s {
		rw := runeWidth(r)
		if w+rw > n {
			return s[:i]
		}
		w += rw
	}
	return s
}

// CutLines is Cut that prefers to end at a line break in the second half of
// the kept text, so that a list line is not broken midway; the ellipsis
// then stands on a line of its own.
func CutLines(s string, n int, tidy func(prefix string) string) string {
	c := CutTidy(s, n, tidy)
	if c == s || c == "" {
		return c
	}
	c = strings.TrimSuffix(c, Ellipsis)
	if i := strings.LastIndexByte(c, '\n'); i > len(c)/2 && n >= 2 {
		return strings.TrimRight(c[:i], " \t\n") + "\n" + Ellipsis
	}
	return c + Ellipsis
}

// ValidUTF8 returns s with each run of invalid bytes replaced by U+FFFD,
// as JSON encoding would; s itself when it is valid.
func ValidUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// Line makes user text one clean line: invalid UTF-8 becomes U+FFFD,
// control characters, zero-width spaces and line or paragraph separators
// become spaces, runs of white space collapse to one, and the ends are
// trimmed.
func Line(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u200b' || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	return strings.Join(strings.Fields(s), " ")
}
