package discord

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/talkbot/talkbot/bot/bottest"
)

// FuzzDiscordRender renders a reply made of the fuzzer's text and checks
// that it never panics, stays within Discord's limits (title 256,
// description 4,096, 25 fields, field name 256 and value 1,024, footer
// 2,048, 6,000 characters an embed; button labels 80, custom ids 100, five
// rows of five), holds only valid UTF-8, and that no text can mention
// anyone: no bare @everyone or @here, and every "<" that could start a
// user, role or channel mention is escaped.
func FuzzDiscordRender(f *testing.F) {
	for _, m := range bottest.Mentions() {
		f.Add(m, "**a** _b_ `c` [x](https://evil) "+m, "https://example.com/(a)", 3)
	}
	f.Add("샤딩 😀", strings.Repeat("카프카\n", 2000), "https://example.com/a b", 60)
	f.Add("a\xff\xfe\\", "> quote\n# heading\n-# small", "javascript:alert(1)", 299)
	f.Fuzz(func(t *testing.T, text, more, url string, n int) {
		const content = "Shared by <@123>"
		body := mustJSON(render(bottest.FuzzReply(text, more, url, n), renderOpts{content: content, marker: "ref 0123"}))
		// encoding/json writes invalid UTF-8 as \ufffd: none may reach it.
		if i := strings.Index(string(body), `\ufffd`); i >= 0 {
			t.Fatalf("invalid UTF-8 reached the JSON encoder: …%s…", body[max(0, i-80):i+6])
		}
		checkLimits(t, body)
		var m wireMessage
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatal(err)
		}
		if m.Content != content {
			t.Errorf("content: got %q, want %q", m.Content, content)
		}
		// Footers and labels show no Markdown: only @everyone and @here
		// could mention there.
		for _, e := range m.Embeds {
			texts := []string{e.Title, e.Description}
			for _, f := range e.Fields {
				texts = append(texts, f.Name, f.Value)
			}
			for _, s := range texts {
				noMention(t, s, true)
			}
			if e.Footer != nil {
				noMention(t, e.Footer.Text, false)
			}
		}
		for _, row := range m.Components {
			for _, b := range row.Components {
				noMention(t, b.Label, false)
			}
		}
	})
}

// noMention fails t when s holds a live @everyone or @here, or, in
// Markdown, a "<" not escaped by a backslash.
func noMention(t *testing.T, s string, markdown bool) {
	t.Helper()
	for _, m := range []string{"@everyone", "@here"} {
		if strings.Contains(s, m) {
			t.Errorf("text %q has a live %s", s, m)
		}
	}
	for i := 0; markdown && i < len(s); i++ {
		if s[i] == '<' && !escaped(s, i) {
			t.Errorf("text %q has an unescaped %q", s, s[i:min(len(s), i+12)])
			return
		}
	}
}

// escaped reports whether the character at s[i] follows an odd number of
// backslashes.
func escaped(s string, i int) bool {
	n := 0
	for i > 0 && s[i-1] == '\\' {
		n++
		i--
	}
	return n%2 == 1
}
