package discord

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/bottest"
	"github.com/talkbot/talkbot/bot/i18n"
	"github.com/talkbot/talkbot/textlimit"
)

// length is textlimit.Width, as the limit checks of this package's tests
// call it.
func length(s string) int { return textlimit.Width(s) }

func TestFooterMarker(t *testing.T) {
	long := strings.Repeat("f", 3000)
	tests := []struct {
		name, footer, marker string
		want                 string // "" for no footer
	}{
		{"neither", "", "", ""},
		{"footer only", "page 1", "", "page 1"},
		{"marker only", "", "ref 0123", "ref 0123"},
		{"both", "page 1", "ref 0123", "page 1 · ref 0123"},
		{"long footer keeps the marker whole", long, "ref 0123", cut(long, maxFooter-len("ref 0123")-3) + " · ref 0123"},
		{"long footer without marker", long, "", cut(long, maxFooter)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := embed(bot.Reply{Title: "t", Footer: tt.footer}, tt.marker)
			got := ""
			if e.Footer != nil {
				got = e.Footer.Text
			}
			if got != tt.want {
				t.Errorf("got footer %q, want %q", got, tt.want)
			}
			if length(got) > maxFooter {
				t.Errorf("got %d characters, want at most %d", length(got), maxFooter)
			}
		})
	}
}

func TestButtonLabels(t *testing.T) {
	r := bot.Reply{
		Actions: []bot.Action{
			{Kind: bot.ActionNext, Label: "Next page", Value: "n2:q"},
			{Kind: bot.ActionShare, Value: "x1:q"},
		},
		Items: []bot.Item{
			{Text: "A talk", Action: &bot.Action{Kind: bot.ActionShow, Label: "Show", Value: "s1:a"}},
			{Action: &bot.Action{Kind: bot.ActionShow, Label: "Show", Value: "s1:b"}},
			{Action: &bot.Action{Kind: bot.ActionShow, Label: " ", Value: "s1:c"}},
		},
	}
	want := map[string]string{"n2:q": "Next page", "x1:q": "share", "s1:a": "A talk", "s1:b": "Show", "s1:c": "show"}
	var m wireMessage
	if err := json.Unmarshal(mustJSON(message{Components: buttons(r)}), &m); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, row := range m.Components {
		for _, b := range row.Components {
			got[b.CustomID] = b.Label
		}
	}
	if len(got) != len(want) {
		t.Errorf("got buttons %v, want %v", got, want)
	}
	for id, label := range want {
		if got[id] != label {
			t.Errorf("button %s: got label %q, want %q", id, got[id], label)
		}
	}
}

func TestEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<@123> <@!123> <@&456> <#789>", `\<@123> \<@!123> \<@&456> \<#789>`},
		{"<t:1700000000:R> <:emoji:1>", `\<t:1700000000:R> \<:emoji:1>`},
		{"[x](https://evil)", `\[x\](https://evil)`},
		{"see https://example.com/a", "see https://example.com/a"}, // bare URLs stay links
		{"> quote\n# heading\n-# small", "\\> quote\n\\# heading\n\\-# small"},
	}
	for _, tt := range tests {
		if got := escape(tt.in); got != tt.want {
			t.Errorf("escape(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestRenderGolden renders every golden reply (bottest.Cases) as the
// message of an interaction response, and checks it against Discord's
// limits.
func TestRenderGolden(t *testing.T) {
	for _, r := range bottest.GoldenReplies(t) {
		t.Run(r.Name, func(t *testing.T) {
			body := mustJSON(render(r.Reply, renderOpts{}))
			checkLimits(t, body)
			bottest.GoldenJSON(t, "replies/"+r.Name+".json", body)
		})
	}
}

// TestMoreFieldHasNoWords: the fields that do not fit are counted in a last
// field without words, since a digest post's language is not known here.
func TestMoreFieldHasNoWords(t *testing.T) {
	var r bot.Reply
	for i := range 30 {
		r.Fields = append(r.Fields, bot.Field{Name: fmt.Sprint("f", i), Value: "v"})
	}
	fs := embed(r, "").Fields
	if len(fs) != maxFields {
		t.Fatalf("got %d fields, want %d", len(fs), maxFields)
	}
	if last := fs[len(fs)-1]; last.Name != "…" || last.Value != "+6" {
		t.Errorf("got last field %q: %q, want …: +6", last.Name, last.Value)
	}
}

// A reply built without a links heading gets the catalog's, in the
// reply's language.
func TestLinksHeadingInReplyLanguage(t *testing.T) {
	for l, want := range map[i18n.Lang]string{i18n.KO: "링크", i18n.EN: "Links"} {
		r := bot.Reply{Title: "T", Links: []bot.Link{{Title: "slides", URL: "https://example.com/"}}, Lang: l}
		fs := embed(r, "").Fields
		if len(fs) != 1 || fs[0].Name != want {
			t.Errorf("%s: got fields %+v, want one named %q", l, fs, want)
		}
	}
}
