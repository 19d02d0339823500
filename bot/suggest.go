package bot

import (
	"cmp"
	"fmt"
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

func buildVocab(c *recaps.Corpus, tagCount map[string]int) []suggestion {
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
	for _, t := range c.Talks {
		for _, s := range t.Speakers {
			add(s.Name, suggestSpeaker, 1)
			add(s.Handle, suggestSpeaker, 1)
		}
	}
	for tag, n := range tagCount {
		add(tag, suggestTag, n)
	}
	for _, t := range c.Talks {
		add(t.Title, suggestTitle, 1)
		add(t.TitleEN, suggestTitle, 1)
	}
	slices.SortStableFunc(v, func(a, b suggestion) int {
		return cmp.Or(cmp.Compare(b.weight, a.weight), cmp.Compare(a.kind, b.kind), cmp.Compare(a.text, b.text))
	})
	return v
}

// noResults answers a query that found nothing with the closest tags and
// speakers, or the most common tags when nothing is close.
func (b *Bot) noResults(q, what string) Reply {
	rep := Reply{
		Intro:   fmt.Sprintf("%s “%s”.", what, clean(q, 80)),
		Outcome: OutcomeNoResults,
	}
	var close []string
	for _, s := range b.closest(q, 6) {
		close = append(close, s.text)
	}
	if len(close) > 0 {
		rep.Sections = append(rep.Sections, Section{Heading: "Did you mean", Bullets: close})
	} else {
		var common []string
		for _, s := range b.vocab {
			if s.kind == suggestTag && len(common) < 10 {
				common = append(common, s.text)
			}
		}
		rep.Sections = append(rep.Sections, Section{Heading: "Popular tags", Bullets: common})
	}
	rep.Footer = "Try talk conferences, talk speaker <name>, or talk help."
	return rep
}

// closest returns up to n suggestions of the given kinds (tags and speakers
// when none are given) within a small edit distance of q (see
// search.Distance: swapped letters count as one edit), or containing it,
// nearest first. closest(q, n, suggestSpeaker) offers only speakers.
func (b *Bot) closest(q string, n int, kinds ...int) []suggestion {
	if len(kinds) == 0 {
		kinds = []int{suggestTag, suggestSpeaker}
	}
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
		if !slices.Contains(kinds, s.kind) {
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
func (b *Bot) Complete(prefix string, n int) []string {
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
