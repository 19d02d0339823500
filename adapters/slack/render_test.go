package slack

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/bottest"
	"github.com/talkbot/talkbot/recaps"
	"github.com/talkbot/talkbot/textlimit"
)

func TestCut(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"hello world", 8, "hello w…"},
		{"hello world", 7, "hello…"},
		{"샤딩샤딩샤딩", 4, "샤딩샤…"},
		{"a &amp; b", 5, "a…"},         // never half an entity
		{"a &lt;b&gt;", 8, "a &lt;b…"}, // a whole entity stays
		{"😀😀😀", 4, "😀…"},               // an emoji counts as two
		{"ab\u00e9cd", 4, "ab\u00e9…"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := cut(tt.in, tt.n)
			if got != tt.want {
				t.Errorf("cut(%q, %d): got %q, want %q", tt.in, tt.n, got, tt.want)
			}
			if textlimit.Width(got) > tt.n || !utf8.ValidString(got) {
				t.Errorf("cut(%q, %d) = %q: width %d, valid %v", tt.in, tt.n, got, textlimit.Width(got), utf8.ValidString(got))
			}
		})
	}
}

func TestLink(t *testing.T) {
	tests := []struct {
		title, url, want string
	}{
		{"Video", "https://youtu.be/x?a=1&b=2", "<https://youtu.be/x?a=1&amp;b=2|Video>"},
		{"<!channel>", "https://example.com/", "<https://example.com/|&lt;!channel&gt;>"},
		{"Pipe", "https://example.com/a|b", "<https://example.com/a%7Cb|Pipe>"},
		{"Script", "javascript:alert(1)", "Script"},
		{"", "https://example.com/", "<https://example.com/>"},
	}
	for _, tt := range tests {
		if got := link(tt.title, tt.url); got != tt.want {
			t.Errorf("link(%q, %q): got %q, want %q", tt.title, tt.url, got, tt.want)
		}
	}
}

// checkLimits fails the test when decoded blocks break a Block Kit limit
// that Slack enforces by rejecting the message.
func checkLimits(t *testing.T, blocks []any) {
	t.Helper()
	if len(blocks) == 0 || len(blocks) > maxBlocks {
		t.Errorf("blocks: got %v, want 1 to %v", len(blocks), maxBlocks)
	}
	text := func(where string, v any, limit int) {
		t.Helper()
		obj, _ := v.(map[string]any)
		s, _ := obj["text"].(string)
		if s == "" || textlimit.Width(s) > limit || !utf8.ValidString(s) {
			t.Errorf("%s text: width %v, want 1 to %v (valid UTF-8: %v)", where, textlimit.Width(s), limit, utf8.ValidString(s))
		}
		if i := strings.LastIndexByte(s, '&'); i >= 0 && !strings.Contains(s[i:], ";") {
			t.Errorf("%s text ends in a broken entity: %q", where, s[i:])
		}
	}
	for i, b := range blocks {
		blk := b.(map[string]any)
		where := fmt.Sprintf("block %d (%v)", i, blk["type"])
		switch blk["type"] {
		case "header":
			text(where, blk["text"], maxHeaderText)
		case "section":
			fields, _ := blk["fields"].([]any)
			if blk["text"] == nil && len(fields) == 0 {
				t.Errorf("%s has neither text nor fields", where)
			}
			if blk["text"] != nil {
				text(where, blk["text"], maxSectionText)
			}
			if len(fields) > maxFields {
				t.Errorf("%s fields: got %v, want at most %v", where, len(fields), maxFields)
			}
			for _, f := range fields {
				text(where+" field", f, maxFieldText)
			}
			if acc, ok := blk["accessory"].(map[string]any); ok {
				text(where+" button", acc["text"], maxButtonText)
			}
		case "context":
			els := blk["elements"].([]any)
			if len(els) == 0 || len(els) > 10 {
				t.Errorf("%s elements: got %v, want 1 to 10", where, len(els))
			}
			for _, el := range els {
				text(where, el, maxContextText)
			}
		case "actions":
			els := blk["elements"].([]any)
			if len(els) == 0 || len(els) > maxActions {
				t.Errorf("%s elements: got %v, want 1 to %v", where, len(els), maxActions)
			}
			ids := map[string]bool{}
			for _, el := range els {
				e := el.(map[string]any)
				text(where+" button", e["text"], maxButtonText)
				id, _ := e["action_id"].(string)
				if ids[id] {
					t.Errorf("%s: duplicate action_id %q", where, id)
				}
				ids[id] = true
				if v, _ := e["value"].(string); len(v) > 2000 {
					t.Errorf("%s: button value of %d bytes", where, len(v))
				}
			}
		default:
			t.Errorf("%s: unexpected block type", where)
		}
	}
}

// giantCorpus returns a corpus with one talk far larger than a Slack
// message can hold.
func giantCorpus() *recaps.Corpus {
	long := func(i int) string {
		return fmt.Sprintf("%d: ", i) + strings.Repeat("샤딩 & <sharding> 😀 ", 400)
	}
	t := recaps.Talk{
		ID:         "giant-talk",
		Conference: "conf",
		Track:      strings.Repeat("트랙", 1500),
		Title:      "Giant " + strings.Repeat("제목 & <title> ", 100),
		TitleEN:    strings.Repeat("Giant intro ", 500),
		Tags:       []string{"giant", "sharding"},
	}
	for i := range 30 {
		t.Speakers = append(t.Speakers, recaps.Speaker{Name: fmt.Sprintf("화자%d", i), Handle: strings.Repeat("h", 300), Team: strings.Repeat("팀", 300)})
	}
	for i := range 200 {
		t.Summary = append(t.Summary, long(i))
		t.Lessons = append(t.Lessons, long(i))
	}
	for i := range 100 {
		t.Links = append(t.Links, recaps.Link{Title: strings.Repeat("링크 ", 80), URL: fmt.Sprintf("https://example.com/%d?a=1&b=2", i)})
	}
	return &recaps.Corpus{
		Talks:       []recaps.Talk{t},
		Conferences: []recaps.Conference{{ID: "conf", Name: "Conf", Year: 2024, About: strings.Repeat("About ", 2000)}},
	}
}

func TestBlockKitLimits(t *testing.T) {
	tests := []string{"show giant-talk", "giant", "conf", "help"}
	for _, text := range tests {
		t.Run(text, func(t *testing.T) {
			e := newEnvCorpus(t, giantCorpus())
			status, body := e.command(t, "U1", "C1", text)
			if status != http.StatusOK {
				t.Fatalf("status: got %v, want %v", status, http.StatusOK)
			}
			m := decodeMessage(t, body)
			blocks, _ := m["blocks"].([]any)
			checkLimits(t, blocks)
			if s, _ := m["text"].(string); s == "" || textlimit.Width(s) > maxFallbackText {
				t.Errorf("fallback text: width %v, want 1 to %v", textlimit.Width(s), maxFallbackText)
			}
			if _, ok := buttons(blocks)["Share to channel"]; !ok && text != "help" {
				t.Errorf("the Share button was cut")
			}
			// Shared publicly, it fits too.
			e.press(t, "U1", "C1", buttons(blocks)["Share to channel"], true)
			if text != "help" {
				pb := e.slack.shared(t).blocks(t)
				checkLimits(t, pb)
				if !strings.Contains(joined(pb), "Shared by <@U1>") {
					t.Errorf("the attribution was cut")
				}
			}
		})
	}
}

func TestRenderSmallReplies(t *testing.T) {
	tests := []struct {
		name string
		rep  bot.Reply
		want int // blocks
	}{
		{"intro only", bot.Reply{Intro: "Sorry."}, 1},
		{"empty", bot.Reply{}, 0},
		{"title with url", bot.Reply{Title: "T", TitleURL: "https://example.com/"}, 1},
		{"eleven fields", bot.Reply{Fields: make([]bot.Field, 11)}, 0},
		{"eleven named fields", bot.Reply{Fields: func() []bot.Field {
			var fs []bot.Field
			for i := range 11 {
				fs = append(fs, bot.Field{Name: fmt.Sprint(i), Value: "v"})
			}
			return fs
		}()}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := render(tt.rep, view{})
			if got := len(m.Blocks); got != tt.want {
				t.Errorf("blocks: got %v, want %v", got, tt.want)
			}
			if m.Text == "" {
				t.Errorf("fallback text is empty")
			}
		})
	}
}

func TestCutInvalidUTF8(t *testing.T) {
	got := cut("a\xff\xff\xffbbbb", 5)
	if textlimit.Width(got) > 5 {
		t.Errorf("cut of invalid UTF-8: got %q (%d wide), want at most 5", got, textlimit.Width(got))
	}
}

// TestRenderGolden renders every golden reply (bottest.Cases) as the
// private Block Kit answer to a slash command, and checks it against Block
// Kit's limits.
func TestRenderGolden(t *testing.T) {
	for _, r := range bottest.GoldenReplies(t) {
		t.Run(r.Name, func(t *testing.T) {
			m := render(r.Reply, view{})
			m.ResponseType = responseEphemeral
			body, err := encodeJSON(&m)
			if err != nil {
				t.Fatal(err)
			}
			checkLimits(t, decodeMessage(t, string(body))["blocks"].([]any))
			bottest.GoldenJSON(t, "replies/"+r.Name+".json", body)
		})
	}
}
