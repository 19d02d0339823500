// Package recaps holds the talk corpus and parses it: Markdown files with TOML
// front matter for talks and conferences, plus a bilingual glossary. The
// corpus shipped with talkbot is embedded; users may add or override talks
// from a directory of their own in the same format.
//
// The package does no I/O beyond reading the fs.FS values it is given.
package recaps

import (
	"cmp"
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

// embedded is the corpus shipped in the binary.
//
//go:embed conferences talks glossary.toml
var embedded embed.FS

// Embedded returns the corpus shipped in the binary as a Source.
func Embedded() Source {
	return Source{Name: "recaps", FS: embedded}
}

// Source is one tree of recap files. Name prefixes file names in problems
// (a directory path for user corpora, "recaps" for the embedded one).
type Source struct {
	Name string
	FS   fs.FS
}

// Speaker is a person who gave a talk. Handle and Team may be empty.
type Speaker struct {
	Name   string `toml:"name"`
	Handle string `toml:"handle"`
	Team   string `toml:"team"`
}

// Link is a titled URL. Kind says whether it is the talk's own material
// (a video or slides of this talk) or a reference; a link without a kind is
// a reference, so that only a link someone marked as the talk's own ever
// becomes the title link.
type Link struct {
	Title string   `toml:"title"`
	URL   string   `toml:"url"`
	Kind  LinkKind `toml:"kind"`
}

// LinkKind classifies a Link. The zero value means "reference".
type LinkKind string

// The link kinds a recap file may give. Video and slides are the talk's own
// material; anything else the talk or the reviewer points at (a project, a
// book, another talk, an article) is a reference.
const (
	LinkVideo     LinkKind = "video"
	LinkSlides    LinkKind = "slides"
	LinkReference LinkKind = "reference"
)

// UnmarshalText accepts the kinds above and rejects any other, so that a
// misspelt kind is a parse problem rather than a silent reference.
func (k *LinkKind) UnmarshalText(b []byte) error {
	switch v := LinkKind(b); v {
	case LinkVideo, LinkSlides, LinkReference:
		*k = v
		return nil
	}
	return &linkKindError{string(b)}
}

// linkKindError is UnmarshalText's error; the parser finds the line of the
// kind from it.
type linkKindError struct{ kind string }

func (e *linkKindError) Error() string {
	return fmt.Sprintf("unknown link kind %q (want %q, %q or %q)", e.kind, LinkVideo, LinkSlides, LinkReference)
}

// Material reports whether the link is the talk's own video or slides.
func (l Link) Material() bool { return l.Kind == LinkVideo || l.Kind == LinkSlides }

// TitleLink returns the talk's first own-material link (video or slides),
// the one a reply may put behind the talk's title. References never are.
func (t *Talk) TitleLink() (Link, bool) {
	for _, l := range t.Links {
		if l.Material() {
			return l, true
		}
	}
	return Link{}, false
}

// Talk is one talk recap.
type Talk struct {
	ID         string `toml:"id"`
	Conference string `toml:"conference"`
	Track      string `toml:"track"`
	Order      int    `toml:"order"`
	Title      string `toml:"title"`
	TitleEN    string `toml:"title_en"`
	// TitleAliases are other spellings of the original title, such as a
	// second source's wording; search finds the talk by them too.
	TitleAliases []string  `toml:"title_aliases"`
	Tags         []string  `toml:"tags"`
	Links        []Link    `toml:"links"`
	Speakers     []Speaker `toml:"speakers"`

	// Author and AuthorID name who contributed the recap from chat (a
	// display name, and "platform:user"); empty for the shipped corpus.
	// Created and Updated are when, in RFC 3339.
	Author   string `toml:"author"`
	AuthorID string `toml:"author_id"`
	Created  string `toml:"created"`
	Updated  string `toml:"updated"`

	// Summary and Lessons are the bullet points of the body's
	// "## Summary" and "## Lessons" sections.
	Summary []string `toml:"-"`
	Lessons []string `toml:"-"`

	// File is the source-qualified path the talk was read from.
	File string `toml:"-"`
}

// Label returns the speaker's name, with the handle in parentheses when
// there is one: "임문규 (Johnny)".
func (s Speaker) Label() string {
	if s.Handle != "" {
		return s.Name + " (" + s.Handle + ")"
	}
	return s.Name
}

// SpeakerNames returns the speakers' labels (see Speaker.Label).
func (t *Talk) SpeakerNames() []string {
	names := make([]string, 0, len(t.Speakers))
	for _, s := range t.Speakers {
		names = append(names, s.Label())
	}
	return names
}

// Conference is one event. Date and EndDate are YYYY-MM-DD or empty.
type Conference struct {
	ID      string   `toml:"id"`
	Name    string   `toml:"name"`
	NameKO  string   `toml:"name_ko"`
	Aliases []string `toml:"aliases"`
	Year    int      `toml:"year"`
	Date    string   `toml:"date"`
	EndDate string   `toml:"end_date"`
	Venue   string   `toml:"venue"`
	Link    string   `toml:"link"`

	// About is the Markdown body: a short description of the event.
	About string `toml:"-"`
	File  string `toml:"-"`
}

// Corpus is a loaded, validated set of talks, conferences and glossary terms.
// Talks are ordered by conference date (newest first), then schedule order.
// A Corpus is read-only after Load and safe for concurrent use.
type Corpus struct {
	Talks       []Talk
	Conferences []Conference
	// Glossary lists groups of words that mean the same thing, such as
	// {"sharding", "샤딩"}.
	Glossary [][]string
}

// Conference returns the conference with the given id.
func (c *Corpus) Conference(id string) (Conference, bool) {
	i := slices.IndexFunc(c.Conferences, func(x Conference) bool { return x.ID == id })
	if i < 0 {
		return Conference{}, false
	}
	return c.Conferences[i], true
}

// Talk returns the talk with the given id.
func (c *Corpus) Talk(id string) (Talk, bool) {
	i := slices.IndexFunc(c.Talks, func(x Talk) bool { return x.ID == id })
	if i < 0 {
		return Talk{}, false
	}
	return c.Talks[i], true
}

// Problem is one defect found in a corpus file.
type Problem struct {
	Source string // the Source's Name
	File   string // source-qualified path, e.g. "recaps/talks/x/y.md"
	Line   int    // 1-based
	Msg    string
}

// String formats the problem as "file:line: message".
func (p Problem) String() string { return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg) }

// Error is returned by Load when the corpus has problems.
type Error struct{ Problems []Problem }

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "corpus has %d problem(s)", len(e.Problems))
	for i, p := range e.Problems {
		if i == 5 {
			fmt.Fprintf(&b, "\n\t… and %d more (run talkbot lint)", len(e.Problems)-5)
			break
		}
		b.WriteString("\n\t" + p.String())
	}
	return b.String()
}

// SortConferences sorts conferences newest first, then by date, then by
// id: the stable order that listings and the week's rotation rely on.
func SortConferences(cs []Conference) {
	slices.SortFunc(cs, func(a, b Conference) int {
		return cmp.Or(cmp.Compare(b.Year, a.Year), cmp.Compare(b.Date, a.Date), cmp.Compare(a.ID, b.ID))
	})
}

// TalkOrder returns the order of a corpus's talks: by their conference's
// place in confs (sorted by SortConferences), then schedule order, then id.
func TalkOrder(confs []Conference) func(a, b *Talk) int {
	rank := make(map[string]int, len(confs))
	for i, cf := range confs {
		rank[cf.ID] = i
	}
	return func(a, b *Talk) int {
		return cmp.Or(cmp.Compare(rank[a.Conference], rank[b.Conference]), cmp.Compare(a.Order, b.Order), cmp.Compare(a.ID, b.ID))
	}
}
