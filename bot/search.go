package bot

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/talkbot/talkbot/recaps"
)

// Field weights for BM25F: a term in a title or tag says more about a talk
// than the same term in a summary bullet.
const (
	weightTitle   = 3
	weightTag     = 3
	weightSpeaker = 2
	weightConf    = 1
	weightBody    = 1

	bm25K1 = 1.2
	bm25B  = 0.75
)

// Index is a BM25F full-text index over talks, with Hangul syllable bigrams
// and a bilingual glossary that expands a query word to its synonyms in both
// languages. An Index is immutable once built and safe for concurrent use.
type Index struct {
	talks    []recaps.Talk
	postings map[string][]posting
	// lenNorm is BM25's k1·(1 − b + b·len/avglen) for each talk.
	lenNorm []float32
	// glossary maps a folded word to the folded words of its group.
	glossary map[string][]string
	pool     sync.Pool // of *scratch
}

type posting struct {
	doc int32
	tf  float32
}

// Hit is one search result.
type Hit struct {
	Talk  *recaps.Talk
	Score float64
}

// NewIndex indexes talks. Conferences contribute their names and aliases to
// each of their talks, so "deview kubernetes" ranks DEVIEW's talk first.
// The index keeps a reference to talks; the caller must not modify them.
func NewIndex(talks []recaps.Talk, confs []recaps.Conference, glossary [][]string) *Index {
	ix := &Index{
		talks:    talks,
		postings: make(map[string][]posting),
		lenNorm:  make([]float32, len(talks)),
		glossary: make(map[string][]string),
	}
	for _, group := range glossary {
		folded := make([]string, 0, len(group))
		for _, w := range group {
			folded = append(folded, fold(w))
		}
		for _, f := range folded {
			ix.glossary[f] = append(ix.glossary[f], folded...)
		}
	}
	confText := map[string]string{}
	for _, c := range confs {
		confText[c.ID] = strings.Join(append([]string{c.Name, c.NameKO, strconv.Itoa(c.Year)}, c.Aliases...), " ")
	}
	tf := map[string]float32{}
	var buf []string
	add := func(text string, w float32) {
		buf = buf[:0]
		for _, wd := range words(text) {
			buf = terms(wd, buf)
		}
		for _, t := range buf {
			tf[t] += w
		}
	}
	var total float64
	for i := range talks {
		t := &talks[i]
		clear(tf)
		add(t.Title, weightTitle)
		add(t.TitleEN, weightTitle)
		for _, a := range t.TitleAliases {
			add(a, weightTitle)
		}
		for _, tag := range t.Tags {
			add(tag, weightTag)
		}
		for _, s := range t.Speakers {
			add(s.Name, weightSpeaker)
			add(s.Handle, weightSpeaker)
			add(s.Team, weightBody)
		}
		add(confText[t.Conference], weightConf)
		add(t.Track, weightBody)
		for _, s := range t.Summary {
			add(s, weightBody)
		}
		for _, s := range t.Lessons {
			add(s, weightBody)
		}
		var n float32
		for term, f := range tf {
			ix.postings[term] = append(ix.postings[term], posting{int32(i), f})
			n += f
		}
		ix.lenNorm[i] = n
		total += float64(n)
	}
	if len(talks) > 0 {
		avg := total / float64(len(talks))
		for i, n := range ix.lenNorm {
			ix.lenNorm[i] = float32(bm25K1 * (1 - bm25B + bm25B*float64(n)/avg))
		}
	}
	return ix
}

// inGlossary reports whether a folded word is a glossary word.
func (ix *Index) inGlossary(w string) bool {
	_, ok := ix.glossary[w]
	return ok
}

// indexed reports whether all of a word's index terms occur in the corpus.
func (ix *Index) indexed(w string) bool {
	ts := terms(w, nil)
	for _, t := range ts {
		if _, ok := ix.postings[t]; !ok {
			return false
		}
	}
	return len(ts) > 0
}

// concept is one query word with its alternatives: the word itself and its
// glossary synonyms, each a list of index terms that must all match.
type concept [][]string

// parse turns a query into concepts. Consecutive words that together form a
// glossary entry ("event driven", "이벤트 기반") become one concept.
func (ix *Index) parse(q string) []concept {
	ws := words(q)
	for i, w := range ws {
		r, _ := utf8.DecodeRuneInString(w)
		if isHangul(r) {
			ws[i] = stripKorean(w, ix.inGlossary, ix.indexed)
		}
	}
	var out []concept
	for i := 0; i < len(ws); {
		n, group := 1, []string(nil)
		for k := min(3, len(ws)-i); k >= 1; k-- {
			if g, ok := ix.glossary[strings.Join(ws[i:i+k], "")]; ok {
				n, group = k, g
				break
			}
		}
		var c concept
		if group == nil {
			c = append(c, terms(ws[i], nil))
		} else {
			seen := map[string]bool{}
			for _, g := range group {
				if !seen[g] {
					seen[g] = true
					c = append(c, textTerms(g))
				}
			}
		}
		out = append(out, c)
		i += n
	}
	return out
}

// scratch holds per-query accumulators indexed by document, reused across
// queries through Index.pool so a query allocates only its hits. Every
// slot is zero between uses; the touched lists say which slots to reset.
type scratch struct {
	score   []float64
	matched []uint16
	best    []float64
	alt     []float64
	count   []uint16
	inAll   []int32 // docs with a score
	inBest  []int32 // docs matched by the current concept
	inAlt   []int32 // docs touched by the current alternative
}

func (ix *Index) getScratch() *scratch {
	if s, ok := ix.pool.Get().(*scratch); ok {
		return s
	}
	n := len(ix.talks)
	return &scratch{
		score: make([]float64, n), matched: make([]uint16, n), best: make([]float64, n),
		alt: make([]float64, n), count: make([]uint16, n),
	}
}

// Search returns the talks matching q, best first. Each query word (with its
// synonyms) adds its best-matching alternative's BM25F score; a talk missing
// some of the words is ranked below talks that have them all.
func (ix *Index) Search(q string) []Hit {
	concepts := ix.parse(q)
	if len(concepts) == 0 || len(ix.talks) == 0 {
		return nil
	}
	n := float64(len(ix.talks))
	s := ix.getScratch()
	defer ix.pool.Put(s)
	for _, c := range concepts {
		for _, a := range c {
			for _, t := range a {
				ps := ix.postings[t]
				if len(ps) == 0 {
					break // this alternative cannot match in full
				}
				df := float64(len(ps))
				idf := math.Log(1 + (n-df+0.5)/(df+0.5))
				for _, p := range ps {
					tf := float64(p.tf)
					if s.count[p.doc] == 0 {
						s.inAlt = append(s.inAlt, p.doc)
					}
					s.alt[p.doc] += idf * tf * (bm25K1 + 1) / (tf + float64(ix.lenNorm[p.doc]))
					s.count[p.doc]++
				}
			}
			for _, d := range s.inAlt {
				if int(s.count[d]) == len(a) && s.alt[d] > s.best[d] {
					if s.best[d] == 0 {
						s.inBest = append(s.inBest, d)
					}
					s.best[d] = s.alt[d]
				}
				s.alt[d], s.count[d] = 0, 0
			}
			s.inAlt = s.inAlt[:0]
		}
		for _, d := range s.inBest {
			if s.matched[d] == 0 {
				s.inAll = append(s.inAll, d)
			}
			s.score[d] += s.best[d]
			s.matched[d]++
			s.best[d] = 0
		}
		s.inBest = s.inBest[:0]
	}
	hits := make([]Hit, 0, len(s.inAll))
	for _, d := range s.inAll {
		// Coordination: a talk matching every query word outranks one that
		// matches fewer, whatever their raw scores.
		score := s.score[d] * float64(s.matched[d]) / float64(len(concepts))
		hits = append(hits, Hit{Talk: &ix.talks[d], Score: score})
		s.score[d], s.matched[d] = 0, 0
	}
	s.inAll = s.inAll[:0]
	slices.SortFunc(hits, func(a, b Hit) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.Talk.ID, b.Talk.ID))
	})
	return hits
}
