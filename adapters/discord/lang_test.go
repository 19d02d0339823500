package discord

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

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
