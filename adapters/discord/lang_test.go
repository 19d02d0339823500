package discord

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/bottest"
	"github.com/talkbot/talkbot/bot/i18n"
	"github.com/talkbot/talkbot/recaps"
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
		if locale == "ko" {
			bottest.GoldenJSON(t, "talk_add_modal.ko.json", body)
		}
	}
}

// reopenToken matches the random token of a reopen button, which golden
// files show as TOKEN.
var reopenToken = regexp.MustCompile(`talk_add_reopen:[A-Z2-7]+`)

// TestNoticesFollowLocale: the adapter's own answers (the problems of a
// refused form with their button, the notices about forms and buttons it
// no longer knows, "restarting" once Run has returned, "something went
// wrong") are in the user's Discord locale, like the core's; each is kept
// as a golden file per language.
func TestNoticesFollowLocale(t *testing.T) {
	bad := recaps.Draft{Title: "우리 팀 이야기", Conference: "사내 세미나 2026", Speakers: "(handle only)", Summary: "하나\n둘\n셋\n넷\n다섯\n여섯\n일곱\n여덟\n아홉"}
	for _, tt := range []struct {
		locale string
		lang   i18n.Lang
		want   []string // besides the catalog's notices
		not    []string
	}{
		{"ko", i18n.KO, []string{"요약이 아직 저장되지 않았습니다", "발표자: ", "요약: ", "태그: ", "고쳐서 다시 제출", "30분"},
			[]string{"not saved", "Speakers:", "Summary:", "Fix and resubmit", "On Discord"}},
		{"en-US", i18n.EN, []string{"Your recap is not saved yet", "Speakers: ", "Summary: ", "Tags: ", "Fix and resubmit", "30 minutes"},
			[]string{"저장되지", "발표자:", "고쳐서"}},
	} {
		t.Run(tt.locale, func(t *testing.T) {
			b, _ := storeBot(t)
			e := newEnv(t, b, Config{})
			ask := func(name string, body []byte) wireResponse {
				t.Helper()
				code, resp, got := e.do(t, withLocale(t, body, tt.locale))
				if code != http.StatusOK || resp.Type != 4 || resp.Data.Flags != 64 {
					t.Fatalf("%s: got %d %s, want an ephemeral message", name, code, got)
				}
				checkLimits(t, got)
				bottest.GoldenJSON(t, "notices/"+name+"."+string(tt.lang)+".json", reopenToken.ReplaceAll(got, []byte("talk_add_reopen:TOKEN")))
				return resp
			}
			is := func(name string, resp wireResponse, key string, args ...any) {
				t.Helper()
				if want := i18n.T(tt.lang, key, args...); !strings.Contains(resp.Data.text(), want) {
					t.Errorf("%s: got %q, want %q", name, resp.Data.text(), want)
				}
			}

			refused := ask("problems", submitJSON("501", "talk_add", member{"u1", 0}, "Ash", bad, nil))
			text := refused.Data.text()
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("problems: got %q, want %q", text, w)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(text, w) {
					t.Errorf("problems: got %q, want no %q", text, w)
				}
			}
			if label := refused.Data.Components[0].Components[0].Label; label != i18n.T(tt.lang, "discord_fix_button") {
				t.Errorf("reopen button: got %q", label)
			}

			is("unknown form", ask("unknown-form", submitJSON("502", "other_form", member{"u1", 0}, "Ash", shareDraft, nil)), "discord_form_unknown")
			is("expired form", ask("expired-form", componentJSON(reopenPrefix+"GONE", true)), "discord_form_gone", draftTTLMinutes)
			is("unknown command", ask("unknown-command", commandJSON("talk-old", nil, member{"u1", 0})), "discord_unknown_command")
			is("old button", ask("old-button", componentJSON("zz:what", true)), "discord_old_button")

			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if err := e.a.Run(ctx); err != nil {
				t.Fatalf("got %v from Run, want nil", err)
			}
			is("restarting", ask("restarting", talkJSON("sharding")), "restarting")
			is("restarting button", ask("restarting", componentJSON("n2:db", true)), "restarting")
			is("restarting form", ask("restarting", submitJSON("503", "talk_add", member{"u1", 0}, "Ash", shareDraft, nil)), "restarting")
		})
	}
}

// TestFailedFollowsLocale: "something went wrong" is in the user's locale
// over HTTP and the gateway; a DM, which has no locale, is in the locale
// of its user's last interaction, else in the Bot's language.
func TestFailedFollowsLocale(t *testing.T) {
	for _, tt := range []struct {
		locale   string
		fallback i18n.Lang
		want     i18n.Lang
	}{
		{"ko", i18n.EN, i18n.KO},
		{"en-US", i18n.KO, i18n.EN},
	} {
		t.Run(tt.locale, func(t *testing.T) {
			store := bottest.NewGatedStore(true)
			store.Panic = "boom"
			b := testBot(t, bot.Options{Store: store, Lang: tt.fallback})
			want := i18n.T(tt.want, "failed")
			e := newEnv(t, b, Config{})
			if _, resp, body := e.do(t, withLocale(t, talkJSON("subscriptions"), tt.locale)); resp.Data.Content != want {
				t.Errorf("HTTP: got %s, want %q", body, want)
			}
			api := newFakeAPI(t)
			a, _ := gatewayAdapter(t, api, b, Config{})
			var it discordgo.Interaction
			if err := json.Unmarshal(withLocale(t, talkJSON("subscriptions"), tt.locale), &it); err != nil {
				t.Fatal(err)
			}
			a.onInteraction(context.Background(), &discordgo.InteractionCreate{Interaction: &it})
			c := api.wait(t, http.MethodPost, "/api/v10/interactions/400/itoken/callback")
			if !strings.Contains(string(c.Body), want) {
				t.Errorf("gateway: got %s, want %q", c.Body, want)
			}
			// A DM has no locale: its user's last interaction's, else the
			// Bot's language.
			a.onMessage(context.Background(), &discordgo.MessageCreate{Message: &discordgo.Message{ID: "m", ChannelID: "dm1", Author: &discordgo.User{ID: "u1"}, Content: "subscriptions"}})
			c = api.wait(t, http.MethodPost, "/api/v10/channels/dm1/messages")
			if !strings.Contains(string(c.Body), want) {
				t.Errorf("DM from the user: got %s, want %q", c.Body, want)
			}
			a.onMessage(context.Background(), &discordgo.MessageCreate{Message: &discordgo.Message{ID: "m2", ChannelID: "dm2", Author: &discordgo.User{ID: "u9"}, Content: "subscriptions"}})
			c = api.wait(t, http.MethodPost, "/api/v10/channels/dm2/messages")
			if dm := i18n.T(tt.fallback, "failed"); !strings.Contains(string(c.Body), dm) {
				t.Errorf("DM from a user never seen: got %s, want %q", c.Body, dm)
			}
		})
	}
}
