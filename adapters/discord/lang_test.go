package discord

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/i18n"
)

// withLocale sets an interaction's locale, as the user's Discord client
// sends it.
func withLocale(t *testing.T, body []byte, locale string) []byte {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	if locale != "" {
		p["locale"] = locale
	}
	return mustJSON(p)
}

// The answer follows the user's Discord locale (ko is Korean, any other
// English); without one, the Bot's configured language.
func TestLanguageFollowsLocale(t *testing.T) {
	for _, tt := range []struct {
		name, locale string
		fallback     i18n.Lang
		want, not    string
	}{
		{"ko", "ko", i18n.EN, "요약", "Summary"},
		{"en-US", "en-US", i18n.KO, "Summary", "요약"},
		{"ja: English", "ja", i18n.KO, "Summary", "요약"},
		{"no locale: config ko", "", i18n.KO, "요약", "Summary"},
		{"no locale: config en", "", i18n.EN, "Summary", "요약"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, testBot(t, bot.Options{Lang: tt.fallback}), Config{})
			code, resp, body := e.do(t, withLocale(t, talkJSON("sharding"), tt.locale))
			if code != http.StatusOK {
				t.Fatalf("status %d: %s", code, body)
			}
			if text := resp.Data.text(); !strings.Contains(text, tt.want) || strings.Contains(text, tt.not) {
				t.Errorf("locale %q, fallback %s: answer %q, want %q and no %q", tt.locale, tt.fallback, text, tt.want, tt.not)
			}
		})
	}
}

// Every command and option has a Korean name and description, valid as
// Discord wants names: lowercase letters, digits, - and _, 1 to 32.
func TestCommandsLocalized(t *testing.T) {
	name := regexp.MustCompile(`^[-_\p{L}\p{N}]{1,32}$`)
	check := func(what, n string, names map[discordgo.Locale]string, descs map[discordgo.Locale]string) {
		k := names[discordgo.Korean]
		if !name.MatchString(k) || strings.ToLower(k) != k {
			t.Errorf("%s: Korean name %q is not a valid Discord name", what, k)
		}
		if d := descs[discordgo.Korean]; d == "" || utf8.RuneCountInString(d) > 100 {
			t.Errorf("%s: Korean description %q, want 1 to 100 characters", what, d)
		}
	}
	for _, c := range Commands() {
		var names, descs map[discordgo.Locale]string
		if c.NameLocalizations != nil {
			names = *c.NameLocalizations
		}
		if c.DescriptionLocalizations != nil {
			descs = *c.DescriptionLocalizations
		}
		check("/"+c.Name, c.Name, names, descs)
		for _, o := range c.Options {
			check("/"+c.Name+" "+o.Name, o.Name, o.NameLocalizations, o.DescriptionLocalizations)
		}
	}
}

// /talk-subscribe lang:ko becomes talk subscribe --lang ko.
func TestSubscribeLangOption(t *testing.T) {
	d := discordgo.ApplicationCommandInteractionData{Name: cmdSubscribe, Options: []*discordgo.ApplicationCommandInteractionDataOption{
		{Name: optTopics, Type: discordgo.ApplicationCommandOptionString, Value: "kafka"},
		{Name: optLang, Type: discordgo.ApplicationCommandOptionString, Value: "ko"},
	}}
	if got, ok := commandText(d); !ok || got != "subscribe kafka --lang ko" {
		t.Errorf("commandText = %q, %v; want subscribe kafka --lang ko", got, ok)
	}
}

// A shared answer names its sharer in the sharer's language.
func TestSharedAttributionLanguage(t *testing.T) {
	rep := bot.Reply{Title: "x", Outcome: bot.OutcomeOK}
	if got := shared(rep, "42", i18n.KO).Content; got != "<@42> 님이 공유" {
		t.Errorf("Korean attribution %q", got)
	}
	if got := shared(rep, "42", i18n.EN).Content; got != "Shared by <@42>" {
		t.Errorf("English attribution %q", got)
	}
}

// The recap form opens in the user's language.
func TestFormLanguage(t *testing.T) {
	b, _ := storeBot(t)
	e := newEnv(t, b, Config{})
	for locale, want := range map[string][]string{"ko": {"발표 요약 공유", "발표 제목", "배운 점 (선택)"}, "en-US": {"Share a talk recap", "Title of the talk", "Lessons for your team (optional)"}} {
		_, _, body := e.do(t, withLocale(t, talkJSON("add"), locale))
		for _, w := range want {
			if !strings.Contains(string(body), w) {
				t.Errorf("locale %s: form lacks %q:\n%.500s", locale, w, body)
			}
		}
		if strings.Contains(string(body), "EXTRA") {
			t.Errorf("locale %s: a label was formatted with a stray argument:\n%s", locale, body)
		}
	}
}
