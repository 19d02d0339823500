package slack

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	slackapi "github.com/slack-go/slack"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/bottest"
	"github.com/talkbot/talkbot/recaps"
	"github.com/talkbot/talkbot/textlimit"
)

// FuzzSlackRender renders a reply made of the fuzzer's text, privately and
// shared, and checks that it never panics, stays within Block Kit's limits
// (50 blocks; 3,000 characters a section, 2,000 a context or field, 150 a
// header, 75 a button), holds only valid UTF-8, and that no text becomes a
// mention: the only "<" left in any text starts a link the renderer made,
// or the attribution it added.
func FuzzSlackRender(f *testing.F) {
	for _, m := range bottest.Mentions() {
		f.Add(m, "a & b <c> "+m, "https://example.com/?a=1&b=2", 3)
	}
	f.Add("샤딩 😀", strings.Repeat("카프카 ", 1000), "https://example.com/a|b>c", 60)
	f.Add("a\xff\xfe", "&amp;&lt;&", "javascript:alert(1)", 299)
	f.Fuzz(func(t *testing.T, text, more, url string, n int) {
		rep := bottest.FuzzReply(text, more, url, n)
		for _, v := range []view{{}, {public: true, sharedBy: "U1"}} {
			m := render(rep, v)
			body, err := encodeJSON(&m)
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			// encoding/json writes invalid UTF-8 as \ufffd: none may reach it.
			if strings.Contains(string(body), `\ufffd`) {
				i := strings.Index(string(body), `\ufffd`)
				t.Fatalf("invalid UTF-8 reached the JSON encoder: …%s…", body[max(0, i-80):i+6])
			}
			msg := decodeMessage(t, string(body))
			blocks, _ := msg["blocks"].([]any)
			checkLimits(t, blocks)
			if s, _ := msg["text"].(string); s == "" || textlimit.Width(s) > maxFallbackText {
				t.Errorf("fallback text: width %v, want 1 to %v", textlimit.Width(s), maxFallbackText)
			}
			eachText(msg, func(s string) {
				if s == "Shared by <@U1>" {
					return
				}
				for i := strings.IndexByte(s, '<'); i >= 0; i = next(s, i) {
					if rest := s[i+1:]; !strings.HasPrefix(rest, "http://") && !strings.HasPrefix(rest, "https://") {
						t.Errorf("text %q has a live %q", s, s[i:min(len(s), i+12)])
						return
					}
				}
			})
		}
	})
}

// next returns the index of the next "<" in s after i, or -1.
func next(s string, i int) int {
	j := strings.IndexByte(s[i+1:], '<')
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

// eachText calls f with every string under a "text" key of decoded JSON:
// the texts Slack shows.
func eachText(v any, f func(string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && k == "text" {
				f(s)
			} else {
				eachText(x, f)
			}
		}
	case []any:
		for _, x := range v {
			eachText(x, f)
		}
	}
}

// FuzzRecapModal builds the recap modal from a draft of the fuzzer's text
// (an edited recap, or a message saved with the shortcut) and checks that
// it never panics, that every initial value is valid UTF-8 within its
// input's max_length (Slack refuses the whole view otherwise), and that a
// draft within the limits comes back unchanged from the submitted values.
func FuzzRecapModal(f *testing.F) {
	for _, m := range bottest.Mentions() {
		f.Add(m, "<https://x.example|"+m+">\n&lt;b&gt;", 3)
	}
	f.Add("샤딩 😀", strings.Repeat("카프카 😀\n", 450), 2000) // past summary's 3,000
	f.Add("a\xff\xfe", "<@U1|\xff>\r\n\n<!subteam^S1>", 1)
	f.Fuzz(func(t *testing.T, text, message string, n int) {
		d := recaps.Draft{Title: text, TitleEN: text, Conference: text, Speakers: text,
			Summary: messageLines(message), Lessons: strings.Repeat(text+"\n", max(0, n%10)), Tags: text, Link: text}
		v := modalView(bot.Form{Draft: d, Edit: text}, formMeta{Channel: "C1", Edit: text}, "")
		body, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		if strings.Contains(string(body), `\ufffd`) && utf8.ValidString(text) && utf8.ValidString(message) {
			t.Fatalf("valid input became U+FFFD: %s", body)
		}
		var meta formMeta
		if err := json.Unmarshal([]byte(v.PrivateMetadata), &meta); err != nil || meta.Edit != strings.ToValidUTF8(text, "\uFFFD") && utf8.ValidString(text) {
			t.Errorf("private_metadata %q does not carry the id back: %v", v.PrivateMetadata, err)
		}
		values := map[string]map[string]slackapi.BlockAction{}
		fits := true
		for i, b := range v.Blocks.BlockSet {
			in := b.(*slackapi.InputBlock)
			ff := formFields[i]
			var initial string
			switch el := in.Element.(type) {
			case *slackapi.PlainTextInputBlockElement:
				initial = el.InitialValue
				if el.MaxLength > 3000 || textlimit.Width(initial) > el.MaxLength {
					t.Errorf("%s: initial value %d wide, max_length %d", ff.id, textlimit.Width(initial), el.MaxLength)
				}
			case *slackapi.URLTextInputBlockElement:
				initial = el.InitialValue
			}
			if !utf8.ValidString(initial) {
				t.Errorf("%s: invalid UTF-8 in the initial value", ff.id)
			}
			fits = fits && initial == *d.Field(ff.id)
			values[ff.id] = map[string]slackapi.BlockAction{ff.id: {Value: initial}}
		}
		if got := draftFrom(&slackapi.ViewState{Values: values}); fits && got != d {
			t.Errorf("round trip: got %+v, want %+v", got, d)
		}
		if ls := messageLines(message); ls != "" && slices.ContainsFunc(strings.Split(ls, "\n"), func(l string) bool { return strings.TrimSpace(l) == "" }) {
			t.Errorf("messageLines(%q) has an empty line", message)
		}
	})
}
