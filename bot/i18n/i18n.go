// Package i18n owns talkbot's message catalog: every label, button, help
// line and error the bot writes, in Korean and English. The catalog is data
// (ko.toml and en.toml, embedded) loaded into a golang.org/x/text message
// catalog at start; plural forms are x/text plural selections.
//
// Messages without arguments are resolved once per language at start, so
// that T of a static label is a map lookup; only messages with arguments
// are formatted per call.
package i18n

import (
	"embed"
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode"

	"github.com/pelletier/go-toml/v2"
	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
)

// Lang is a language talkbot answers in.
type Lang string

// The languages of the catalog.
const (
	KO Lang = "ko"
	EN Lang = "en"
)

// Auto is the setting, not a language, that lets the text of a request
// choose: Hangul text is answered in Korean, other text in English.
const Auto Lang = "auto"

// Langs lists the catalog's languages.
var Langs = []Lang{KO, EN}

//go:embed ko.toml en.toml
var files embed.FS

// Entry is one message of a catalog file: either a plain text, or the
// plural forms One and Other selected by the message's first argument.
type Entry struct {
	Text  string
	One   string
	Other string
}

// Plural reports whether the entry has plural forms.
func (e Entry) Plural() bool { return e.Other != "" }

type lang struct {
	printer *message.Printer
	static  map[string]string // messages without verbs, resolved once
	plural  map[string]bool
}

// langs is the catalog, loaded from the embedded files on first use. The
// files are part of the binary and TestCatalog loads them, so a failure
// here is a defect of the build, not of its input.
var langs = sync.OnceValue(func() map[Lang]*lang {
	ls, err := load()
	if err != nil {
		panic("i18n: embedded catalog: " + err.Error())
	}
	return ls
})

// Entries reads the embedded catalog file of l.
func Entries(l Lang) (map[string]Entry, error) {
	data, err := files.ReadFile(string(l) + ".toml")
	if err != nil {
		return nil, err
	}
	var raw map[string]any
	if err := toml.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("%s.toml: %w", l, err)
	}
	out := make(map[string]Entry, len(raw))
	for k, v := range raw {
		switch v := v.(type) {
		case string:
			out[k] = Entry{Text: v}
		case map[string]any:
			one, _ := v["one"].(string)
			other, _ := v["other"].(string)
			if other == "" || len(v) > 2 || (len(v) == 2 && one == "") {
				return nil, fmt.Errorf("%s.toml: %s: a plural message has the string keys other and, optionally, one", l, k)
			}
			out[k] = Entry{One: one, Other: other}
		default:
			return nil, fmt.Errorf("%s.toml: %s: want a string or a table of plural forms", l, k)
		}
	}
	return out, nil
}

func load() (map[Lang]*lang, error) {
	b := catalog.NewBuilder()
	out := map[Lang]*lang{}
	for _, l := range Langs {
		tag := language.MustParse(string(l))
		es, err := Entries(l)
		if err != nil {
			return nil, err
		}
		ll := &lang{static: map[string]string{}, plural: map[string]bool{}}
		for k, e := range es {
			if e.Plural() {
				cases := []any{}
				if e.One != "" {
					cases = append(cases, "=1", e.One)
				}
				cases = append(cases, "other", e.Other)
				if err := b.Set(tag, k, plural.Selectf(1, "%d", cases...)); err != nil {
					return nil, fmt.Errorf("%s: %s: %w", l, k, err)
				}
				ll.plural[k] = true
				continue
			}
			if err := b.SetString(tag, k, e.Text); err != nil {
				return nil, fmt.Errorf("%s: %s: %w", l, k, err)
			}
			if len(Verbs(e.Text)) == 0 {
				ll.static[k] = strings.ReplaceAll(e.Text, "%%", "%")
			}
		}
		ll.printer = message.NewPrinter(tag, message.Catalog(b))
		out[l] = ll
	}
	return out, nil
}

// T returns the message key in l, formatted with args. A static message
// (one without verbs) is a map lookup. An unknown language is English; an
// unknown key is returned as it is, so a missing message shows rather than
// vanishes (the catalog test keeps that from happening).
func T(l Lang, key string, args ...any) string {
	ll, ok := langs()[l]
	if !ok {
		ll = langs()[EN]
	}
	if len(args) == 0 {
		if s, ok := ll.static[key]; ok {
			return s
		}
	}
	return ll.printer.Sprintf(key, args...)
}

// Verbs returns the formatting verbs of a message as "index:verb" strings,
// sorted ("1:d", "2:s"): the placeholders that translations must share.
func Verbs(s string) []string {
	var vs []string
	next := 1
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			continue
		}
		i++
		if i < len(s) && s[i] == '%' {
			continue
		}
		idx := next
		if i < len(s) && s[i] == '[' {
			j := strings.IndexByte(s[i:], ']')
			if j > 0 {
				fmt.Sscanf(s[i+1:i+j], "%d", &idx)
				i += j + 1
			}
		}
		for i < len(s) && !unicode.IsLetter(rune(s[i])) {
			i++
		}
		if i < len(s) {
			vs = append(vs, fmt.Sprintf("%d:%c", idx, s[i]))
		}
		next = idx + 1
	}
	sort.Strings(vs)
	return vs
}

// Parse reads a language name or locale: "ko", "ko-KR", "ko_KR.UTF-8" are
// Korean, "en", "en-US" English. It reports false for anything else,
// the C and POSIX locales included: they say nothing of the user.
func Parse(s string) (Lang, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case s == "ko" || strings.HasPrefix(s, "ko-") || strings.HasPrefix(s, "ko_") || strings.HasPrefix(s, "ko."):
		return KO, true
	case s == "en" || strings.HasPrefix(s, "en-") || strings.HasPrefix(s, "en_") || strings.HasPrefix(s, "en."):
		return EN, true
	}
	return "", false
}

// FromLocale maps a platform locale to a language: Korean locales are
// Korean, every other one (or none) is English.
func FromLocale(locale string) Lang {
	if l, ok := Parse(locale); ok && l == KO {
		return KO
	}
	return EN
}

// Hangul reports whether s is mostly Korean: whether it has more Hangul
// letters than half its Latin ones. Text without letters is not Korean.
func Hangul(s string) bool {
	h, l := 0, 0
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Hangul, r):
			h++
		case r < 0x80 && unicode.IsLetter(r):
			l++
		}
	}
	return h > 0 && 2*h >= l
}
