package recaps

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pelletier/go-toml/v2"
)

// GlossaryFile is the name of the glossary at the root of a Source.
const GlossaryFile = "glossary.toml"

var slugRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// Load reads every source in order and returns the merged corpus. A talk or
// conference in a later source replaces one with the same id in an earlier
// source; within one source, ids must be unique. Glossary groups accumulate.
// Load returns an *Error listing every problem when any file is invalid.
func Load(sources ...Source) (*Corpus, error) {
	c, problems := load(sources)
	if len(problems) > 0 {
		return nil, &Error{Problems: problems}
	}
	return c, nil
}

// Check validates sources as Load does, adds the checks of lint.go, and
// returns the problems found in files of the named source only. Earlier
// sources provide context, such as the conferences a talk may refer to.
func Check(name string, sources ...Source) []Problem {
	c, problems := load(sources)
	problems = append(problems, lint(c, sources)...) // lint.go
	sortProblems(problems)
	return slices.DeleteFunc(problems, func(p Problem) bool { return p.Source != name })
}

type talkAt struct {
	talk Talk
	src  string
	line int // line of the conference key, for unknown-conference problems
}

func load(sources []Source) (*Corpus, []Problem) {
	var problems []Problem
	talks := map[string]talkAt{}
	confs := map[string]Conference{}
	c := &Corpus{}
	for _, src := range sources {
		paths, err := recapPaths(src.FS)
		if err != nil {
			problems = append(problems, Problem{src.Name, src.Name, 1, "read corpus: " + err.Error()})
		}
		seen := make(map[string]string, len(paths)) // id → file, within this source
		for _, f := range parseAll(src, paths) {
			problems = append(problems, f.problems...)
			if f.id == "" {
				continue
			}
			if prev, dup := seen[f.id]; dup {
				problems = append(problems, Problem{src.Name, f.name, f.idLine, fmt.Sprintf("duplicate id %q (also in %s)", f.id, prev)})
				continue
			}
			seen[f.id] = f.name
			if f.conf != nil {
				confs[f.id] = *f.conf
			} else if f.talk != nil {
				talks[f.id] = talkAt{*f.talk, src.Name, f.confLine}
			}
		}
		g, gp := readGlossary(src)
		c.Glossary = append(c.Glossary, g...)
		problems = append(problems, gp...)
	}
	c.Talks = make([]Talk, 0, len(talks))
	for _, t := range talks {
		if _, ok := confs[t.talk.Conference]; !ok && t.talk.Conference != "" {
			problems = append(problems, Problem{t.src, t.talk.File, t.line, fmt.Sprintf("unknown conference %q", t.talk.Conference)})
			continue
		}
		c.Talks = append(c.Talks, t.talk)
	}
	c.Conferences = make([]Conference, 0, len(confs))
	for _, cf := range confs {
		c.Conferences = append(c.Conferences, cf)
	}
	SortConferences(c.Conferences)
	order := TalkOrder(c.Conferences)
	slices.SortFunc(c.Talks, func(a, b Talk) int { return order(&a, &b) })
	slices.SortFunc(problems, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Msg, b.Msg))
	})
	return c, problems
}

// recapPaths returns the recap files of fsys in lexical order: every .md
// file but READMEs and FORMAT.md. On an error it returns the paths found
// before it.
func recapPaths(fsys fs.FS) ([]string, error) {
	var paths []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || path.Ext(p) != ".md" || strings.EqualFold(path.Base(p), "README.md") || path.Base(p) == "FORMAT.md" {
			return nil
		}
		paths = append(paths, p)
		return nil
	})
	return paths, err
}

// parseAll reads and parses the files at paths in src, in parallel on up to
// GOMAXPROCS goroutines, and returns them in the order of paths. A file
// that cannot be read comes back with the problem.
func parseAll(src Source, paths []string) []*file {
	files := make([]*file, len(paths))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(paths)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(paths); i = int(next.Add(1) - 1) {
				name := path.Join(src.Name, paths[i])
				data, err := fs.ReadFile(src.FS, paths[i])
				var f *file
				if err != nil {
					f = &file{name: name}
					f.problem(1, "read corpus: %v", err)
				} else {
					f = parseFile(name, data)
				}
				for k := range f.problems {
					f.problems[k].Source = src.Name
				}
				// Keep the lines load reports problems on, not the text.
				f.idLine, f.confLine = f.line("id"), f.line("conference")
				f.front = nil
				files[i] = f
			}
		})
	}
	wg.Wait()
	return files
}

func readGlossary(src Source) ([][]string, []Problem) {
	name := path.Join(src.Name, GlossaryFile)
	data, err := fs.ReadFile(src.FS, GlossaryFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, []Problem{{src.Name, name, 1, "read glossary: " + err.Error()}}
	}
	var g struct {
		Term []struct {
			Words []string `toml:"words"`
		} `toml:"term"`
	}
	if err := toml.Unmarshal(data, &g); err != nil {
		return nil, []Problem{{src.Name, name, tomlLine(err), "glossary: " + tomlMessage(err)}}
	}
	var groups [][]string
	var problems []Problem
	for i, t := range g.Term {
		if len(t.Words) < 2 {
			problems = append(problems, Problem{src.Name, name, 1, fmt.Sprintf("glossary term %d lists fewer than two words", i+1)})
			continue
		}
		groups = append(groups, t.Words)
	}
	return groups, problems
}

// file is one parsed Markdown file.
type file struct {
	name     string
	front    []string // front matter lines; front[i] is file line i+2
	id       string
	talk     *Talk
	conf     *Conference
	problems []Problem
	// idLine and confLine are the lines of the id and conference keys,
	// kept when front is dropped.
	idLine, confLine int
}

// line returns the file line on which front matter key is set, or 1.
func (f *file) line(key string) int {
	for i, l := range f.front {
		l = strings.TrimSpace(l)
		if rest, ok := strings.CutPrefix(l, key); ok && strings.HasPrefix(strings.TrimSpace(rest), "=") {
			return i + 2
		}
	}
	return 1
}

func (f *file) problem(line int, format string, args ...any) {
	f.problems = append(f.problems, Problem{File: f.name, Line: line, Msg: fmt.Sprintf(format, args...)})
}

func parseFile(name string, data []byte) *file {
	f := &file{name: name}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	if len(lines) == 0 || strings.TrimSpace(lines[0]) != "+++" {
		f.problem(1, "missing TOML front matter: the file must start with a +++ line")
		return f
	}
	end := slices.IndexFunc(lines[1:], func(l string) bool { return strings.TrimSpace(l) == "+++" })
	if end < 0 {
		f.problem(1, "front matter is not closed by a +++ line")
		return f
	}
	f.front = lines[1 : end+1]
	body := lines[end+2:]
	bodyLine := end + 3 // file line of body[0]

	front := []byte(strings.Join(f.front, "\n"))
	// The kind is read from the lines when it is written plainly, so the
	// front matter is decoded as TOML once, into the talk or conference.
	var kind struct {
		Kind string `toml:"kind"`
	}
	if k, ok := plainKind(f.front); ok {
		kind.Kind = k
	} else if err := toml.Unmarshal(front, &kind); err != nil {
		f.problem(f.errLine(err), "front matter: %s", tomlMessage(err))
		return f
	}
	switch kind.Kind {
	case "", "talk":
		f.parseTalk(front, body, bodyLine)
	case "conference":
		f.parseConference(front, body)
	default:
		f.problem(f.line("kind"), "unknown kind %q (want \"talk\" or \"conference\")", kind.Kind)
	}
	return f
}

// plainKind returns the value of the top-level kind key when the front
// matter states it plainly (kind = "talk", a basic or literal string with no
// escapes, maybe a comment after it), or "" when no top-level line sets it.
// It reports false when it cannot tell without a TOML parser: multi-line
// strings, quoted keys, or an unusual kind line.
func plainKind(front []string) (string, bool) {
	for _, l := range front {
		l = strings.TrimSpace(l)
		switch {
		case l == "" || l[0] == '#':
			continue
		case l[0] == '[':
			return "", true // tables follow: no top-level kind
		case l[0] == '"' || l[0] == '\'' || strings.Contains(l, `"""`) || strings.Contains(l, "'''"):
			return "", false
		}
		key, val, ok := strings.Cut(l, "=")
		if !ok || strings.TrimSpace(key) != "kind" {
			continue
		}
		val = strings.TrimSpace(val)
		if len(val) < 2 || (val[0] != '"' && val[0] != '\'') {
			return "", false
		}
		end := strings.IndexByte(val[1:], val[0])
		if end < 0 {
			return "", false
		}
		v, rest := val[1:1+end], strings.TrimSpace(val[2+end:])
		if strings.ContainsAny(v, "\\\"'") || rest != "" && rest[0] != '#' {
			return "", false
		}
		return v, true
	}
	return "", true
}

// decode decodes the front matter into v and reports keys v does not know,
// but kind, which parseFile has read.
func (f *file) decode(front []byte, v any) bool {
	err := toml.NewDecoder(bytes.NewReader(front)).DisallowUnknownFields().Decode(v)
	if missing, ok := errors.AsType[*toml.StrictMissingError](err); ok {
		// v is decoded: only its unknown keys are reported.
		for i := range missing.Errors {
			k := missing.Errors[i].Key()
			if len(k) == 1 && k[0] == "kind" {
				continue
			}
			f.problem(tomlLine(&missing.Errors[i])+1, "unknown key %q", keyString(k))
		}
		return true
	}
	if err != nil {
		f.problem(f.errLine(err), "front matter: %s", tomlMessage(err))
		return false
	}
	return true
}

// errLine returns the file line of a front matter decode error. Errors of
// a field's UnmarshalText come without a position: for a link kind it is
// the line that sets that kind.
func (f *file) errLine(err error) int {
	if ke, ok := errors.AsType[*linkKindError](err); ok {
		return cmp.Or(f.valueLine("kind", ke.kind), f.line("links"))
	}
	return tomlLine(err) + 1
}

// keyString formats a dotted TOML key as a file writes it: bare parts as
// they are, other parts quoted.
func keyString(k toml.Key) string {
	parts := make([]string, len(k))
	for i, p := range k {
		bare := p != "" && !strings.ContainsFunc(p, func(r rune) bool {
			return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-')
		})
		if !bare {
			p = strconv.Quote(p)
		}
		parts[i] = p
	}
	return strings.Join(parts, ".")
}

// valueLine returns the file line of the first front matter line that sets
// key to val, written "val", 'val' or bare, or 0.
func (f *file) valueLine(key, val string) int {
	for i, l := range f.front {
		for rest := l; ; {
			j := strings.Index(rest, key)
			if j < 0 {
				break
			}
			rest = rest[j+len(key):]
			v, ok := strings.CutPrefix(strings.TrimLeft(rest, " \t"), "=")
			if !ok {
				continue
			}
			v = strings.TrimLeft(v, " \t")
			for _, w := range []string{`"` + val + `"`, "'" + val + "'", val} {
				if after, ok := strings.CutPrefix(v, w); ok && (after == "" || strings.ContainsRune(" \t,}]#", rune(after[0]))) {
					return i + 2
				}
			}
		}
	}
	return 0
}

func (f *file) checkID(id string) {
	switch {
	case id == "":
		f.problem(1, "missing required key \"id\"")
	case !slugRE.MatchString(id):
		f.problem(f.line("id"), "id %q is not a slug (lowercase letters, digits and single dashes)", id)
	default:
		f.id = id
	}
}

func (f *file) parseTalk(front []byte, body []string, bodyLine int) {
	var t Talk
	if !f.decode(front, &t) {
		return
	}
	// The TOML decoder stores a TOML string into LinkKind, a string type,
	// without calling its UnmarshalText: check the kinds here, reported as
	// the decode error they used to be.
	for _, l := range t.Links {
		var k LinkKind
		if err := k.UnmarshalText([]byte(l.Kind)); l.Kind != "" && err != nil {
			f.problem(f.errLine(err), "front matter: %s", tomlMessage(err))
			return
		}
	}
	t.File = f.name
	f.checkID(t.ID)
	for _, req := range []struct{ key, val string }{
		{"conference", t.Conference}, {"title", t.Title},
	} {
		if strings.TrimSpace(req.val) == "" {
			f.problem(1, "missing required key %q", req.key)
		}
	}
	if len(t.Tags) == 0 {
		f.problem(f.line("tags"), "tags must not be empty")
	}
	for _, tag := range t.Tags {
		if strings.TrimSpace(tag) == "" {
			f.problem(f.line("tags"), "empty tag")
		}
	}
	for _, s := range t.Speakers {
		if strings.TrimSpace(s.Name) == "" {
			f.problem(f.line("name"), "speaker without a name")
		}
	}
	for _, l := range t.Links {
		if !strings.HasPrefix(l.URL, "https://") && !strings.HasPrefix(l.URL, "http://") {
			f.problem(f.line("links"), "link %q is not an http(s) URL", l.URL)
		}
	}
	var summaryAt int
	t.Summary, t.Lessons, summaryAt = f.parseBody(body, bodyLine)
	if len(t.Summary) == 0 {
		f.problem(cmp.Or(summaryAt, bodyLine), "summary is empty: add a \"## Summary\" section with bullet points")
	}
	f.talk = &t
}

// parseBody reads the "## Summary" and "## Lessons" bullet lists. A bullet
// starts with "- " or "* "; indented lines continue it. Each bullet comes
// out as one line with single spaces, as bot.Section promises adapters. summaryAt is the
// line of the Summary heading, or 0.
func (f *file) parseBody(body []string, first int) (summary, lessons []string, summaryAt int) {
	var cur *[]string
	for i, raw := range body {
		n := first + i
		l := strings.TrimSpace(raw)
		switch {
		case l == "":
		case strings.HasPrefix(l, "#"):
			switch strings.ToLower(strings.TrimSpace(strings.TrimLeft(l, "#"))) {
			case "summary":
				cur = &summary
				summaryAt = n
			case "lessons", "lessons learned":
				cur = &lessons
			default:
				f.problem(n, "unknown section %q (want \"## Summary\" or \"## Lessons\")", l)
				cur = nil
			}
		case strings.HasPrefix(l, "- ") || strings.HasPrefix(l, "* "):
			if cur == nil {
				f.problem(n, "bullet outside a \"## Summary\" or \"## Lessons\" section")
				continue
			}
			*cur = append(*cur, squeeze(l[2:]))
		case cur != nil && len(*cur) > 0 && raw != l:
			(*cur)[len(*cur)-1] += " " + squeeze(l)
		default:
			f.problem(n, "text outside a bullet point")
		}
	}
	return summary, lessons, summaryAt
}

// squeeze returns s with its white space trimmed and every run of it made
// one space: strings.Join(strings.Fields(s), " ") in one pass and one
// allocation, which matters when loading 100,000 recaps.
func squeeze(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		if unicode.IsSpace(r) {
			space = true
		} else {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteString(s[i : i+size]) // the bytes as they are, valid or not
		}
		i += size
	}
	return b.String()
}

func (f *file) parseConference(front []byte, body []string) {
	var c Conference
	if !f.decode(front, &c) {
		return
	}
	c.File = f.name
	f.checkID(c.ID)
	if strings.TrimSpace(c.Name) == "" {
		f.problem(1, "missing required key \"name\"")
	}
	if c.Year < 1990 || c.Year > 2100 {
		f.problem(f.line("year"), "year %d is missing or implausible", c.Year)
	}
	for _, d := range []struct{ key, val string }{{"date", c.Date}, {"end_date", c.EndDate}} {
		if d.val == "" {
			continue
		}
		if t, err := time.Parse(time.DateOnly, d.val); err != nil {
			f.problem(f.line(d.key), "%s %q is not a date (want YYYY-MM-DD)", d.key, d.val)
		} else if c.Year != 0 && t.Year() != c.Year {
			f.problem(f.line(d.key), "%s %q is not in year %d", d.key, d.val, c.Year)
		}
	}
	if c.EndDate != "" && c.Date != "" && c.EndDate < c.Date {
		f.problem(f.line("end_date"), "end_date %q is before date %q", c.EndDate, c.Date)
	}
	c.About = strings.TrimSpace(strings.Join(body, "\n"))
	f.conf = &c
}

// tomlLine returns the 1-based line of a TOML error within its input, or 1
// when the error has no position.
func tomlLine(err error) int {
	if de, ok := errors.AsType[*toml.DecodeError](err); ok {
		if row, _ := de.Position(); row > 0 {
			return row
		}
	}
	return 1
}

// tomlMessage returns the message of a TOML error without the "toml: "
// prefix.
func tomlMessage(err error) string {
	return strings.TrimPrefix(err.Error(), "toml: ")
}
