package i18n

import (
	"maps"
	"slices"
	"testing"
)

// TestCatalog checks that every key is in both languages, with the same
// placeholders, and that plural messages are plural in both.
func TestCatalog(t *testing.T) {
	ko, err := Entries(KO)
	if err != nil {
		t.Fatal(err)
	}
	en, err := Entries(EN)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range slices.Sorted(maps.Keys(en)) {
		if _, ok := ko[k]; !ok {
			t.Errorf("%s: in en.toml, not in ko.toml", k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(ko)) {
		e, ok := en[k]
		if !ok {
			t.Errorf("%s: in ko.toml, not in en.toml", k)
			continue
		}
		kv, ev := forms(ko[k]), forms(e)
		if ko[k].Plural() != e.Plural() {
			t.Errorf("%s: plural in one language only", k)
		}
		ones := []string{e.One, ko[k].One}
		for _, f := range append(kv, ev...) {
			// Every form names the same placeholders, except that a
			// "one" form may leave out the count ("1 talk").
			if !slices.Equal(Verbs(f), Verbs(ev[len(ev)-1])) && !(e.Plural() && slices.Contains(ones, f) && slices.Equal(Verbs(f), withoutCount(Verbs(e.Other)))) {
				t.Errorf("%s: placeholders of %q are %v, want %v", k, f, Verbs(f), Verbs(ev[len(ev)-1]))
			}
		}
	}
}

func forms(e Entry) []string {
	if e.Plural() {
		if e.One == "" {
			return []string{e.Other}
		}
		return []string{e.One, e.Other}
	}
	return []string{e.Text}
}

func withoutCount(vs []string) []string {
	return slices.DeleteFunc(slices.Clone(vs), func(v string) bool { return v == "1:d" })
}

func TestPlurals(t *testing.T) {
	for _, c := range []struct {
		l    Lang
		key  string
		args []any
		want string
	}{
		{EN, "n_talks", []any{1}, "1 talk"},
		{EN, "n_talks", []any{2}, "2 talks"},
		{EN, "n_talks", []any{0}, "0 talks"},
		{EN, "n_speakers", []any{1}, "1 speaker."},
		{EN, "n_speakers", []any{12}, "12 speakers."},
		{EN, "best_of", []any{1, "“x”"}, "The one talk for “x”"},
		{EN, "best_of", []any{3, "“x”"}, "Best of 3 talks for “x”"},
		{EN, "conferences_intro", []any{T(EN, "n_talks", 1), T(EN, "n_conferences", 1)}, "1 talk from 1 conference."},
		{EN, "conferences_intro", []any{T(EN, "n_talks", 20), T(EN, "n_conferences", 3)}, "20 talks from 3 conferences."},
		{KO, "conferences_intro", []any{T(KO, "n_talks", 20), T(KO, "n_conferences", 3)}, "컨퍼런스 3곳의 발표 20개."},
		{EN, "cli_digest_plan", []any{1, "2026-11-30"}, "digest for the week of 2026-11-30 (1 channel)"},
		{EN, "cli_digest_plan", []any{2, "2026-11-30"}, "digest for the week of 2026-11-30 (2 channels)"},
		{KO, "cli_digest_plan", []any{2, "2026-11-30"}, "2026-11-30 주의 다이제스트 (채널 2개)"},
		{EN, "cli_lint_problems", []any{1, "recaps"}, "recaps: 1 problem"},
		{EN, "cli_lint_problems", []any{3, "recaps"}, "recaps: 3 problems"},
		{EN, "n_recaps", []any{1}, "1 recap"},
		{KO, "n_talks", []any{1}, "발표 1개"},
		{KO, "n_talks", []any{2}, "발표 2개"},
		{KO, "best_of", []any{3, "“샤딩”"}, "“샤딩”에 대한 발표 3개 중 가장 관련 있는 것"},
		{KO, "summary", nil, "요약"},
		{KO, "lessons", nil, "배운 점"},
		{EN, "summary", nil, "Summary"},
		{EN, "lessons", nil, "Lessons learned"},
		{"xx", "summary", nil, "Summary"},
		{EN, "summary", []any{10}, "Summary"}, // an argument the message does not use is ignored
	} {
		if got := T(c.l, c.key, c.args...); got != c.want {
			t.Errorf("T(%s, %s, %v) = %q, want %q", c.l, c.key, c.args, got, c.want)
		}
	}
}

func TestVerbs(t *testing.T) {
	for s, want := range map[string][]string{
		"%s and %d":       {"1:s", "2:d"},
		"%[2]s of %[1]d":  {"1:d", "2:s"},
		"100%% %s":        {"1:s"},
		"%[1]s %[1]s":     {"1:s", "1:s"},
		"no verbs at all": nil,
	} {
		if got := Verbs(s); !slices.Equal(got, want) {
			t.Errorf("Verbs(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestParse(t *testing.T) {
	for s, want := range map[string]Lang{"ko": KO, "ko-KR": KO, "ko_KR.UTF-8": KO, "en": EN, "en-US": EN, "en_GB.UTF-8": EN} {
		if got, ok := Parse(s); !ok || got != want {
			t.Errorf("Parse(%q) = %q, %v; want %q", s, got, ok, want)
		}
	}
	for _, s := range []string{"", "auto", "fr", "korean", "C", "C.UTF-8", "POSIX"} {
		if _, ok := Parse(s); ok {
			t.Errorf("Parse(%q) accepted", s)
		}
	}
	if FromLocale("ko") != KO || FromLocale("en-US") != EN || FromLocale("ja") != EN || FromLocale("") != EN {
		t.Error("FromLocale")
	}
	if !Hangul("샤딩") || !Hangul("카프카 kafka") || Hangul("sharding") || Hangul("123") {
		t.Error("Hangul")
	}
}
