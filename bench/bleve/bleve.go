// Package bleve indexes talkbot's talks with bleve, so that bleve can be
// measured against bot.Index (issue 3). It lives in its own module so that
// bleve never enters talkbot's.
//
// The index mirrors bot.Index where bleve allows: the same text goes into
// five fields weighted as bot weights them (title 3, tags 3, speakers 2,
// conference 1, body 1) at query time; the analyzer splits words as bot does
// (runs of Hangul and runs of other letters and digits, lowercased), turns
// Hangul into overlapping syllable bigrams and drops a plural "s"; queries go
// through bot's query pipeline (Korean particle stripping, glossary
// expansion) copied here, then every query word must match (AND), any
// synonym will do (OR). Scoring is bleve's BM25.
package bleve

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	_ "github.com/blevesearch/bleve/v2/analysis/analyzer/custom" // AddCustomAnalyzer needs it
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	bunicode "github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/talkbot/talkbot/recaps"
)

// fields are the indexed fields and their query-time boosts, as in bot.
var fields = []struct {
	name  string
	boost float64
}{{"title", 3}, {"tags", 3}, {"speakers", 2}, {"conf", 1}, {"body", 1}}

// BatchSize is the number of talks indexed per bleve batch. An in-memory
// scorch index never merges segments, so each batch stays one segment that
// every query visits.
const BatchSize = 10_000

// Index is a bleve index over talks with the glossary that expands queries.
type Index struct {
	bi       bleve.Index
	talks    map[string]*recaps.Talk
	glossary map[string][]string
}

func newMapping() (*mapping.IndexMappingImpl, error) {
	m := bleve.NewIndexMapping()
	m.ScoringModel = index.BM25Scoring
	if err := m.AddCustomAnalyzer("ko", map[string]any{
		"type":          "custom",
		"tokenizer":     bunicode.Name,
		"token_filters": []any{lowercase.Name, BigramName},
	}); err != nil {
		return nil, fmt.Errorf("add analyzer: %w", err)
	}
	m.DefaultAnalyzer = "ko"
	doc := bleve.NewDocumentStaticMapping()
	for _, f := range fields {
		fm := bleve.NewTextFieldMapping()
		fm.Analyzer = "ko"
		fm.Store = false
		fm.IncludeTermVectors = false
		fm.IncludeInAll = false
		fm.DocValues = false
		doc.AddFieldMappingsAt(f.name, fm)
	}
	m.DefaultMapping = doc
	return m, nil
}

// New indexes talks in an in-memory scorch index. The Index keeps pointers
// into talks.
func New(talks []recaps.Talk, confs []recaps.Conference, glossary [][]string) (*Index, error) {
	m, err := newMapping()
	if err != nil {
		return nil, err
	}
	bi, err := bleve.NewUsing("", m, scorch.Name, scorch.Name, nil)
	if err != nil {
		return nil, fmt.Errorf("open bleve index: %w", err)
	}
	ix := &Index{bi: bi, talks: make(map[string]*recaps.Talk, len(talks)), glossary: map[string][]string{}}
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
	b := bi.NewBatch()
	for i := range talks {
		t := &talks[i]
		ix.talks[t.ID] = t
		var sp []string
		for _, s := range t.Speakers {
			sp = append(sp, s.Name, s.Handle, s.Team)
		}
		body := append([]string{t.Track}, t.Summary...)
		body = append(body, t.Lessons...)
		err := b.Index(t.ID, map[string]any{
			"title":    t.Title + "\n" + t.TitleEN,
			"tags":     strings.Join(t.Tags, "\n"),
			"speakers": strings.Join(sp, "\n"),
			"conf":     confText[t.Conference],
			"body":     strings.Join(body, "\n"),
		})
		if err != nil {
			return nil, fmt.Errorf("index %s: %w", t.ID, err)
		}
		if b.Size() >= BatchSize || i == len(talks)-1 {
			if err := bi.Batch(b); err != nil {
				return nil, fmt.Errorf("index batch: %w", err)
			}
			b.Reset()
		}
	}
	return ix, nil
}

// Close releases the index.
func (ix *Index) Close() error { return ix.bi.Close() }

// Hit is one search result.
type Hit struct {
	Talk  *recaps.Talk
	Score float64
}

// Search returns at most size talks matching every word of q (or a glossary
// synonym of it), best first.
func (ix *Index) Search(q string, size int) ([]Hit, error) {
	r, err := ix.reader()
	if err != nil {
		return nil, err
	}
	concepts := ix.parse(q, r)
	r.Close()
	if len(concepts) == 0 {
		return nil, nil
	}
	var conj []query.Query
	for _, c := range concepts {
		var alts []query.Query
		for _, terms := range c {
			var must []query.Query
			for _, t := range terms {
				var any []query.Query
				for _, f := range fields {
					tq := bleve.NewTermQuery(t)
					tq.SetField(f.name)
					tq.SetBoost(f.boost)
					any = append(any, tq)
				}
				must = append(must, bleve.NewDisjunctionQuery(any...))
			}
			alts = append(alts, bleve.NewConjunctionQuery(must...))
		}
		conj = append(conj, bleve.NewDisjunctionQuery(alts...))
	}
	req := bleve.NewSearchRequestOptions(bleve.NewConjunctionQuery(conj...), size, 0, false)
	res, err := ix.bi.Search(req)
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", q, err)
	}
	hits := make([]Hit, 0, len(res.Hits))
	for _, h := range res.Hits {
		hits = append(hits, Hit{Talk: ix.talks[h.ID], Score: h.Score})
	}
	return hits, nil
}

func (ix *Index) reader() (index.IndexReader, error) {
	a, err := ix.bi.Advanced()
	if err != nil {
		return nil, fmt.Errorf("open index: %w", err)
	}
	r, err := a.Reader()
	if err != nil {
		return nil, fmt.Errorf("open reader: %w", err)
	}
	return r, nil
}

// analyze returns the index terms of text, as the "ko" analyzer makes them.
func (ix *Index) analyze(text string) []string {
	var out []string
	for _, tok := range ix.bi.Mapping().AnalyzerNamed("ko").Analyze([]byte(text)) {
		out = append(out, string(tok.Term))
	}
	return out
}

// indexed reports whether all of a word's terms occur in some field.
func (ix *Index) indexed(r index.IndexReader, w string) bool {
	ts := ix.analyze(w)
	for _, t := range ts {
		found := false
		for _, f := range fields {
			tfr, err := r.TermFieldReader(context.Background(), []byte(t), f.name, false, false, false)
			if err != nil {
				return false
			}
			found = tfr.Count() > 0
			tfr.Close()
			if found {
				break
			}
		}
		if !found {
			return false
		}
	}
	return len(ts) > 0
}

// concept is one query word with its alternatives, each a list of terms
// that must all match.
type concept [][]string

// parse is bot's (*Index).parse over bleve's term dictionary.
func (ix *Index) parse(q string, r index.IndexReader) []concept {
	inGlossary := func(w string) bool { _, ok := ix.glossary[w]; return ok }
	indexed := func(w string) bool { return ix.indexed(r, w) }
	ws := words(q)
	for i, w := range ws {
		c, _ := utf8.DecodeRuneInString(w)
		if isHangul(c) {
			ws[i] = stripKorean(w, inGlossary, indexed)
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
			c = append(c, ix.analyze(ws[i]))
		} else {
			seen := map[string]bool{}
			for _, g := range group {
				if !seen[g] {
					seen[g] = true
					c = append(c, ix.analyze(g))
				}
			}
		}
		out = append(out, c)
		i += n
	}
	return out
}

// The rest is copied from bot/text.go so that both engines see the same
// query words.

func isHangul(r rune) bool { return r >= 0xAC00 && r <= 0xD7A3 }

func words(s string) []string {
	var out []string
	start, prevHangul := -1, false
	for i, r := range s {
		word := unicode.IsLetter(r) || unicode.IsDigit(r)
		h := isHangul(r)
		if start >= 0 && (!word || h != prevHangul) {
			out = append(out, strings.ToLower(s[start:i]))
			start = -1
		}
		if word && start < 0 {
			start = i
		}
		prevHangul = h
	}
	if start >= 0 {
		out = append(out, strings.ToLower(s[start:]))
	}
	return out
}

func fold(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

var koreanSuffixes = []string{
	"으로부터", "에서부터", "에서의", "으로의", "이라는", "이라고", "에게서",
	"했습니다", "합니다", "했어요", "하세요", "하라", "하기", "하는", "하고", "하면", "해서", "했던", "했다", "하다", "한다", "해요", "하여", "해",
	"되는", "되다", "된", "되기", "적인", "적",
	"에서", "에게", "으로", "부터", "까지", "처럼", "보다", "이랑", "이나", "이란", "이며", "이고", "라는", "들의", "들을", "들이", "들은",
	"님이", "님의", "님을", "님은", "님",
	"은", "는", "이", "가", "을", "를", "의", "에", "로", "와", "과", "도", "만", "랑", "나", "들", "란", "한", "할",
}

func stripKorean(w string, glossary, indexed func(string) bool) string {
	if glossary(w) {
		return w
	}
	if s, ok := strip(w, glossary); ok {
		return s
	}
	if indexed(w) {
		return w
	}
	if s, ok := strip(w, indexed); ok {
		return s
	}
	return w
}

func strip(w string, known func(string) bool) (string, bool) {
	cur := w
	for range 3 {
		next := ""
		for _, suf := range koreanSuffixes {
			rest, ok := strings.CutSuffix(cur, suf)
			if ok && rest != "" {
				if known(rest) {
					return rest, true
				}
				if next == "" {
					next = rest
				}
			}
		}
		if next == "" {
			break
		}
		cur = next
	}
	return "", false
}
