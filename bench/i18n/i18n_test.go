// Package i18n compares the hot-path cost of talkbot's message catalog
// (golang.org/x/text/message, package bot/i18n) with
// github.com/nicksnyder/go-i18n/v2 on the same three messages: a static
// label, a plural message with a query, and a message with three numbers.
// It is a module of its own so that go-i18n stays out of talkbot's build.
//
//	cd bench/i18n && go test -bench . -benchmem
package i18n

import (
	"testing"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"github.com/talkbot/talkbot/bot/i18n"
)

// goI18n holds the three messages as go-i18n templates, in Korean and
// English, with the texts of bot/i18n's catalog.
func goI18n(tb testing.TB) map[i18n.Lang]*goi18n.Localizer {
	b := goi18n.NewBundle(language.English)
	msgs := map[language.Tag][]*goi18n.Message{
		language.English: {
			{ID: "summary", Other: "Summary"},
			{ID: "best_of", One: "The one talk for {{.Query}}", Other: "Best of {{.Count}} talks for {{.Query}}"},
			{ID: "results_range", Other: "Results {{.From}}–{{.To}} of {{.Total}}."},
		},
		language.Korean: {
			{ID: "summary", Other: "요약"},
			{ID: "best_of", Other: "{{.Query}}에 대한 발표 {{.Count}}개 중 가장 관련 있는 것"},
			{ID: "results_range", Other: "결과 {{.From}}–{{.To}} / {{.Total}}."},
		},
	}
	for tag, ms := range msgs {
		if err := b.AddMessages(tag, ms...); err != nil {
			tb.Fatal(err)
		}
	}
	return map[i18n.Lang]*goi18n.Localizer{
		i18n.KO: goi18n.NewLocalizer(b, "ko"),
		i18n.EN: goi18n.NewLocalizer(b, "en"),
	}
}

var sink string

func BenchmarkCatalog(b *testing.B) {
	for _, l := range i18n.Langs {
		b.Run("xtext/static/"+string(l), func(b *testing.B) {
			for b.Loop() {
				sink = i18n.T(l, "summary")
			}
		})
		b.Run("xtext/plural/"+string(l), func(b *testing.B) {
			for b.Loop() {
				sink = i18n.T(l, "best_of", 3, "“sharding”")
			}
		})
		b.Run("xtext/numbers/"+string(l), func(b *testing.B) {
			for b.Loop() {
				sink = i18n.T(l, "results_range", 6, 10, 12)
			}
		})
	}
	locs := goI18n(b)
	for _, l := range i18n.Langs {
		loc := locs[l]
		b.Run("goi18n/static/"+string(l), func(b *testing.B) {
			for b.Loop() {
				sink = loc.MustLocalize(&goi18n.LocalizeConfig{MessageID: "summary"})
			}
		})
		b.Run("goi18n/plural/"+string(l), func(b *testing.B) {
			for b.Loop() {
				sink = loc.MustLocalize(&goi18n.LocalizeConfig{MessageID: "best_of", PluralCount: 3,
					TemplateData: map[string]any{"Count": 3, "Query": "“sharding”"}})
			}
		})
		b.Run("goi18n/numbers/"+string(l), func(b *testing.B) {
			for b.Loop() {
				sink = loc.MustLocalize(&goi18n.LocalizeConfig{MessageID: "results_range",
					TemplateData: map[string]any{"From": 6, "To": 10, "Total": 12}})
			}
		})
	}
}

// TestSameText checks that both give the same words, so that the
// benchmark compares like with like.
func TestSameText(t *testing.T) {
	locs := goI18n(t)
	for _, l := range i18n.Langs {
		for _, c := range []struct {
			key  string
			cfg  *goi18n.LocalizeConfig
			args []any
		}{
			{"summary", &goi18n.LocalizeConfig{MessageID: "summary"}, nil},
			{"best_of", &goi18n.LocalizeConfig{MessageID: "best_of", PluralCount: 3, TemplateData: map[string]any{"Count": 3, "Query": "“x”"}}, []any{3, "“x”"}},
			{"results_range", &goi18n.LocalizeConfig{MessageID: "results_range", TemplateData: map[string]any{"From": 6, "To": 10, "Total": 12}}, []any{6, 10, 12}},
		} {
			want := i18n.T(l, c.key, c.args...)
			if got := locs[l].MustLocalize(c.cfg); got != want {
				t.Errorf("%s %s: go-i18n says %q, the catalog %q", l, c.key, got, want)
			}
		}
	}
}
