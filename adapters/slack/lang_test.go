package slack

import (
	"cmp"
	"encoding/json"
	"maps"
	"net/http"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/bottest"
	"github.com/talkbot/talkbot/bot/i18n"
	"github.com/talkbot/talkbot/recaps"
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
	js, _ := json.Marshal(view)
	bottest.GoldenJSON(t, "modal_talk_add.ko.json", js)
	e.command(t, "UEN", "C1", "add")
	_, view = e.opened(t, 1)
	if title, _ := view["title"].(map[string]any); title["text"] != "Share a talk recap" {
		t.Errorf("English form title %v", title["text"])
	}
}

// A refused form says what to fix, under each field, in the language of
// the user who sent it.
func TestFormErrorsLanguage(t *testing.T) {
	bad := maps.Clone(testRecap)
	bad[recaps.FieldTitle], bad[recaps.FieldLink] = "", "ftp://example.com/talk"
	for user, want := range map[string]map[string]any{
		"UKO": {recaps.FieldTitle: "필수 항목입니다.", recaps.FieldLink: "http(s) URL을 넣어 주세요. 예: https://www.youtube.com/watch?v=…"},
		"UEN": {recaps.FieldTitle: "Required.", recaps.FieldLink: "Give an http(s) URL, such as https://www.youtube.com/watch?v=…"},
	} {
		e, _ := newFormEnv(t)
		_, body := e.post(t, "/slack/interactions", submitBody(user, "V1", formMetaView, bad))
		if got := submitErrors(t, body); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got errors %v, want %v", user, got, want)
		}
	}
}

// formMetaView is what views.open gave a recap modal opened in C1, as its
// submission carries it back.
var formMetaView = map[string]any{"callback_id": callbackAdd, "private_metadata": `{"channel":"C1"}`}

// submitErrors decodes a view_submission response's field errors.
func submitErrors(t *testing.T, body string) map[string]any {
	t.Helper()
	var r struct {
		Action string         `json:"response_action"`
		Errors map[string]any `json:"errors"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil || r.Action != "errors" {
		t.Fatalf("view submission answer: got %q (%v), want response_action errors", body, err)
	}
	return r.Errors
}

// Once the adapter is stopping, a slash command, the recap form and its
// submission are answered "restarting" in the user's language, known from
// an earlier request; nothing more is asked of users.info.
func TestRestartingNoticeLanguage(t *testing.T) {
	for _, tt := range []struct {
		user     string
		fallback i18n.Lang
		want     i18n.Lang
	}{
		{"UKO", i18n.EN, i18n.KO},
		{"UEN", i18n.KO, i18n.EN},
	} {
		t.Run(tt.user, func(t *testing.T) {
			e := newEnv(t, func(_ *Config, o *bot.Options) { o.Lang = tt.fallback })
			e.command(t, tt.user, "C1", "sharding") // learns the locale
			e.a.work.Close(time.Minute)
			want := i18n.T(tt.want, "restarting")
			for _, text := range []string{"sharding", "add"} {
				status, body := e.command(t, tt.user, "C1", text)
				if got := decodeMessage(t, body)["text"]; status != http.StatusOK || got != want {
					t.Errorf("%q: got %v %q, want 200 %q", text, status, got, want)
				}
			}
			_, body := e.post(t, "/slack/interactions", submitBody(tt.user, "V1", formMetaView, testRecap))
			if got := submitErrors(t, body)[recaps.FieldTitle]; got != want {
				t.Errorf("form submission: got %q under the title, want %q", got, want)
			}
			if n := len(e.slack.called("users.info")); n != 1 {
				t.Errorf("users.info calls: got %v, want 1 (before the shutdown)", n)
			}
		})
	}
}

// The "restarting" notice to a user whose language is not known yet asks
// no users.info (the process is stopping): Hangul text under "auto" is
// answered in Korean, anything else in the configured language.
func TestRestartingNoticeWithoutLookup(t *testing.T) {
	for _, tt := range []struct {
		lang  i18n.Lang
		text  string // the command, and the form's title
		want  i18n.Lang
		title string // the form's title, when not text
	}{
		{i18n.Auto, "샤딩", i18n.KO, ""},
		{i18n.Auto, "sharding", i18n.EN, ""},
		{i18n.Auto, "speaker 임문규", i18n.KO, "임문규"}, // the argument decides, as in the core
		{i18n.KO, "sharding", i18n.KO, ""},
		{i18n.EN, "샤딩", i18n.EN, ""},
	} {
		t.Run(string(tt.lang)+"/"+tt.text, func(t *testing.T) {
			e := newEnv(t, func(_ *Config, o *bot.Options) { o.Lang = tt.lang })
			e.a.work.Close(time.Minute)
			want := i18n.T(tt.want, "restarting")
			_, body := e.command(t, "UEN", "C1", tt.text) // en-US, had users.info been asked
			if got := decodeMessage(t, body)["text"]; got != want {
				t.Errorf("slash command: got %q, want %q", got, want)
			}
			values := maps.Clone(testRecap)
			values[recaps.FieldTitle] = cmp.Or(tt.title, tt.text)
			_, body = e.post(t, "/slack/interactions", submitBody("UEN", "V1", formMetaView, values))
			if got := submitErrors(t, body)[recaps.FieldTitle]; got != want {
				t.Errorf("form titled %q: got %q, want %q", values[recaps.FieldTitle], got, want)
			}
			if n := len(e.slack.called("users.info")); n != 0 {
				t.Errorf("users.info calls: got %v, want 0", n)
			}
		})
	}
}

// Over Socket Mode too, a slash command and a form submission that
// arrive while the adapter stops are answered "restarting" in the user's
// language, without asking users.info.
func TestSocketModeRestartingLanguage(t *testing.T) {
	for _, tt := range []struct {
		user     string
		fallback i18n.Lang
		want     i18n.Lang
	}{
		{"UKO", i18n.EN, i18n.KO},
		{"UEN", i18n.KO, i18n.EN},
	} {
		t.Run(tt.user, func(t *testing.T) {
			want := i18n.T(tt.want, "restarting")
			for _, envelope := range []map[string]any{
				slashEnvelope(tt.user, "sharding", ""),
				submissionEnvelope("E1", tt.user, "V1", testRecap),
			} {
				f := newFakeSlack(t)
				a := newSocketAdapter(t, f, bot.New(mustEmbedded(t), bot.Options{Lang: tt.fallback}))
				a.userLang(t.Context(), tt.user) // learned from an earlier request
				a.work.Close(time.Minute)
				ack := socketRequest(t, f, a, envelope)
				p, _ := ack["payload"].(map[string]any)
				got := p["text"]
				if envelope["type"] == "interactive" {
					errs, _ := p["errors"].(map[string]any)
					got = errs[recaps.FieldTitle]
				}
				if got != want {
					t.Errorf("%s: got ack %v, want %q", envelope["type"], ack, want)
				}
				if n := len(f.called("users.info")); n != 1 {
					t.Errorf("%s: users.info calls: got %v, want 1 (before the shutdown)", envelope["type"], n)
				}
			}
		})
	}
}

// A DM that finds every worker busy and the queue full is told so in the
// language of its text ("auto") or of the user's known locale.
func TestBusyNoticeLanguage(t *testing.T) {
	for _, tt := range []struct {
		user, text string
		want       i18n.Lang
	}{
		{"U1", "구독 목록", i18n.KO},
		{"U1", "subscriptions", i18n.EN},
		{"UKO", "subscriptions", i18n.KO},
		// Hangul tips "auto" to Korean whatever the locale, as the
		// answer itself would be.
		{"UEN", "구독 목록", i18n.KO},
	} {
		t.Run(tt.user+"/"+tt.text, func(t *testing.T) {
			store := bottest.NewGatedStore(false)
			e := newEnv(t, func(_ *Config, o *bot.Options) { o.Store, o.Lang = store, i18n.Auto })
			e.a.userLang(t.Context(), "UKO") // learned from earlier requests
			e.a.userLang(t.Context(), "UEN")
			admitted := runtime.GOMAXPROCS(0) + queuedChats
			for i := range admitted + 1 {
				user, text := "U2", "subscriptions"
				if i == admitted {
					user, text = tt.user, tt.text
				}
				body := eventBody("Ev"+strconv.Itoa(i), map[string]any{"type": "message", "channel_type": "im", "channel": "D1", "user": user, "text": text, "ts": "1.1"})
				if status, _ := e.send(t, http.MethodPost, "/slack/events", body, sign(testSecret, time.Now(), body)); status != http.StatusOK {
					t.Fatalf("event %d: got status %d, want 200", i, status)
				}
			}
			close(store.Gate)
			e.a.work.Wait()
			var busy []string
			for _, p := range e.slack.called("chat.postMessage") {
				if s := p.Form.Get("text"); strings.Contains(s, "talkbot") && (strings.Contains(s, "busy") || strings.Contains(s, "바쁩니다")) {
					busy = append(busy, s)
				}
			}
			if want := []string{i18n.T(tt.want, "busy")}; !slices.Equal(busy, want) {
				t.Errorf("busy notices: got %q, want %q", busy, want)
			}
		})
	}
}

// A panic after the user's locale was learned is answered "something went
// wrong" in that language, to a slash command and to a DM.
func TestFailedNoticeLanguage(t *testing.T) {
	store := bottest.NewGatedStore(true)
	store.Panic = "boom"
	e := newEnv(t, func(_ *Config, o *bot.Options) { o.Store = store })
	want := i18n.T(i18n.KO, "failed")
	if _, body := e.command(t, "UKO", "C1", "subscriptions"); decodeMessage(t, body)["text"] != want {
		t.Errorf("slash command: got %s, want %q", body, want)
	}
	e.post(t, "/slack/events", eventBody("Ev1", map[string]any{"type": "message", "channel_type": "im", "channel": "D1", "user": "UKO", "text": "subscriptions", "ts": "1.1"}))
	if posts := e.slack.called("chat.postMessage"); len(posts) != 1 || posts[0].Form.Get("text") != want {
		t.Errorf("DM: got %v, want one %q", posts, want)
	}
}

// A form that Slack could not open in time is explained in the user's
// language.
func TestFormOpenFailureLanguage(t *testing.T) {
	for _, tt := range []struct {
		user string
		want i18n.Lang
	}{
		{"UKO", i18n.KO},
		{"UEN", i18n.EN},
	} {
		e, _ := newFormEnv(t)
		form := strings.Replace(e.commandForm(tt.user, "C1", "add"), "trigger_id=1.2.3", "trigger_id=expired", 1)
		_, body := e.post(t, "/slack/commands", form)
		if got, want := decodeMessage(t, body)["text"], i18n.T(tt.want, "slack_form_late"); got != want {
			t.Errorf("%s, expired trigger: got %q, want %q", tt.user, got, want)
		}
	}
}

// The problems of a form checked too late for the modal, and the text
// typed, are told in the user's language (goldens late_problems.*.txt).
func TestLateProblemsLanguage(t *testing.T) {
	r := testRecap
	d := recaps.Draft{Title: r[recaps.FieldTitle], TitleEN: r[recaps.FieldTitleEN], Speakers: r[recaps.FieldSpeakers],
		Summary: r[recaps.FieldSummary], Lessons: r[recaps.FieldLessons], Tags: r[recaps.FieldTags], Link: r[recaps.FieldLink]}
	for _, tt := range []struct {
		lang      i18n.Lang
		want, not []string
	}{
		{i18n.KO, []string{"요약이 저장되지 않았습니다", "입력하신 내용:", "• 컨퍼런스: 필수 항목입니다.", "제목:\n" + testRecapTitle}, []string{"not saved", "What you typed"}},
		{i18n.EN, []string{"Your recap was not saved", "What you typed:", "• Conference: Required.", "Title:\n" + testRecapTitle}, []string{"저장되지", "입력하신"}},
	} {
		t.Run(string(tt.lang), func(t *testing.T) {
			errs := recaps.FieldErrors{recaps.FieldConference: i18n.T(tt.lang, "form_err_required")}
			got := lateProblems(errs, d, tt.lang)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("got %q, want %q in it", got, w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(got, n) {
					t.Errorf("got %q, want no %q in it", got, n)
				}
			}
			bottest.Golden(t, "late_problems."+string(tt.lang)+".txt", []byte(got))
		})
	}
}

// The adapter's own words inside a rendered reply, the links' heading
// when the reply has none and the note that a message was cut, are in the
// language the core wrote the reply in (a Hangul query answered in Korean
// for a user whose locale is unknown, a digest post in its channel's
// language), rendered afresh and through the cache.
func TestRenderWordsLanguage(t *testing.T) {
	for _, l := range i18n.Langs {
		t.Run(string(l), func(t *testing.T) {
			links := bot.Reply{Title: "T", Links: []bot.Link{{Title: "slides", URL: "https://example.com/"}}, Lang: l}
			big := bottest.FuzzReply("x", "y", "https://example.com/", 299)
			big.Lang = l
			for _, c := range []struct {
				rep  bot.Reply
				want string
			}{
				{links, "*" + i18n.T(l, "links") + "*"},
				{big, i18n.T(l, "slack_cut")},
			} {
				for _, m := range []message{render(c.rep, view{}), (&renderCache{}).render(c.rep, view{}, responseEphemeral)} {
					js, _ := json.Marshal(m.Blocks)
					if !strings.Contains(string(js), c.want) {
						t.Errorf("reply in %s: got %.300s…, want %q in it", l, js, c.want)
					}
				}
			}
		})
	}
}
