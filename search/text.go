package search

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/talkbot/talkbot/recaps"
)

// IsHangul reports whether r is a precomposed Hangul syllable.
func IsHangul(r rune) bool { return r >= 0xAC00 && r <= 0xD7A3 }

// hangulWord reports whether w starts with a Hangul syllable. A word from
// Words is all Hangul or all other letters and digits.
func hangulWord(w string) bool {
	r, _ := utf8.DecodeRuneInString(w)
	return IsHangul(r)
}

// Words splits s into lowercase runs of Hangul syllables and runs of other
// letters and digits. Everything else separates words, and a change of
// script does too, so "DynamoDB로" is "dynamodb" and "로".
func Words(s string) []string {
	var out []string
	eachWord(s, func(w string) { out = append(out, w) })
	return out
}

// eachWord calls fn with each word of s, as Words splits them.
func eachWord(s string, fn func(w string)) {
	for start, end := 0, 0; ; start = end {
		var w string
		if w, end = nextWord(s, start); w == "" {
			return
		}
		fn(w)
	}
}

// nextWord returns the first word of s[from:], lowercased, and the offset
// just after it; "" when there is none.
func nextWord(s string, from int) (word string, end int) {
	start, prevHangul, lower := -1, false, true
	for i, r := range s[from:] {
		i += from
		var isWord, h bool
		switch {
		case r < utf8.RuneSelf:
			isWord = 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || 'A' <= r && r <= 'Z'
		case IsHangul(r):
			isWord, h = true, true
		default:
			isWord = unicode.IsLetter(r) || unicode.IsDigit(r)
		}
		if start >= 0 && (!isWord || h != prevHangul) {
			return lowerIf(s[start:i], !lower), i
		}
		if isWord && start < 0 {
			start, lower = i, true
		}
		// Hangul and lowercase ASCII need no lowercasing.
		if isWord && !h && !('a' <= r && r <= 'z' || '0' <= r && r <= '9') {
			lower = false
		}
		prevHangul = h
	}
	if start >= 0 {
		return lowerIf(s[start:], !lower), len(s)
	}
	return "", len(s)
}

func lowerIf(w string, do bool) string {
	if do {
		return strings.ToLower(w)
	}
	return w
}

// Terms appends the index terms of one word (as Words returns it) to dst:
// a Hangul word becomes overlapping syllable bigrams (a one-syllable word
// stays whole), another word is stemmed lightly (a plural "s" is dropped).
// Bigrams are substrings of w.
func Terms(w string, dst []string) []string {
	if !hangulWord(w) {
		return append(dst, stem(w))
	}
	// Every Hangul syllable is 3 bytes in UTF-8.
	if len(w) <= 3 {
		return append(dst, w)
	}
	for i := 0; i+6 <= len(w); i += 3 {
		dst = append(dst, w[i:i+6])
	}
	return dst
}

// appendTerms appends the index terms of text to dst.
func appendTerms(dst []string, text string) []string {
	for start, end := 0, 0; ; start = end {
		var w string
		if w, end = nextWord(text, start); w == "" {
			return dst
		}
		dst = Terms(w, dst)
	}
}

func stem(w string) string {
	if len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") {
		return w[:len(w)-1]
	}
	return w
}

// TextTerms returns the index terms of free text.
func TextTerms(s string) []string { return appendTerms(nil, s) }

// Fold normalizes a phrase for exact lookups: lowercase letters and digits
// only, so "Daangn Tech-Meetup" and "daangntechmeetup" are equal.
func Fold(s string) string { return recaps.Fold(s) }

// koreanSuffixes are particles and verb endings stripped from a Hangul query
// word that is not itself known, longest first within each family.
var koreanSuffixes = []string{
	"으로부터", "에서부터", "에서의", "으로의", "이라는", "이라고", "에게서",
	"했습니다", "했나요", "했어요", "합니다", "하나요", "하세요", "하라", "하기", "하는", "하고", "하면", "해서", "했던", "했다", "했어", "하다", "한다", "해요", "하여", "해",
	"되는", "되다", "된", "되기", "적인", "적",
	"에서", "에게", "으로", "부터", "까지", "처럼", "보다", "이랑", "이나", "이란", "이며", "이고", "라는", "들의", "들을", "들이", "들은",
	"님이", "님의", "님을", "님은", "님",
	"은", "는", "이", "가", "을", "를", "의", "에", "로", "와", "과", "도", "만", "랑", "나", "들", "란", "한", "할",
}

// StripKorean removes particles and verb endings from a Hangul word. A
// glossary word wins: "샤딩하라" becomes "샤딩" even though the corpus also
// has "샤딩하라" in a title. Otherwise the word stays if indexed knows it,
// or is stripped until what is left is known. An unknown word is returned
// unchanged.
func StripKorean(w string, glossary, indexed func(string) bool) string {
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

// strip removes up to three suffixes from w until known accepts the rest.
func strip(w string, known func(string) bool) (string, bool) {
	if r, _ := utf8.DecodeLastRuneInString(w); !IsHangul(r) {
		return "", false // every suffix is Hangul
	}
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

// Distance is the optimal string alignment distance between a and b in
// runes: the number of insertions, deletions, substitutions and swaps of two
// adjacent runes that turn a into b, so Distance("kafak", "kafka") is 1.
func Distance(a, b string) int {
	// Words are short: runes and rows live on the stack up to 32 runes.
	var bufA, bufB [32]rune
	var rows [3][33]int
	ra, rb := appendRunes(bufA[:0], a), appendRunes(bufB[:0], b)
	var prev2, prev, cur []int
	if len(rb) < len(rows[0]) {
		prev2, prev, cur = rows[0][:len(rb)+1], rows[1][:len(rb)+1], rows[2][:len(rb)+1]
	} else {
		prev2, prev, cur = make([]int, len(rb)+1), make([]int, len(rb)+1), make([]int, len(rb)+1)
	}
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			c := 1
			if ra[i-1] == rb[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

func appendRunes(dst []rune, s string) []rune {
	for _, r := range s {
		dst = append(dst, r)
	}
	return dst
}
