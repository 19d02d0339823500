package recaps

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/talkbot/talkbot/textlimit"
)

// Draft is a recap as a person types it into a chat form: one text per
// field, as the form's inputs hold them. Parse turns it into a Talk.
type Draft struct {
	Title      string
	TitleEN    string
	Conference string // a conference's name in any language, with or without its year
	Speakers   string // one per line: "name (handle) · team", all but the name optional
	Summary    string // one point per line
	Lessons    string // one point per line
	Tags       string // comma-separated
	Link       string // the talk's video or slides
}

// The fields of a Draft, by the names chat forms use for their inputs
// (Slack block_id and action_id, Discord custom_id).
const (
	FieldTitle      = "title"
	FieldTitleEN    = "title_en"
	FieldConference = "conference"
	FieldSpeakers   = "speakers"
	FieldSummary    = "summary"
	FieldLessons    = "lessons"
	FieldTags       = "tags"
	FieldLink       = "link"
)

// Field returns the text of the field named name (FieldTitle …), for a
// form to fill in or read back; nil for a name that is none of them.
func (d *Draft) Field(name string) *string {
	switch name {
	case FieldTitle:
		return &d.Title
	case FieldTitleEN:
		return &d.TitleEN
	case FieldConference:
		return &d.Conference
	case FieldSpeakers:
		return &d.Speakers
	case FieldSummary:
		return &d.Summary
	case FieldLessons:
		return &d.Lessons
	case FieldTags:
		return &d.Tags
	case FieldLink:
		return &d.Link
	}
	return nil
}

// Limits of a Draft, in characters. A longer field is refused with the
// limit named, never cut.
const (
	MaxTitle      = 150 // Slack's header limit
	MaxConference = 80
	MaxSpeakers   = 10  // lines
	MaxName       = 80  // each of name, handle and team
	MaxPoints     = 8   // summary points, and lessons
	MaxPoint      = 500 // one summary point or lesson
	MaxTags       = 20
	MaxTag        = 40
	MaxLink       = 500
)

// FieldErrors says what to fix, by field name (see FieldTitle …), in
// the words a user reads: DraftProblems.Text makes them.
type FieldErrors map[string]string

// Error lists the problems, field by field, in a stable order.
func (e FieldErrors) Error() string {
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+": "+e[k])
	}
	return strings.Join(parts, "; ")
}

// DraftProblem is what is wrong with one field of a Draft: a message key and
// its arguments, not words. This package writes no user-facing text; the
// caller says a DraftProblem in the user's language (package bot/i18n holds
// the messages, under "form_err_" + Key).
type DraftProblem struct {
	Key  string
	Args []any
}

// The keys of the problems Parse finds.
const (
	ProblemRequired       = "required"         // no args
	ProblemTooLong        = "too_long"         // limit, length
	ProblemSpeakers       = "speakers_max"     // limit
	ProblemSpeakerName    = "speaker_no_name"  // line
	ProblemSpeakerTooLong = "speaker_too_long" // line, limit
	ProblemNoSummary      = "summary_empty"    // no args
	ProblemPoints         = "points_max"       // limit, count
	ProblemPointTooLong   = "point_too_long"   // point, limit
	ProblemTagTooLong     = "tag_too_long"     // tag (cut), limit
	ProblemTags           = "tags_max"         // limit, count
	ProblemNoTags         = "tags_none"        // no args
	ProblemURL            = "link_url"         // no args
	ProblemURLTooLong     = "link_too_long"    // limit
)

// ProblemKeys lists every Problem key, for the test that each has a
// message in every language.
var ProblemKeys = []string{ProblemRequired, ProblemTooLong, ProblemSpeakers, ProblemSpeakerName,
	ProblemSpeakerTooLong, ProblemNoSummary, ProblemPoints, ProblemPointTooLong, ProblemTagTooLong,
	ProblemTags, ProblemNoTags, ProblemURL, ProblemURLTooLong}

// DraftProblems are the problems of a Draft, by field name (see FieldTitle …).
type DraftProblems map[string]DraftProblem

// Text says each problem with say, which returns the message of a key
// formatted with its arguments.
func (p DraftProblems) Text(say func(key string, args ...any) string) FieldErrors {
	if p == nil {
		return nil
	}
	out := make(FieldErrors, len(p))
	for f, pr := range p {
		out[f] = say(pr.Key, pr.Args...)
	}
	return out
}

func (p DraftProblems) has(field string) bool { _, ok := p[field]; return ok }

func (p DraftProblems) set(field, key string, args ...any) {
	p[field] = DraftProblem{Key: key, Args: args}
}

var hashtagRE = regexp.MustCompile(`(?:^|\s)#([\p{L}\p{N}][\p{L}\p{N}_.+-]*)`)

// Parse validates the draft with the rules talkbot lint applies to recap
// files, plus the form's limits, and returns the talk it describes: its
// tags are the given ones, then the glossary terms its text mentions, then
// its #hashtags. The talk has no ID and its Conference is the draft's text:
// the caller resolves both. The problems are nil when there are none.
func (d Draft) Parse(glossary [][]string) (Talk, DraftProblems) {
	errs := DraftProblems{}
	var t Talk
	t.Title = line(d.Title)
	t.TitleEN = line(d.TitleEN)
	t.Conference = line(d.Conference)
	required(errs, FieldTitle, t.Title, MaxTitle)
	limit(errs, FieldTitleEN, t.TitleEN, MaxTitle)
	required(errs, FieldConference, t.Conference, MaxConference)

	for i, l := range lines(d.Speakers) {
		if i == MaxSpeakers {
			errs.set(FieldSpeakers, ProblemSpeakers, MaxSpeakers)
			break
		}
		s := ParseSpeaker(l)
		switch {
		case s.Name == "":
			errs.set(FieldSpeakers, ProblemSpeakerName, i+1)
		case tooLong(s.Name, MaxName) || tooLong(s.Handle, MaxName) || tooLong(s.Team, MaxName):
			errs.set(FieldSpeakers, ProblemSpeakerTooLong, i+1, MaxName)
		}
		t.Speakers = append(t.Speakers, s)
	}
	t.Summary = points(errs, FieldSummary, d.Summary)
	if len(t.Summary) == 0 && !errs.has(FieldSummary) {
		errs.set(FieldSummary, ProblemNoSummary)
	}
	t.Lessons = points(errs, FieldLessons, d.Lessons)

	tags := d.GivenTags()
	for _, tag := range tags {
		if tooLong(tag, MaxTag) {
			errs.set(FieldTags, ProblemTagTooLong, textlimit.Cut(tag, 20), MaxTag)
		}
	}
	text := strings.Join(append(append([]string{t.Title, t.TitleEN}, t.Summary...), t.Lessons...), "\n")
	tags = append(tags, GlossaryTags(glossary, text)...)
	for _, m := range hashtagRE.FindAllStringSubmatch(text, -1) {
		tags = append(tags, strings.ToLower(m[1]))
	}
	t.Tags = dedupe(tags)
	switch {
	case len(t.Tags) > MaxTags:
		errs.set(FieldTags, ProblemTags, MaxTags, len(t.Tags))
	case len(t.Tags) == 0 && !errs.has(FieldTags):
		errs.set(FieldTags, ProblemNoTags)
	}

	if link := line(d.Link); link != "" {
		if !httpURL(link) {
			errs.set(FieldLink, ProblemURL)
		} else if tooLong(link, MaxLink) {
			errs.set(FieldLink, ProblemURLTooLong, MaxLink)
		} else {
			t.Links = []Link{materialLink(link)}
		}
	}
	if len(errs) > 0 {
		return t, errs
	}
	return t, nil
}

// GivenTags returns the tags the author typed (Tags, comma-separated),
// lowercased, without a leading "#", in order, without the ones Parse adds.
func (d Draft) GivenTags() []string {
	var tags []string
	for _, tag := range strings.Split(d.Tags, ",") {
		if tag = strings.ToLower(line(tag)); tag != "" {
			tags = append(tags, strings.TrimPrefix(tag, "#"))
		}
	}
	return dedupe(tags)
}

// ParseSpeaker reads "name (handle) · team"; each part but the name is
// optional, and "-" or "/" may stand for "·".
func ParseSpeaker(s string) Speaker {
	s = line(s)
	var sp Speaker
	for _, sep := range []string{"·", " - ", " / ", "|"} {
		if before, after, ok := strings.Cut(s, sep); ok {
			s, sp.Team = strings.TrimSpace(before), strings.TrimSpace(after)
			break
		}
	}
	if open := strings.LastIndex(s, "("); open >= 0 && strings.HasSuffix(s, ")") {
		sp.Handle = strings.TrimSpace(s[open+1 : len(s)-1])
		s = strings.TrimSpace(s[:open])
	}
	sp.Name = s
	return sp
}

// SpeakerLine formats a speaker as ParseSpeaker reads it.
func SpeakerLine(s Speaker) string {
	l := s.Label()
	if s.Team != "" {
		l += " · " + s.Team
	}
	return l
}

// DraftOf returns the draft that a form shows to edit t: the inverse of
// Parse, up to the tags Parse adds.
func DraftOf(t Talk, conference string) Draft {
	d := Draft{Title: t.Title, TitleEN: t.TitleEN, Conference: conference,
		Summary: strings.Join(t.Summary, "\n"), Lessons: strings.Join(t.Lessons, "\n"), Tags: strings.Join(t.Tags, ", ")}
	var ss []string
	for _, s := range t.Speakers {
		ss = append(ss, SpeakerLine(s))
	}
	d.Speakers = strings.Join(ss, "\n")
	if len(t.Links) > 0 {
		d.Link = t.Links[0].URL
	}
	return d
}

// GlossaryTags returns, for each glossary group that text mentions, the
// group's first word in Latin letters and its first in Hangul: a recap
// that says 샤딩 is tagged "sharding" and "샤딩". A Latin word must stand
// as a word of its own; a Hangul word may carry a particle ("샤딩을").
func GlossaryTags(glossary [][]string, text string) []string {
	low := strings.ToLower(text)
	var tags []string
	for _, g := range glossary {
		if !slices.ContainsFunc(g, func(w string) bool { return mentions(low, strings.ToLower(w)) }) {
			continue
		}
		latin := slices.IndexFunc(g, func(w string) bool { return !hasHangul(w) })
		hangul := slices.IndexFunc(g, hasHangul)
		for _, i := range []int{latin, hangul} {
			if i >= 0 {
				tags = append(tags, strings.ToLower(g[i]))
			}
		}
	}
	return tags
}

// mentions reports whether text contains w: anywhere for a Hangul word,
// not inside a longer Latin word for a Latin one.
func mentions(text, w string) bool {
	if w == "" {
		return false
	}
	if hasHangul(w) {
		return strings.Contains(text, w)
	}
	for i := 0; ; {
		j := strings.Index(text[i:], w)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(w)
		before, _ := utf8.DecodeLastRuneInString(text[:start])
		after, _ := utf8.DecodeRuneInString(text[end:])
		if (start == 0 || !isWordRune(before)) && (end == len(text) || !isWordRune(after)) {
			return true
		}
		i = start + 1
	}
}

// isWordRune reports whether r continues a Latin word: a Hangul particle
// right after one ("Kafka로") does not.
func isWordRune(r rune) bool { return unicode.Is(unicode.Latin, r) || unicode.IsDigit(r) }

// Slug returns an id made of the lowercase ASCII letters and digits of s,
// words joined by single dashes, at most max bytes; "" when s has none.
func Slug(s string, max int) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if b.Len() >= max {
			break
		}
		switch {
		case r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
	}
	return strings.Trim(b.String()[:min(b.Len(), max)], "-")
}

// TalkID returns an id for a new talk of conference conf: the conference
// id and a slug of the English title (else of the title), else a short
// hash of the title; taken reports ids already in use, and a number is
// added until the id is free.
func TalkID(t Talk, conf string, taken func(string) bool) string {
	base := Slug(cmp.Or(t.TitleEN, t.Title), 48)
	if base == "" {
		sum := sha256.Sum256([]byte(t.Title))
		base = "talk-" + hex.EncodeToString(sum[:3])
	}
	base = strings.Trim(conf+"-"+base, "-")
	id := base
	for n := 2; taken(id); n++ {
		id = base + "-" + strconv.Itoa(n)
	}
	return id
}

var yearRE = regexp.MustCompile(`\b(19[9][0-9]|20[0-9][0-9]|2100)\b`)

// NewConference returns the conference a chat form names when it is none
// of the known ones: the name as given, the year when the text has one,
// and an id made of the name (or a hash of it) that taken does not hold.
func NewConference(name string, taken func(string) bool) Conference {
	name = line(name)
	c := Conference{Name: name}
	if m := yearRE.FindString(name); m != "" {
		c.Year, _ = strconv.Atoi(m)
	}
	base := Slug(name, 40)
	if base == "" || !strings.ContainsFunc(base, unicode.IsLetter) {
		sum := sha256.Sum256([]byte(name))
		base = strings.Trim("conf-"+hex.EncodeToString(sum[:3])+"-"+base, "-")
	}
	c.ID = base
	for n := 2; taken(c.ID); n++ {
		c.ID = base + "-" + strconv.Itoa(n)
	}
	return c
}

// materialLink labels the talk's own link from a form: a video on the
// usual video hosts, slides otherwise.
func materialLink(s string) Link {
	u, _ := url.Parse(s)
	host := strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
	switch host {
	case "youtube.com", "youtu.be", "m.youtube.com", "vimeo.com", "tv.naver.com":
		return Link{Title: MaterialTitle(LinkVideo), URL: s, Kind: LinkVideo}
	}
	return Link{Title: MaterialTitle(LinkSlides), URL: s, Kind: LinkSlides}
}

// MaterialTitle is the title a chat form gives the talk's own link of
// kind k: "Video" or "Slides". Replies say it in their own language.
func MaterialTitle(k LinkKind) string {
	if k == LinkVideo {
		return "Video"
	}
	return "Slides"
}

// httpURL reports whether s is an http(s) URL with a host.
func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// line makes one line of form text (textlimit.Line).
func line(s string) string { return textlimit.Line(s) }

// lines splits form text into its non-empty lines, each made one line,
// without a leading bullet ("- ", "• ", "* ", "1. ").
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		l = line(l)
		for _, p := range []string{"-", "•", "*", "·"} {
			if l == p {
				l = ""
			}
			l = strings.TrimPrefix(l, p+" ")
		}
		if i := strings.Index(l, ". "); i > 0 && i <= 2 && strings.IndexFunc(l[:i], func(r rune) bool { return r < '0' || r > '9' }) < 0 {
			l = l[i+2:]
		}
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func points(errs DraftProblems, field, s string) []string {
	ps := lines(s)
	if len(ps) > MaxPoints {
		errs.set(field, ProblemPoints, MaxPoints, len(ps))
	}
	for i, p := range ps {
		if tooLong(p, MaxPoint) {
			errs.set(field, ProblemPointTooLong, i+1, MaxPoint)
		}
	}
	return ps
}

func required(errs DraftProblems, field, v string, n int) {
	if v == "" {
		errs.set(field, ProblemRequired)
		return
	}
	limit(errs, field, v, n)
}

func limit(errs DraftProblems, field, v string, n int) {
	if tooLong(v, n) {
		errs.set(field, ProblemTooLong, n, utf8.RuneCountInString(v))
	}
}

func tooLong(s string, n int) bool { return utf8.RuneCountInString(s) > n }

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	out := ss[:0]
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
