package recaps

import (
	"fmt"

	"strings"
)

// Format writes t as a talk file in the format of FORMAT.md, which Load
// reads back as the same talk and lint accepts.
func Format(t Talk) []byte {
	var b strings.Builder
	b.WriteString("+++\n")
	kv(&b, "id", t.ID)
	kv(&b, "conference", t.Conference)
	kv(&b, "track", t.Track)
	if t.Order != 0 {
		fmt.Fprintf(&b, "order = %d\n", t.Order)
	}
	kv(&b, "title", t.Title)
	kv(&b, "title_en", t.TitleEN)
	list(&b, "title_aliases", t.TitleAliases)
	list(&b, "tags", t.Tags)
	if len(t.Links) > 0 {
		b.WriteString("links = [")
		for i, l := range t.Links {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "{ title = %s, url = %s", quote(l.Title), quote(l.URL))
			if l.Kind != "" {
				fmt.Fprintf(&b, ", kind = %s", quote(string(l.Kind)))
			}
			b.WriteString(" }")
		}
		b.WriteString("]\n")
	}
	kv(&b, "author", t.Author)
	kv(&b, "author_id", t.AuthorID)
	kv(&b, "created", t.Created)
	kv(&b, "updated", t.Updated)
	for _, s := range t.Speakers {
		b.WriteString("\n[[speakers]]\n")
		kv(&b, "name", s.Name)
		kv(&b, "handle", s.Handle)
		kv(&b, "team", s.Team)
	}
	b.WriteString("+++\n\n## Summary\n")
	bullets(&b, t.Summary)
	if len(t.Lessons) > 0 {
		b.WriteString("\n## Lessons\n")
		bullets(&b, t.Lessons)
	}
	return []byte(b.String())
}

// FormatConference writes c as a conference file in the format of
// FORMAT.md.
func FormatConference(c Conference) []byte {
	var b strings.Builder
	b.WriteString("+++\nkind = \"conference\"\n")
	kv(&b, "id", c.ID)
	kv(&b, "name", c.Name)
	kv(&b, "name_ko", c.NameKO)
	list(&b, "aliases", c.Aliases)
	fmt.Fprintf(&b, "year = %d\n", c.Year)
	kv(&b, "date", c.Date)
	kv(&b, "end_date", c.EndDate)
	kv(&b, "venue", c.Venue)
	kv(&b, "link", c.Link)
	b.WriteString("+++\n")
	if c.About != "" {
		b.WriteString(c.About + "\n")
	}
	return []byte(b.String())
}

func kv(b *strings.Builder, key, v string) {
	if v != "" {
		b.WriteString(key + " = " + quote(v) + "\n")
	}
}

func list(b *strings.Builder, key string, vs []string) {
	if len(vs) == 0 {
		return
	}
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = quote(v)
	}
	b.WriteString(key + " = [" + strings.Join(q, ", ") + "]\n")
}

func bullets(b *strings.Builder, ps []string) {
	for _, p := range ps {
		b.WriteString("- " + p + "\n")
	}
}

// quote returns s as a TOML basic string.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\u` + fmt.Sprintf("%04X", r))
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
