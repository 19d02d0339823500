// Package search is talkbot's full-text index over talk recaps: words and
// Hangul syllable bigrams, light stemming, Korean particle stripping, a
// bilingual glossary, stop words, spelling correction, BM25F ranking with a
// bounded top-k selection, and incremental updates. It knows nothing of
// commands or replies.
package search

import (
	"cmp"
	"container/heap"
	"errors"
	"fmt"
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

// Errors returned by Add, AddConference, Update and Remove.
var (
	ErrExists   = errors.New("a talk with this id is already indexed")
	ErrNotFound = errors.New("no talk with this id is indexed")
)

// Index is a BM25F full-text index over talks (see the package comment).
//
// An Index is safe for concurrent use: any number of goroutines may Search
// while others Add, Update or Remove. Updates are serialized and each is
// atomic: a search sees a talk entirely before or entirely after a change.
// The Index keeps the *recaps.Talk values it is given and hands them out in
// hits; nobody may modify a talk once it is indexed (Update indexes a new
// value instead).
type Index struct {
	glossary *Glossary

	// spare holds scratch space of finished queries for the next ones. A
	// sync.Pool would drop it at every garbage collection, and at 100k talks
	// making a new one is the slowest part of a query.
	spareMu sync.Mutex
	spare   []*scratch

	mu       sync.RWMutex
	docs     []doc            // by doc number; a free slot has a nil talk
	free     []int32          // free doc numbers, reused by Add
	byID     map[string]int32 // talk id → doc number
	termIDs  map[string]int32 // index term → term number
	postings [][]posting      // by term number
	confText map[string]string
	totalLen float64 // sum of the live docs' lengths
	// tf and touched accumulate one talk's term frequencies while it is
	// indexed, by term number; tf is all zero between uses.
	tf      []float32
	touched []int32
	terms   []string // one field's terms, while a talk is indexed
	// expect is the number of talks New is indexing, 0 after: it sizes
	// posting lists as they grow.
	expect int
}

type doc struct {
	talk *recaps.Talk
	len  float32 // weighted number of terms
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

// New indexes talks. Conferences contribute their names and aliases to each
// of their talks, so "deview kubernetes" ranks DEVIEW's talk first; glossary
// is recaps.Corpus.Glossary. The index keeps pointers into talks.
func New(talks []recaps.Talk, confs []recaps.Conference, glossary [][]string) *Index {
	ix := &Index{
		glossary: NewGlossary(glossary),
		docs:     make([]doc, 0, len(talks)),
		byID:     make(map[string]int32, len(talks)),
		termIDs:  make(map[string]int32),
		confText: make(map[string]string, len(confs)),
	}
	for _, c := range confs {
		ix.confText[c.ID] = confText(c)
	}
	ix.expect = len(talks)
	// Tokenizing on several goroutines was measured and dropped: handing
	// terms between goroutines doubled the CPU time of a 100k build.
	for i := range talks {
		if _, dup := ix.byID[talks[i].ID]; !dup { // recaps.Load never gives two talks one id
			ix.add(&talks[i])
		}
	}
	ix.expect = 0
	return ix
}

// Glossary returns the glossary queries are read with.
func (ix *Index) Glossary() *Glossary { return ix.glossary }

// Len returns the number of indexed talks.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.byID)
}

// AddConference makes c's names, aliases and year part of the text of the
// talks at c, for talks added from now on (a conference created with a
// contributed recap). It returns ErrExists if the index knows c's id: the
// text of a conference that has talks never changes, so that removing one
// finds exactly the terms it was indexed with.
func (ix *Index) AddConference(c recaps.Conference) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if _, ok := ix.confText[c.ID]; ok {
		return fmt.Errorf("add conference %q: %w", c.ID, ErrExists)
	}
	ix.confText[c.ID] = confText(c)
	return nil
}

func confText(c recaps.Conference) string {
	return strings.Join(append([]string{c.Name, c.NameKO, strconv.Itoa(c.Year)}, c.Aliases...), " ")
}

// Add indexes t. It returns ErrExists if a talk with t's id is indexed.
func (ix *Index) Add(t *recaps.Talk) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if _, ok := ix.byID[t.ID]; ok {
		return fmt.Errorf("add %q: %w", t.ID, ErrExists)
	}
	ix.add(t)
	return nil
}

// Update replaces the indexed talk that has t's id with t. It returns
// ErrNotFound if no talk has that id.
func (ix *Index) Update(t *recaps.Talk) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	d, ok := ix.byID[t.ID]
	if !ok {
		return fmt.Errorf("update %q: %w", t.ID, ErrNotFound)
	}
	ix.remove(d)
	ix.add(t)
	return nil
}

// Remove removes the talk with the given id. It returns ErrNotFound if no
// talk has that id.
func (ix *Index) Remove(id string) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	d, ok := ix.byID[id]
	if !ok {
		return fmt.Errorf("remove %q: %w", id, ErrNotFound)
	}
	ix.remove(d)
	return nil
}

// eachField calls fn with each indexed text of t and its weight.
func (ix *Index) eachField(t *recaps.Talk, fn func(text string, w float32)) {
	fn(t.Title, weightTitle)
	fn(t.TitleEN, weightTitle)
	for _, a := range t.TitleAliases {
		fn(a, weightTitle)
	}
	for _, tag := range t.Tags {
		fn(tag, weightTag)
	}
	for _, s := range t.Speakers {
		fn(s.Name, weightSpeaker)
		fn(s.Handle, weightSpeaker)
		fn(s.Team, weightBody)
	}
	fn(ix.confText[t.Conference], weightConf)
	fn(t.Track, weightBody)
	for _, s := range t.Summary {
		fn(s, weightBody)
	}
	for _, s := range t.Lessons {
		fn(s, weightBody)
	}
}

// add indexes t under a new doc number. The caller holds mu.
func (ix *Index) add(t *recaps.Talk) {
	var d int32
	if n := len(ix.free); n > 0 {
		d, ix.free = ix.free[n-1], ix.free[:n-1]
	} else {
		d = int32(len(ix.docs))
		ix.docs = append(ix.docs, doc{})
	}
	ix.eachField(t, func(text string, w float32) {
		ix.terms = appendTerms(ix.terms[:0], text)
		for _, term := range ix.terms {
			id := ix.termID(term)
			if ix.tf[id] == 0 {
				ix.touched = append(ix.touched, id)
			}
			ix.tf[id] += w
		}
	})
	var n float32
	for _, id := range ix.touched {
		ix.post(id, d, ix.tf[id])
		n += ix.tf[id]
		ix.tf[id] = 0
	}
	ix.touched = ix.touched[:0]
	ix.docs[d] = doc{talk: t, len: n}
	ix.byID[t.ID] = d
	ix.totalLen += float64(n)
}

// termID returns the number of term, adding the term if it is new. The
// caller holds mu.
func (ix *Index) termID(term string) int32 {
	id, ok := ix.termIDs[term]
	if !ok {
		id = int32(len(ix.postings))
		ix.termIDs[strings.Clone(term)] = id
		ix.postings = append(ix.postings, nil)
		ix.tf = append(ix.tf, 0)
	}
	return id
}

// post appends doc d with term frequency tf to term id's postings. The
// caller holds mu.
func (ix *Index) post(id, d int32, tf float32) {
	ps := ix.postings[id]
	if len(ps) == cap(ps) {
		ps = slices.Grow(ps, ix.growth(len(ps)))
	}
	ix.postings[id] = append(ps, posting{d, tf})
}

// growth returns how many postings to add room for in a full list of n.
// While New indexes, a list is sized for its share of the talks still to
// come, as seen so far, so most lists are copied a few times, not the
// dozens of times append's 1.25× growth of large slices takes. Otherwise it
// doubles the list.
func (ix *Index) growth(n int) int {
	done := len(ix.byID) + 1
	if ix.expect <= done || n < 16 {
		return max(n, 4)
	}
	// Expected final length n·expect/done, plus 1/16 of it for noise.
	want := n * ix.expect / done
	return max(n/4, min(want+want/16, ix.expect)-n)
}

// remove drops doc d from the postings of its terms. The caller holds mu.
func (ix *Index) remove(d int32) {
	t := ix.docs[d].talk
	ix.eachField(t, func(text string, _ float32) {
		ix.terms = appendTerms(ix.terms[:0], text)
		for _, term := range ix.terms {
			id, ok := ix.termIDs[term]
			if ok && ix.tf[id] == 0 {
				ix.touched = append(ix.touched, id)
				ix.tf[id] = 1
			}
		}
	})
	for _, id := range ix.touched {
		ps := ix.postings[id]
		for i := range ps {
			if ps[i].doc == d {
				ps[i] = ps[len(ps)-1]
				ix.postings[id] = ps[:len(ps)-1]
				break
			}
		}
		ix.tf[id] = 0
	}
	ix.touched = ix.touched[:0]
	ix.totalLen -= float64(ix.docs[d].len)
	ix.docs[d] = doc{}
	delete(ix.byID, t.ID)
	ix.free = append(ix.free, d)
}

// indexed reports whether all of a word's index terms occur in the corpus.
// The caller holds mu.
func (ix *Index) indexed(w string) bool {
	var buf [8]string
	ts := appendTerms(buf[:0], w)
	for _, t := range ts {
		if id, found := ix.termIDs[t]; !found || len(ix.postings[id]) == 0 {
			return false
		}
	}
	return len(ts) > 0
}

// Correct returns the word of the index's vocabulary or glossary closest to
// w when w (a word as Words returns it) matches nothing: within one edit
// (insertion, deletion, substitution or swap of adjacent letters, see
// Distance) for a word of four to seven letters or of three or more Hangul
// syllables, two for longer words. Among equally close words, glossary words
// come first, then the most frequent. It reports false when w is known or
// nothing is close enough.
func (ix *Index) Correct(w string) (string, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.correct(w)
}

func (ix *Index) correct(w string) (string, bool) {
	if w == "" || ix.glossary.Has(w) || ix.indexed(w) {
		return "", false
	}
	n := utf8.RuneCountInString(w)
	limit := 0
	switch {
	case hangulWord(w) && n >= 3:
		limit = 1
	case hangulWord(w):
	case n >= 8:
		limit = 2
	case n >= 4:
		limit = 1
	}
	if limit == 0 {
		return "", false
	}
	type cand struct {
		word     string
		dist     int
		glossary bool
		df       int
	}
	var best cand
	found := false
	consider := func(c cand) {
		if d := utf8.RuneCountInString(c.word) - n; d > limit || -d > limit {
			return
		}
		if c.dist = Distance(w, c.word); c.dist > limit {
			return
		}
		if !found || cmp.Or(cmp.Compare(c.dist, best.dist), -compareBool(c.glossary, best.glossary),
			-cmp.Compare(c.df, best.df), cmp.Compare(c.word, best.word)) < 0 {
			best, found = c, true
		}
	}
	for g := range ix.glossary.groups {
		if hangulWord(g) == hangulWord(w) {
			consider(cand{word: g, glossary: true})
		}
	}
	if !hangulWord(w) {
		// Other words are indexed whole (stemmed): the terms are the
		// vocabulary.
		for term, id := range ix.termIDs {
			if df := len(ix.postings[id]); df > 0 && !hangulWord(term) {
				consider(cand{word: term, df: df})
			}
		}
	}
	return best.word, found
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// scratch holds per-query accumulators indexed by doc number, reused across
// queries through Index.spare so a query allocates only its hits. Every slot
// is zero between uses; the touched lists say which slots to reset.
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

// maxSpare bounds Index.spare: more concurrent queries than this allocate.
const maxSpare = 16

// getScratch returns a scratch for n docs. The caller holds mu.
func (ix *Index) getScratch(n int) *scratch {
	var s *scratch
	ix.spareMu.Lock()
	if k := len(ix.spare); k > 0 {
		s, ix.spare = ix.spare[k-1], ix.spare[:k-1]
	}
	ix.spareMu.Unlock()
	if s == nil {
		s = &scratch{}
	}
	if len(s.score) < n {
		n += n / 8 // room for a few Adds
		s.score, s.matched, s.best = make([]float64, n), make([]uint16, n), make([]float64, n)
		s.alt, s.count = make([]float64, n), make([]uint16, n)
	}
	return s
}

// putScratch keeps s, all zero, for a later query.
func (ix *Index) putScratch(s *scratch) {
	ix.spareMu.Lock()
	defer ix.spareMu.Unlock()
	if len(ix.spare) < maxSpare {
		ix.spare = append(ix.spare, s)
	}
}

// Search returns the k best talks matching q, best first, and the number of
// talks that match; k < 0 returns them all, k == 0 only counts them. Each query word (with its
// synonyms) adds its best-matching alternative's BM25F score; a talk missing
// some of the words is ranked below talks that have them all. Equal scores
// are ordered by talk id. A query word that matches nothing is corrected
// (see Correct) and stop words are dropped (see Glossary.Parse).
func (ix *Index) Search(q string, k int) (hits []Hit, total int) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	concepts := ix.glossary.Parse(q, ix.indexed, ix.correct)
	live := len(ix.byID)
	if len(concepts) == 0 || live == 0 {
		return nil, 0
	}
	n := float64(live)
	// BM25's k1·(1 − b + b·len/avglen) as norm0 + norm1·len.
	avg := ix.totalLen / n
	norm0, norm1 := bm25K1*(1-bm25B), bm25K1*bm25B/avg
	s := ix.getScratch(len(ix.docs))
	defer ix.putScratch(s)
	for _, c := range concepts {
		for _, a := range c {
			for _, t := range a {
				id, ok := ix.termIDs[t]
				if !ok || len(ix.postings[id]) == 0 {
					break // this alternative cannot match in full
				}
				ps := ix.postings[id]
				df := float64(len(ps))
				idf := math.Log(1 + (n-df+0.5)/(df+0.5))
				for _, p := range ps {
					tf := float64(p.tf)
					if s.count[p.doc] == 0 {
						s.inAlt = append(s.inAlt, p.doc)
					}
					s.alt[p.doc] += idf * tf * (bm25K1 + 1) / (tf + norm0 + norm1*float64(ix.docs[p.doc].len))
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
	total = len(s.inAll)
	if k < 0 || k > total {
		k = total
	}
	// Coordination: a talk matching every query word outranks one that
	// matches fewer, whatever their raw scores.
	score := func(d int32) Hit {
		h := Hit{Talk: ix.docs[d].talk, Score: s.score[d] * float64(s.matched[d]) / float64(len(concepts))}
		s.score[d], s.matched[d] = 0, 0
		return h
	}
	defer func() { s.inAll = s.inAll[:0] }()
	switch k {
	case 0:
		for _, d := range s.inAll {
			score(d)
		}
		return nil, total
	case total:
		hits = make([]Hit, 0, total)
		for _, d := range s.inAll {
			hits = append(hits, score(d))
		}
		slices.SortFunc(hits, rank)
		return hits, total
	}
	// A bounded min-heap keeps the k best: O(hits · log k), not a sort of
	// every hit.
	top := make(topK, 0, k)
	for _, d := range s.inAll {
		h := score(d)
		if len(top) < k {
			heap.Push(&top, h)
		} else if better(h, top[0]) {
			top[0] = h
			heap.Fix(&top, 0)
		}
	}
	hits = make([]Hit, len(top))
	for i := len(top) - 1; i >= 0; i-- {
		hits[i] = heap.Pop(&top).(Hit)
	}
	return hits, total
}

// rank orders hits best first: higher score, then lower talk id.
func rank(a, b Hit) int {
	if c := cmp.Compare(b.Score, a.Score); c != 0 {
		return c // most hits differ in score: compare ids only on a tie
	}
	return strings.Compare(a.Talk.ID, b.Talk.ID)
}

// better reports whether a ranks before b.
func better(a, b Hit) bool { return rank(a, b) < 0 }

// topK is a min-heap of hits: the worst kept hit is at the root.
type topK []Hit

func (h topK) Len() int           { return len(h) }
func (h topK) Less(i, j int) bool { return better(h[j], h[i]) }
func (h topK) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *topK) Push(x any)        { *h = append(*h, x.(Hit)) }
func (h *topK) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
