package recaps

import (
	"cmp"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file holds the checks that talkbot lint runs on top of parsing. They
// look across a whole talk (its tags against the glossary, its links' labels
// against their kinds) or across a whole source (the Korean register of its
// prose), so they run on the loaded corpus, and they re-read a talk's file
// only to point at the right line. Load does not run them: a corpus that
// fails one still loads and serves; lint reports it.

// lint returns the problems the checks in this file find in c, for the talks
// read from sources.
func lint(c *Corpus, sources []Source) []Problem {
	var problems []Problem
	regs := map[string][]sentence{} // source name → its talks' sentences
	var order []string
	for i := range c.Talks {
		t := &c.Talks[i]
		src, rel, ok := sourceOf(t.File, sources)
		if !ok {
			continue
		}
		data, err := fs.ReadFile(src.FS, rel)
		if err != nil {
			continue // Load reported it
		}
		r := scanRaw(string(data))
		at := func(line int, format string, args ...any) {
			problems = append(problems, Problem{src.Name, t.File, line, fmt.Sprintf(format, args...)})
		}
		lintLinks(t, r, at)
		lintGlossaryTags(t, c.Glossary, r.keyLine("tags"), at)
		if _, seen := regs[src.Name]; !seen {
			order = append(order, src.Name)
		}
		for _, b := range r.bullets {
			for _, s := range sentences(b.text) {
				regs[src.Name] = append(regs[src.Name], sentence{src.Name, t.File, b.line, s})
			}
		}
	}
	for _, name := range order {
		problems = append(problems, lintRegisters(regs[name])...)
	}
	return problems
}

// sortProblems orders problems by file, line and message.
func sortProblems(problems []Problem) {
	slices.SortFunc(problems, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Msg, b.Msg))
	})
}

// sourceOf finds the source a talk's source-qualified file name came from
// and the file's path inside it. The longest matching source name wins.
func sourceOf(file string, sources []Source) (Source, string, bool) {
	var best Source
	var rel string
	found := false
	for _, src := range sources {
		name := path.Clean(src.Name)
		r, ok := strings.CutPrefix(file, name+"/")
		if name == "." {
			r, ok = file, true
		}
		if ok && (!found || len(name) > len(path.Clean(best.Name))) {
			best, rel, found = src, r, true
		}
	}
	return best, rel, found
}

// raw is a recap file split into the parts the checks point at.
type raw struct {
	front   []string // front[i] is file line i+2
	bullets []bullet
}

// bullet is one bullet point of the body, continuation lines joined.
type bullet struct {
	line int
	text string
}

func scanRaw(data string) raw {
	lines := strings.Split(strings.ReplaceAll(strings.TrimPrefix(data, "\ufeff"), "\r\n", "\n"), "\n")
	if len(lines) == 0 || strings.TrimSpace(lines[0]) != "+++" {
		return raw{}
	}
	end := slices.IndexFunc(lines[1:], func(l string) bool { return strings.TrimSpace(l) == "+++" })
	if end < 0 {
		return raw{}
	}
	r := raw{front: lines[1 : end+1]}
	for i, l := range lines[end+2:] {
		n := end + 3 + i
		tl := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(tl, "- ") || strings.HasPrefix(tl, "* "):
			r.bullets = append(r.bullets, bullet{n, strings.Join(strings.Fields(tl[2:]), " ")})
		case tl == "" || strings.HasPrefix(tl, "#"):
		case len(r.bullets) > 0 && l != tl:
			r.bullets[len(r.bullets)-1].text += " " + strings.Join(strings.Fields(tl), " ")
		}
	}
	return r
}

// keyLine returns the file line on which front matter key is set, or 1.
func (r raw) keyLine(key string) int {
	for i, l := range r.front {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(l), key); ok && strings.HasPrefix(strings.TrimSpace(rest), "=") {
			return i + 2
		}
	}
	return 1
}

// lineWith returns the first front matter line that contains s, or the line
// of key when none does.
func (r raw) lineWith(s, key string) int {
	for i, l := range r.front {
		if strings.Contains(l, s) {
			return i + 2
		}
	}
	return r.keyLine(key)
}

// referenceWords start a link title that calls the link a reference.
var referenceWords = []string{"참고", "reference", "ref:", "see also"}

// materialWords in a link title suggest the talk's own video or slides.
var materialWords = []string{"발표 영상", "발표영상", "발표 자료", "발표자료", "슬라이드", "video", "slides", "slide deck"}

// lintLinks reports a link whose kind and title disagree: one marked as the
// talk's own material (and so a candidate for the title link) whose title
// calls it a reference, and one without a kind whose title says it is the
// talk's video or slides, which would silently not become the title link.
func lintLinks(t *Talk, r raw, at func(int, string, ...any)) {
	for _, l := range t.Links {
		title := strings.ToLower(strings.TrimSpace(l.Title))
		line := r.lineWith(l.URL, "links")
		switch {
		case l.Material() && slices.ContainsFunc(referenceWords, func(w string) bool { return strings.HasPrefix(title, w) }):
			at(line, "link %q has kind %q, so it may become the title link, but its title calls it a reference: set kind = %q or retitle it", l.Title, l.Kind, LinkReference)
		case l.Kind == "" && !slices.ContainsFunc(referenceWords, func(w string) bool { return strings.HasPrefix(title, w) }) &&
			slices.ContainsFunc(materialWords, func(w string) bool { return strings.Contains(title, w) }):
			at(line, "link %q has no kind, so it counts as a reference and is never the title link: set kind = %q or %q if it is this talk's own", l.Title, LinkVideo, LinkSlides)
		}
	}
}

// lintGlossaryTags reports a Korean tag that is a glossary word when the
// talk carries no English word of the same glossary term among its tags:
// tags are shown to every reader, and one who reads no Hangul should still
// see the topic. A word in several terms (확장성: scalability, extensibility)
// needs an English tag from any one of them. The reverse (an English tag
// without its Korean twin) is not checked: Korean readers read the Latin
// names the corpus uses (Go, AWS, Redis), and forcing 고랭 or 아마존 웹 서비스
// into the tags would add words nobody types; search matches either form
// through the glossary anyway.
func lintGlossaryTags(t *Talk, glossary [][]string, line int, at func(int, string, ...any)) {
	have := map[string]bool{}
	for _, tag := range t.Tags {
		have[Fold(tag)] = true
	}
	for _, tag := range t.Tags {
		if !hasHangul(tag) {
			continue
		}
		f := Fold(tag)
		var want []string // English words of the terms the tag belongs to
		ok := true
		for _, group := range glossary {
			if !slices.ContainsFunc(group, func(w string) bool { return Fold(w) == f }) {
				continue
			}
			var english []string
			for _, w := range group {
				if !hasHangul(w) {
					english = append(english, w)
				}
			}
			if len(english) == 0 || slices.ContainsFunc(english, func(w string) bool { return have[Fold(w)] }) {
				ok = true
				break
			}
			ok = false
			want = append(want, english...)
		}
		if !ok {
			at(line, "tag %q has no English tag for the same glossary term: add one of %s", tag, strings.Join(want, ", "))
		}
	}
}

// Fold folds a word or phrase as search matches them: lowercase letters
// and digits only, so "Daangn Tech-Meetup" and "daangntechmeetup" are
// equal. Package search uses it for its exact lookups.
func Fold(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func hasHangul(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Hangul, r) })
}

// register is a Korean speech level, told by how a sentence ends.
type register int

const (
	regNone    register = iota // not told: a noun phrase, English, a figure
	regHaeyo                   // 해요체: …했어요, …이에요, …죠
	regDa                      // 다체 (해라체): …했다, …이다
	regFormal                  // 합쇼체: …합니다, …했습니다
	regEumseum                 // 음슴체: …함, …했음, …됨
)

func (g register) String() string {
	return [...]string{"", "해요체", "다체", "합쇼체", "음슴체"}[g]
}

// eumseumEnds are the last syllables of nominalised verbs (…함, …했음, …됨,
// …남김) that end a sentence in 음슴체. Nouns that merely end in ㅁ
// (시스템) are not listed, so a noun phrase stays unclassified.
const eumseumEnds = "음함됨임짐봄옴줌냄킴림움김낌"

// registerOf tells the register of one sentence by its last Hangul word.
func registerOf(s string) register {
	s = trimEnd(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	switch {
	case !unicode.Is(unicode.Hangul, last):
		return regNone
	case strings.HasSuffix(s, "니다"):
		return regFormal
	case last == '요' || last == '죠':
		return regHaeyo
	case last == '다':
		return regDa
	case strings.ContainsRune(eumseumEnds, last):
		return regEumseum
	}
	return regNone
}

// trimEnd drops closing punctuation and a final parenthetical aside, so that
// "…놓쳤다고 밝혔다)." and "…했다." both end in "다".
func trimEnd(s string) string {
	for {
		s = strings.TrimRight(s, " .!?…\"'”’」』")
		if !strings.HasSuffix(s, ")") {
			return s
		}
		i := strings.LastIndex(s, "(")
		if i <= 0 {
			return s
		}
		s = s[:i]
	}
}

// sentences splits a bullet where a sentence ends: a period right after a
// Hangul syllable, followed by a space, and the bullet's end. Periods after
// Latin letters or digits ("feat. Istio", "3.5") do not split.
func sentences(text string) []string {
	var out []string
	start := 0
	prev := rune(0)
	for i, r := range text {
		if r == '.' && unicode.Is(unicode.Hangul, prev) && (i+1 == len(text) || text[i+1] == ' ') {
			out = append(out, text[start:i+1])
			start = i + 1
		}
		prev = r
	}
	if rest := strings.TrimSpace(text[start:]); rest != "" {
		out = append(out, rest)
	}
	return out
}

// sentence is one sentence of a bullet and where it was read.
type sentence struct {
	source, file string
	line         int
	text         string
}

// lintRegisters reports sentences of one source whose register is not the
// one most of that source's sentences use: recaps speak with one voice.
func lintRegisters(ss []sentence) []Problem {
	count := map[register]int{}
	for _, s := range ss {
		count[registerOf(s.text)]++
	}
	main, most := regNone, 0
	for g := regHaeyo; g <= regEumseum; g++ {
		if count[g] > most {
			main, most = g, count[g]
		}
	}
	if main == regNone {
		return nil
	}
	var problems []Problem
	for _, s := range ss {
		if g := registerOf(s.text); g != regNone && g != main {
			problems = append(problems, Problem{s.source, s.file, s.line,
				fmt.Sprintf("sentence ending %q is in %s, but most of this corpus is in %s: write summaries and lessons in one register (FORMAT.md)", lastWords(trimEnd(s.text)), g, main)})
		}
	}
	return problems
}

// lastWords returns the last two words of s, for messages.
func lastWords(s string) string {
	f := strings.Fields(s)
	if len(f) > 2 {
		f = f[len(f)-2:]
	}
	return strings.Join(f, " ")
}
