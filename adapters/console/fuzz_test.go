package console

import (
	"bytes"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/bottest"
)

// FuzzConsoleRender renders a reply made of the fuzzer's text for the
// terminal, with the command-line and the prompt hints, and checks that it
// never panics and writes only valid UTF-8 without control characters
// other than newline and tab.
func FuzzConsoleRender(f *testing.F) {
	f.Add("sharding", "샤딩 😀", "https://example.com/", 3)
	f.Add("\x1b[31mred\x1b[0m", "line\rover", "javascript:alert(1)", 7)
	f.Add("a\xff\xfe", "\x00\x07\u2028", "", 299)
	b := newBot(f)
	repl := func(a bot.Action) string { return replHint(b, a) }
	f.Fuzz(func(t *testing.T, text, more, url string, n int) {
		rep := bottest.FuzzReply(text, more, url, n)
		for _, hint := range []Hint{nil, CLIHint(b), repl} {
			var out bytes.Buffer
			if err := Render(&out, rep, hint); err != nil {
				t.Fatal(err)
			}
			s := out.String()
			if !utf8.ValidString(s) {
				t.Fatalf("output is not valid UTF-8: %q", s[:min(len(s), 200)])
			}
			if i := strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }); i >= 0 {
				t.Fatalf("output has a control character: %q", s[max(0, i-20):min(len(s), i+20)])
			}
		}
	})
}
