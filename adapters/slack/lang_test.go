package slack

import (
	"net/http"
	"strings"
	"testing"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/bottest"
	"github.com/talkbot/talkbot/bot/i18n"
)

// The answer follows the user's Slack locale (users.info with
// include_locale), asked once per user and then cached; a user without
// one, or whose lookup fails, gets the configured language.
func TestLanguageFollowsUserLocale(t *testing.T) {
	for _, tt := range []struct {
		user     string
		fallback i18n.Lang
		want     string
		not      string
	}{
		{"UKO", i18n.EN, "요약", "Summary"},
		{"UEN", i18n.KO, "Summary", "요약"},
		{"U1", i18n.KO, "요약", "Summary"}, // no locale: the config's
		{"U1", i18n.EN, "Summary", "요약"},
		{"UFAIL", i18n.KO, "요약", "Summary"}, // users.info fails: the config's
	} {
		t.Run(tt.user+"/"+string(tt.fallback), func(t *testing.T) {
			e := newEnv(t, func(_ *Config, o *bot.Options) { o.Lang = tt.fallback })
			for i := range 3 {
				status, body := e.command(t, tt.user, "C1", "sharding")
				if status != http.StatusOK {
					t.Fatalf("status %d", status)
				}
				if !strings.Contains(body, tt.want) || strings.Contains(body, tt.not) {
					t.Errorf("request %d: answer lacks %q or has %q:\n%.400s", i+1, tt.want, tt.not, body)
				}
			}
			if n := len(e.slack.called("users.info")); n != 1 {
				t.Errorf("users.info calls for three requests: %d, want 1 (then cached)", n)
			}
			if f := e.slack.called("users.info")[0].Form; f.Get("include_locale") != "true" {
				t.Errorf("users.info without include_locale: %v", f)
			}
		})
	}
}

// A Korean-locale admin subscribes: one users.info call answers both the
// role and the language, and the digest language is the subscriber's.
func TestSubscribeTakesSubscriberLanguage(t *testing.T) {
	st := bottest.NewStore()
	e := newEnv(t, func(_ *Config, o *bot.Options) { o.Store = st })
	e.command(t, "UKOADMIN", "C1", "구독 kafka")
	e.a.work.Wait()
	if n := len(e.slack.called("users.info")); n != 1 {
		t.Errorf("users.info calls: %d, want 1", n)
	}
	s, err := st.Subscription(t.Context(), bot.ChannelRef{Platform: Platform, Channel: "C1"})
	if err != nil || s.Lang != i18n.KO {
		t.Errorf("subscription language %q (%v), want ko", s.Lang, err)
	}
}

// A DM written in Hangul tips "auto" to Korean, whatever the locale.
func TestHangulDMTipsAuto(t *testing.T) {
	for _, tt := range []struct {
		lang i18n.Lang
		text string
		want string
	}{
		{i18n.Auto, "샤딩", "요약"},
		{i18n.Auto, "sharding", "Summary"},
		{i18n.EN, "샤딩", "Summary"},
	} {
		e := newEnv(t, func(_ *Config, o *bot.Options) { o.Lang = tt.lang })
		ev := map[string]any{"type": "message", "channel_type": "im", "channel": "D1", "user": "UEN", "text": tt.text, "ts": "1.1"}
		e.post(t, "/slack/events", eventBody("Ev1", ev))
		e.a.work.Wait()
		posts := e.slack.called("chat.postMessage")
		if len(posts) != 1 {
			t.Fatalf("%s %q: %d posts", tt.lang, tt.text, len(posts))
		}
		if s := joined(posts[0].blocks(t)); !strings.Contains(s, tt.want) {
			t.Errorf("language %s, DM %q: answer lacks %q", tt.lang, tt.text, tt.want)
		}
	}
}

// The recap form opens in the user's language.
func TestFormLanguage(t *testing.T) {
	e, _ := newFormEnv(t)
	e.command(t, "UKO", "C1", "add")
	_, view := e.opened(t, 0)
	title, _ := view["title"].(map[string]any)
	if title["text"] != "발표 요약 공유" {
		t.Errorf("Korean form title %v", title["text"])
	}
	if s := joined(view["blocks"]); !strings.Contains(s, "요약") || !strings.Contains(s, "배운 점") || strings.Contains(s, "Lessons for us") {
		t.Errorf("Korean form labels:\n%.600s", s)
	}
	e.command(t, "UEN", "C1", "add")
	_, view = e.opened(t, 1)
	if title, _ := view["title"].(map[string]any); title["text"] != "Share a talk recap" {
		t.Errorf("English form title %v", title["text"])
	}
}
