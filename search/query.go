package search

import (
	_ "embed"
	"strings"
)

// stopwordsFile lists the words a query drops; see its header.
//
//go:embed stopwords.txt
var stopwordsFile string

// Glossary holds what a query is read with besides the index: groups of
// words that mean the same thing (a query for one finds the others) and the
// stop words a question is written with. A Glossary is immutable and safe
// for concurrent use.
type Glossary struct {
	groups map[string][]string // folded word → folded words of its group
	stop   map[string]bool
}

// NewGlossary returns a glossary of the synonym groups (as recaps.Corpus
// has them) and the embedded stop words.
func NewGlossary(groups [][]string) *Glossary {
	g := &Glossary{groups: make(map[string][]string), stop: make(map[string]bool)}
	for _, group := range groups {
		folded := make([]string, 0, len(group))
		for _, w := range group {
			if f := Fold(w); f != "" {
				folded = append(folded, f)
			}
		}
		for _, f := range folded {
			g.groups[f] = append(g.groups[f], folded...)
		}
	}
	for line := range strings.Lines(stopwordsFile) {
		line, _, _ = strings.Cut(line, "#")
		for _, w := range strings.Fields(line) {
			g.stop[strings.ToLower(w)] = true
		}
	}
	return g
}

// Has reports whether a folded word is a glossary word.
func (g *Glossary) Has(w string) bool {
	_, ok := g.groups[w]
	return ok
}

// Synonyms returns the folded words of w's group, w included, or nil.
// The caller must not modify the result.
func (g *Glossary) Synonyms(w string) []string { return g.groups[Fold(w)] }

// Stop reports whether w (lowercase, as Words returns it) is a stop word.
func (g *Glossary) Stop(w string) bool { return g.stop[w] }

// Concept is one query word with its alternatives: the word itself and its
// glossary synonyms, each a list of index terms that must all match.
type Concept [][]string

// Parse turns a query into concepts:
//   - A Hangul word loses its particles and endings (see StripKorean), with
//     known saying which words the index holds.
//   - Consecutive words that together form a glossary entry ("event
//     driven", "이벤트 기반") become one concept with the entry's synonyms.
//   - Stop words are dropped, unless the query has nothing else.
//   - A word that is neither known nor a glossary word is replaced by what
//     correct returns for it, when correct is not nil and reports true.
//   - A glossary word expands to its group.
func (g *Glossary) Parse(q string, known func(string) bool, correct func(string) (string, bool)) []Concept {
	ws := Words(q)
	raw := make([]string, len(ws))
	copy(raw, ws)
	for i, w := range ws {
		if hangulWord(w) {
			ws[i] = StripKorean(w, g.Has, known)
		}
	}
	type unit struct {
		word  string
		group []string
		stop  bool
	}
	var units []unit
	content := 0
	for i := 0; i < len(ws); {
		n, group := 1, []string(nil)
		for k := min(3, len(ws)-i); k >= 1; k-- {
			if gr, ok := g.groups[strings.Join(ws[i:i+k], "")]; ok {
				n, group = k, gr
				break
			}
		}
		u := unit{word: ws[i], group: group}
		u.stop = group == nil && (g.stop[raw[i]] || g.stop[ws[i]])
		if !u.stop {
			content++
		}
		units = append(units, u)
		i += n
	}
	out := make([]Concept, 0, len(units))
	for _, u := range units {
		if u.stop && content > 0 {
			continue
		}
		if u.group == nil && correct != nil && !known(u.word) {
			if c, ok := correct(u.word); ok {
				u.word, u.group = c, g.groups[c]
			}
		}
		var c Concept
		if u.group == nil {
			c = append(c, Terms(u.word, nil))
		} else {
			seen := map[string]bool{}
			for _, w := range u.group {
				if !seen[w] {
					seen[w] = true
					c = append(c, TextTerms(w))
				}
			}
		}
		out = append(out, c)
	}
	return out
}
