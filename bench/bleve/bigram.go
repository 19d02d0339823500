package bleve

import (
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/registry"

	"github.com/talkbot/talkbot/search"
)

// BigramName is the registered name of the token filter that turns tokens
// into talkbot's index terms.
const BigramName = "talkbot_hangul_bigram"

// bleve resolves analyzers by name through a process-wide registry that is
// only safe to fill before use, so registering a token filter takes an
// init function, which talkbot's own packages avoid.
func init() {
	err := registry.RegisterTokenFilter(BigramName, func(map[string]any, *registry.Cache) (analysis.TokenFilter, error) {
		return bigramFilter{}, nil
	})
	if err != nil {
		panic(err)
	}
}

// bigramFilter replaces each token by talkbot's index terms of it, made by
// the search package's tokenizer (search.Words, then search.Terms): runs of
// Hangul syllables become overlapping syllable bigrams, other runs of
// letters and digits are stemmed lightly. Every term keeps its token's
// offsets; bleve uses them only for highlighting, which the harness does not.
type bigramFilter struct{}

func (bigramFilter) Filter(in analysis.TokenStream) analysis.TokenStream {
	out := make(analysis.TokenStream, 0, len(in)*2)
	pos := 0
	var terms []string
	for _, tok := range in {
		for _, w := range search.Words(string(tok.Term)) {
			terms = search.Terms(w, terms[:0])
			typ := analysis.AlphaNumeric
			if r := []rune(w); search.IsHangul(r[0]) {
				typ = analysis.Ideographic
			}
			for _, t := range terms {
				pos++
				out = append(out, &analysis.Token{Term: []byte(t), Start: tok.Start, End: tok.End, Position: pos, Type: typ})
			}
		}
	}
	return out
}
