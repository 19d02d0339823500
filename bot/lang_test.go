package bot_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/bottest"
	"github.com/talkbot/talkbot/bot/i18n"
	"github.com/talkbot/talkbot/recaps"
)

func askIn(b *bot.Bot, text string, lang i18n.Lang) bot.Reply {
	return b.Handle(context.Background(), bot.Request{Platform: "test", Channel: "C1", User: "U1", Command: bot.ParseCommand(text), CanManage: true, Lang: lang})
}

func headings(r bot.Reply) []string {
	var hs []string
	for _, s := range r.Sections {
		hs = append(hs, s.Heading)
	}
	return hs
}

// The contract labels: 요약 and 배운 점 in Korean, Summary and Lessons
// learned in English, with buttons and fields in the same language.
func TestAnswerLanguage(t *testing.T) {
	b := bottest.GoldenBot(t)
	ko := askIn(b, "sharding", i18n.KO)
	if got := headings(ko); !slices.Equal(got, []string{"요약", "배운 점"}) {
		t.Errorf("Korean headings = %q, want 요약, 배운 점", got)
	}
	if !strings.Contains(ko.Intro, "발표 3개") || ko.Actions[len(ko.Actions)-1].Label != "채널에 공유" || ko.ItemsHeading != "더 많은 결과" {
		t.Errorf("Korean answer: intro %q, actions %v, items heading %q", ko.Intro, ko.Actions, ko.ItemsHeading)
	}
	en := askIn(b, "sharding", i18n.EN)
	if got := headings(en); !slices.Equal(got, []string{"Summary", "Lessons learned"}) {
		t.Errorf("English headings = %q, want Summary, Lessons learned", got)
	}
	if !strings.HasPrefix(en.Intro, "Best of 3 talks for") || en.Actions[len(en.Actions)-1].Label != "Share to channel" {
		t.Errorf("English answer: intro %q, actions %v", en.Intro, en.Actions)
	}
	for _, it := range ko.Items {
		if it.Action == nil || it.Action.Label != "전체 요약 보기" {
			t.Errorf("Korean item %q: action %v", it.Text, it.Action)
		}
	}
	// The Korean command words answer in the user's language.
	for _, w := range []string{"도움말", "랜덤", "이번주", "발표자 임문규", "구독목록"} {
		if rep := askIn(b, w, i18n.KO); rep.Outcome != bot.OutcomeOK || strings.Contains(rep.Title+rep.Intro, "Talk of the week") {
			t.Errorf("%s: outcome %s, title %q, intro %q", w, rep.Outcome, rep.Title, rep.Intro)
		}
	}
	help := askIn(b, "도움말", i18n.KO)
	if help.Sections[0].Heading != "명령" || !slices.ContainsFunc(help.Sections[0].Bullets, func(s string) bool { return strings.HasPrefix(s, "talk 구독 ") }) {
		t.Errorf("Korean help: %q %q", help.Sections[0].Heading, help.Sections[0].Bullets)
	}
	if help := askIn(b, "help", i18n.EN); help.Sections[0].Heading != "Commands" {
		t.Errorf("English help heading %q", help.Sections[0].Heading)
	}
	// English plurals: "1 talk", "2 talks".
	sp := askIn(b, "speakers", i18n.EN)
	for _, it := range sp.Items {
		n, _, _ := strings.Cut(it.Detail, " · ")
		if n != "1 talk" && !strings.HasSuffix(n, " talks") || n == "1 talks" {
			t.Errorf("speaker %s: detail %q", it.Text, it.Detail)
		}
	}
}

// title_en is shown beside the Korean title in English answers, and in
// Korean answers only when it differs from the title.
func TestTitleEN(t *testing.T) {
	b := bottest.GoldenBot(t)
	var diff *recaps.Talk
	for _, tk := range b.Talks() {
		if tk.TitleEN != "" && tk.TitleEN != tk.Title {
			diff = tk
			break
		}
	}
	if diff == nil {
		t.Fatal("no talk with a distinct title_en in the corpus")
	}
	en := askIn(b, "show "+diff.ID, i18n.EN)
	if en.Title != diff.Title+" · "+diff.TitleEN {
		t.Errorf("English title = %q, want the Korean and the English title", en.Title)
	}
	ko := askIn(b, "show "+diff.ID, i18n.KO)
	if ko.Title != diff.Title || !strings.Contains(ko.Intro, diff.TitleEN) {
		t.Errorf("Korean answer: title %q, intro %q; want the title, and title_en in the intro", ko.Title, ko.Intro)
	}
}

// Without a language in the request, the Bot answers in Options.Lang.
func TestDefaultLanguage(t *testing.T) {
	c, err := recaps.Load(recaps.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	ko := bot.New(c, bot.Options{Lang: i18n.KO})
	if got := headings(askIn(ko, "sharding", "")); got[0] != "요약" {
		t.Errorf("Options.Lang ko, no request language: headings %q", got)
	}
	if got := headings(askIn(ko, "sharding", i18n.EN)); got[0] != "Summary" {
		t.Errorf("Options.Lang ko, request en: headings %q", got)
	}
	if got := headings(askIn(bot.New(c, bot.Options{}), "sharding", "")); got[0] != "Summary" {
		t.Errorf("no language anywhere: headings %q, want English", got)
	}
	// auto: Hangul text without a language tips the answer to Korean.
	auto := bot.New(c, bot.Options{Lang: i18n.Auto})
	for _, tt := range []struct {
		text string
		lang i18n.Lang
		want string
	}{{"샤딩", "", "요약"}, {"sharding", "", "Summary"}, {"샤딩", i18n.EN, "Summary"}, {"sharding", i18n.KO, "요약"}} {
		if got := headings(askIn(auto, tt.text, tt.lang)); got[0] != tt.want {
			t.Errorf("auto, %q with language %q: headings %q, want %s", tt.text, tt.lang, got, tt.want)
		}
	}
	if got := headings(askIn(ko, "sharding", "")); got[0] != "요약" {
		t.Errorf("ko: English text must not tip the answer: %q", got)
	}
	// A message the user wrote (a DM, a mention): under auto, Hangul
	// wins over the user's locale; a language set in the options does
	// not tip.
	en := bot.New(c, bot.Options{Lang: i18n.EN})
	for _, tt := range []struct {
		b    *bot.Bot
		text string
		lang i18n.Lang
		want i18n.Lang
	}{{auto, "샤딩", i18n.EN, i18n.KO}, {auto, "sharding", i18n.KO, i18n.KO}, {auto, "sharding", i18n.EN, i18n.EN}, {en, "샤딩", "", i18n.EN}, {en, "샤딩", i18n.KO, i18n.KO}} {
		r := bot.Request{Platform: "test", User: "U1", Command: bot.ParseCommand(tt.text), Lang: tt.lang, Written: true}
		if got := tt.b.LangOf(r); got != tt.want {
			t.Errorf("written %q with locale %q: LangOf %q, want %q", tt.text, tt.lang, got, tt.want)
		}
		if rep := tt.b.Handle(context.Background(), r); rep.Lang != tt.want {
			t.Errorf("written %q with locale %q: answered in %q, want %q", tt.text, tt.lang, rep.Lang, tt.want)
		}
	}
}

// talk subscribe --lang sets the digest's language; without it the
// subscriber's language is kept; talk subscriptions shows it, and the
// digest post is written in it.
func TestSubscriptionLanguage(t *testing.T) {
	ctx := context.Background()
	c := &clock{time.Date(2026, 11, 23, 9, 0, 0, 0, seoul)}
	st := bottest.NewStore()
	b := newDigestBot(t, st, c)
	sub := func(ch, text string, lang i18n.Lang) bot.Reply {
		return b.Handle(ctx, bot.Request{Platform: "slack", Channel: ch, User: "U1", Command: bot.ParseCommand(text), CanManage: true, Lang: lang})
	}
	if rep := sub("C1", "subscribe --lang ko kafka", i18n.EN); rep.Outcome != bot.OutcomeOK {
		t.Fatalf("subscribe --lang ko: %s %q", rep.Outcome, rep.Intro)
	}
	if rep := sub("C2", "구독", i18n.KO); rep.Outcome != bot.OutcomeOK || rep.Title != "구독했습니다" {
		t.Fatalf("구독: %s %q %q", rep.Outcome, rep.Title, rep.Intro)
	}
	if rep := sub("C3", "subscribe --lang=en", i18n.KO); rep.Outcome != bot.OutcomeOK {
		t.Fatalf("subscribe --lang=en: %s %q", rep.Outcome, rep.Intro)
	}
	if rep := sub("C4", "subscribe --lang fr", i18n.EN); rep.Outcome != bot.OutcomeUsage || !strings.Contains(rep.Intro, "fr") {
		t.Errorf("subscribe --lang fr: %s %q, want a usage answer naming fr", rep.Outcome, rep.Intro)
	}
	for ch, want := range map[string]i18n.Lang{"C1": i18n.KO, "C2": i18n.KO, "C3": i18n.EN} {
		s, err := st.Subscription(ctx, bot.ChannelRef{Platform: "slack", Channel: ch})
		if err != nil || s.Lang != want {
			t.Errorf("%s: stored language %q (%v), want %q", ch, s.Lang, err, want)
		}
	}
	s, _ := st.Subscription(ctx, bot.ChannelRef{Platform: "slack", Channel: "C1"})
	if !slices.Equal(s.Topics, []string{"kafka"}) {
		t.Errorf("C1 topics %q: --lang ko must not become a topic", s.Topics)
	}
	field := func(r bot.Reply, name string) string {
		for _, f := range r.Fields {
			if f.Name == name {
				return f.Value
			}
		}
		return ""
	}
	if got := field(sub("C1", "subscriptions", i18n.EN), "Language"); got != "Korean" {
		t.Errorf("subscriptions (en) of C1: Language %q, want Korean", got)
	}
	if got := field(sub("C3", "구독목록", i18n.KO), "언어"); got != "영어" {
		t.Errorf("구독목록 (ko) of C3: 언어 %q, want 영어", got)
	}

	sender := bottest.NewSender()
	d := mustDigest(t, b, bot.DigestOptions{Senders: map[string]bot.Sender{"slack": sender}})
	if _, err := d.Run(ctx, bot.WeekOf(c.t, seoul)); err != nil {
		t.Fatal(err)
	}
	for ch, want := range map[string]string{"C1": "이번 주의 발표 (2026년 11월 23일)", "C2": "이번 주의 발표", "C3": "Talk of the week (Nov 23, 2026)"} {
		posts := sender.Posts(bot.ChannelRef{Platform: "slack", Channel: ch})
		if len(posts) != 1 || !strings.HasPrefix(posts[0].Reply.Intro, want) {
			t.Errorf("%s: digest posts %d, intro %q; want one starting %q", ch, len(posts), introOf(posts), want)
		}
	}
}

func introOf(ps []bottest.Post) string {
	if len(ps) == 0 {
		return ""
	}
	return ps[0].Reply.Intro
}
