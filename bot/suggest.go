package bot

import (
	"cmp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/talkbot/talkbot/recaps"
	"github.com/talkbot/talkbot/search"
)

// suggestion is a word a user might have meant: a tag, a speaker's name or
// handle, or a talk title.
type suggestion struct {
	text   string
	folded string
	kind   int // suggestTag, suggestSpeaker or suggestTitle
	weight int // how many talks carry it
}

const (
	suggestTag = iota
	suggestSpeaker
	suggestTitle
)

func buildVocab(talks []*recaps.Talk, tagCount map[string]int) []suggestion {
	var v []suggestion
	seen := map[string]bool{}
	add := func(text string, kind, weight int) {
		f := search.Fold(text)
		if f == "" || seen[f] {
			return
		}
		seen[f] = true
		v = append(v, suggestion{text, f, kind, weight})
	}
	for _, t := range talks {
		for _, s := range t.Speakers {
			add(s.Name, suggestSpeaker, 1)
			add(s.Handle, suggestSpeaker, 1)
		}
	}
	for tag, n := range tagCount {
		add(tag, suggestTag, n)
	}
	for _, t := range talks {
		add(t.Title, suggestTitle, 1)
		add(t.TitleEN, suggestTitle, 1)
	}
	slices.SortStableFunc(v, func(a, b suggestion) int {
		return cmp.Or(cmp.Compare(b.weight, a.weight), cmp.Compare(a.kind, b.kind), cmp.Compare(a.text, b.text))
	})
	return v
}

// noResults answers a query that found nothing with the closest tags and
// speakers, or the most common tags when nothing is close. With kind
// suggestSpeaker it suggests only speakers, and lists speakers when none is
// close; with -1 it suggests tags and speakers.
func (b snapshot) noResults(q, what string, kind int) Reply {
	rep := Reply{
		Intro:   b.msg("no_results", what, clean(q, 80)),
		Outcome: OutcomeNoResults,
	}
	var close []string
	for _, s := range b.closest(q, 6, kind) {
		close = append(close, s.text)
	}
	switch {
	case len(close) > 0:
		rep.Sections = append(rep.Sections, Section{Heading: b.msg("did_you_mean"), Bullets: close})
	case kind == suggestSpeaker:
		rep.Sections = append(rep.Sections, Section{Heading: b.msg("speakers_title"), Bullets: b.speakerNames(10)})
		rep.Footer = b.msg("speakers_footer")
		return rep
	default:
		var common []string
		for _, s := range b.vocab {
			if s.kind == suggestTag && len(common) < 10 {
				common = append(common, s.text)
			}
		}
		rep.Sections = append(rep.Sections, Section{Heading: b.msg("popular_tags"), Bullets: common})
	}
	rep.Footer = b.msg("try_footer")
	return rep
}

// closest returns up to n tags and speakers (only those of kind, unless it
// is -1) within a small edit distance of q, or containing it, nearest first.
func (b snapshot) closest(q string, n, kind int) []suggestion {
	f := search.Fold(q)
	if f == "" {
		return nil
	}
	limit := max(1, utf8.RuneCountInString(f)/3)
	type scored struct {
		s suggestion
		d int
	}
	var out []scored
	for _, s := range b.vocab {
		if s.kind == suggestTitle || kind >= 0 && s.kind != kind {
			continue
		}
		d := search.Distance(f, s.folded)
		if strings.Contains(s.folded, f) || strings.Contains(f, s.folded) && utf8.RuneCountInString(s.folded) > 2 {
			d = min(d, 1)
		}
		if d <= limit {
			out = append(out, scored{s, d})
		}
	}
	slices.SortStableFunc(out, func(a, b scored) int { return cmp.Compare(a.d, b.d) })
	res := make([]suggestion, 0, n)
	for _, o := range out[:min(n, len(out))] {
		res = append(res, o.s)
	}
	return res
}

// Complete suggests up to n completions of a partly typed query: tags,
// speakers and titles that start with or contain it, then titles of the
// talks a search for it finds. With an empty prefix it offers popular tags.
func (bot *Bot) Complete(prefix string, n int) []string {
	b := bot.snapshot()
	f := search.Fold(prefix)
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if len(out) < n && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	if f == "" {
		for _, s := range b.vocab {
			if s.kind == suggestTag {
				add(s.text)
			}
		}
		return out
	}
	for _, pass := range []func(s suggestion) bool{
		func(s suggestion) bool { return strings.HasPrefix(s.folded, f) && s.kind != suggestTitle },
		func(s suggestion) bool { return strings.HasPrefix(s.folded, f) },
		func(s suggestion) bool { return strings.Contains(s.folded, f) },
	} {
		for _, s := range b.vocab {
			if pass(s) {
				add(s.text)
			}
		}
	}
	if len(out) >= n {
		return out // full: no need to search (this runs on every keystroke)
	}
	hits, _ := b.index.Search(prefix, n)
	for _, h := range hits {
		add(h.Talk.Title)
	}
	return out
}
