package bot

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// isHangul reports whether r is a precomposed Hangul syllable.
func isHangul(r rune) bool { return r >= 0xAC00 && r <= 0xD7A3 }

// words splits s into lowercase runs of Hangul syllables and runs of other
// letters and digits. Everything else separates words, and a change of
// script does too, so "DynamoDB로" is "dynamodb" and "로".
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

// terms turns one word into index terms: Hangul words become overlapping
// syllable bigrams (a one-syllable word stays whole), other words are stemmed
// lightly (a plural "s" is dropped).
func terms(w string, dst []string) []string {
	r, _ := utf8.DecodeRuneInString(w)
	if !isHangul(r) {
		return append(dst, stem(w))
	}
	rs := []rune(w)
	if len(rs) == 1 {
		return append(dst, w)
	}
	for i := 0; i+1 < len(rs); i++ {
		dst = append(dst, string(rs[i:i+2]))
	}
	return dst
}

func stem(w string) string {
	if len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") {
		return w[:len(w)-1]
	}
	return w
}

// textTerms returns the index terms of free text.
func textTerms(s string) []string {
	var out []string
	for _, w := range words(s) {
		out = terms(w, out)
	}
	return out
}

// fold normalizes a phrase for exact lookups: lowercase letters and digits
// only, so "Daangn Tech-Meetup" and "daangntechmeetup" are equal.
func fold(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// koreanSuffixes are particles and verb endings stripped from a Hangul query
// word that is not itself known, longest first within each family.
var koreanSuffixes = []string{
	"으로부터", "에서부터", "에서의", "으로의", "이라는", "이라고", "에게서",
	"했습니다", "합니다", "했어요", "하세요", "하라", "하기", "하는", "하고", "하면", "해서", "했던", "했다", "하다", "한다", "해요", "하여", "해",
	"되는", "되다", "된", "되기", "적인", "적",
	"에서", "에게", "으로", "부터", "까지", "처럼", "보다", "이랑", "이나", "이란", "이며", "이고", "라는", "들의", "들을", "들이", "들은",
	"님이", "님의", "님을", "님은", "님",
	"은", "는", "이", "가", "을", "를", "의", "에", "로", "와", "과", "도", "만", "랑", "나", "들", "란", "한", "할",
}

// stripKorean removes particles and verb endings from a Hangul word. A
// glossary word wins: "샤딩하라" becomes "샤딩" even though the corpus also
// has "샤딩하라" in a title. Otherwise the word stays if the index knows it,
// or is stripped until what is left is known. An unknown word is returned
// unchanged.
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

// strip removes up to three suffixes from w until known accepts the rest.
func strip(w string, known func(string) bool) (string, bool) {
	if r, _ := utf8.DecodeLastRuneInString(w); !isHangul(r) {
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

// clip shortens s to at most n runes, ending in "…" when cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	rs := []rune(s)
	return strings.TrimSpace(string(rs[:n-1])) + "…"
}

// clean makes user text safe to repeat: control characters become spaces,
// runs of space collapse, and the result is clipped to n runes.
func clean(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u200b' || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	return clip(strings.Join(strings.Fields(s), " "), n)
}
