// Package bleve indexes talkbot's talks with bleve, so that bleve can be
// measured against search.Index (issue 3). It lives in its own module so that
// bleve never enters talkbot's.
//
// The index mirrors search.Index where bleve allows: the same text goes into
// five fields weighted as search weights them (title 3, tags 3, speakers 2,
// conference 1, body 1) at query time; the analyzer is the search package's
// tokenizer (runs of Hangul and runs of other letters and digits, lowercased,
// Hangul as overlapping syllable bigrams, a plural "s" dropped); queries go
// through the search package's query parser (search.Glossary.Parse: Korean
// particle stripping, stop words, glossary expansion; no spelling
// correction), then every query word must match (AND), any synonym will do
// (OR). Scoring is bleve's BM25.
package bleve

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/blevesearch/bleve/v2"
	_ "github.com/blevesearch/bleve/v2/analysis/analyzer/custom" // AddCustomAnalyzer needs it
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	bunicode "github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/talkbot/talkbot/recaps"
	"github.com/talkbot/talkbot/search"
)

// fields are the indexed fields and their query-time boosts, as in search.
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
	glossary *search.Glossary
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
	ix := &Index{bi: bi, talks: make(map[string]*recaps.Talk, len(talks)), glossary: search.NewGlossary(glossary)}
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

// indexed reports whether all of a word's terms occur in some field.
func (ix *Index) indexed(r index.IndexReader, w string) bool {
	ts := search.TextTerms(w)
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

// parse is search.Index's query parsing over bleve's term dictionary.
func (ix *Index) parse(q string, r index.IndexReader) []search.Concept {
	return ix.glossary.Parse(q, func(w string) bool { return ix.indexed(r, w) }, nil)
}
