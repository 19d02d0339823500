package bleve

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/registry"
)

// BigramName is the registered name of the Hangul bigram token filter.
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

// bigramFilter splits each token into runs of Hangul syllables and runs of
// other letters and digits, as bot's words does; it turns a Hangul run into
// overlapping syllable bigrams (a single syllable stays whole) and drops a
// plural "s" from other runs, as bot's terms does.
type bigramFilter struct{}

func (bigramFilter) Filter(in analysis.TokenStream) analysis.TokenStream {
	out := make(analysis.TokenStream, 0, len(in)*2)
	pos := 0
	emit := func(tok *analysis.Token, term string, start int, typ analysis.TokenType) {
		pos++
		out = append(out, &analysis.Token{Term: []byte(term), Start: tok.Start + start,
			End: tok.Start + start + len(term), Position: pos, Type: typ})
	}
	run := func(tok *analysis.Token, s string, start int) {
		if r, _ := utf8.DecodeRuneInString(s); !isHangul(r) {
			if len(s) > 3 && strings.HasSuffix(s, "s") && !strings.HasSuffix(s, "ss") {
				s = s[:len(s)-1]
			}
			emit(tok, s, start, analysis.AlphaNumeric)
			return
		}
		_, first := utf8.DecodeRuneInString(s)
		if first == len(s) {
			emit(tok, s, start, analysis.Ideographic)
		}
		for i := 0; i+first < len(s); i += first { // Hangul syllables are 3 bytes each
			emit(tok, s[i:i+2*first], start+i, analysis.Ideographic)
		}
	}
	for _, tok := range in {
		s, begin, prevHangul := string(tok.Term), -1, false
		for i, r := range s {
			word, h := unicode.IsLetter(r) || unicode.IsDigit(r), isHangul(r)
			if begin >= 0 && (!word || h != prevHangul) {
				run(tok, s[begin:i], begin)
				begin = -1
			}
			if word && begin < 0 {
				begin = i
			}
			prevHangul = h
		}
		if begin >= 0 {
			run(tok, s[begin:], begin)
		}
	}
	return out
}
