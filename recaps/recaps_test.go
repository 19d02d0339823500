package recaps

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestEmbeddedCorpus(t *testing.T) {
	c, err := Load(Embedded())
	if err != nil {
		t.Fatalf("embedded corpus: %v", err)
	}
	count := map[string]int{}
	for _, tk := range c.Talks {
		count[tk.Conference]++
		if n := len(tk.Summary); n < 3 || n > 8 {
			t.Errorf("%s: %d summary points, want 3–8", tk.ID, n)
		}
		if len(tk.Lessons) == 0 {
			t.Errorf("%s: no lessons", tk.ID)
		}
		if tk.TitleEN == "" {
			t.Errorf("%s: no English title", tk.ID)
		}
		hangul, latin := false, false
		for _, tag := range tk.Tags {
			for _, r := range tag {
				hangul = hangul || (r >= 0xAC00 && r <= 0xD7A3)
				latin = latin || (r >= 'a' && r <= 'z')
			}
		}
		if !hangul || !latin {
			t.Errorf("%s: tags %v need both Korean and English", tk.ID, tk.Tags)
		}
	}
	want := map[string]int{"daangn-2024": 7, "woowacon-2023": 7, "deview-2019": 6}
	for conf, n := range want {
		if count[conf] != n {
			t.Errorf("%s: %d talks, want %d", conf, count[conf], n)
		}
	}
	if len(c.Talks) != 20 || len(c.Conferences) != 3 {
		t.Errorf("got %d talks in %d conferences, want 20 in 3", len(c.Talks), len(c.Conferences))
	}
	if len(c.Glossary) < 20 {
		t.Errorf("glossary has %d terms, want the shipped list", len(c.Glossary))
	}
	if got := Check("recaps", Embedded()); len(got) != 0 {
		t.Errorf("lint of the embedded corpus: %v", got)
	}
}

const conf = "+++\nkind = \"conference\"\nid = \"c1\"\nname = \"Conf\"\nyear = 2024\n+++\n"

func talk(id, title string) string {
	return "+++\nid = \"" + id + "\"\nconference = \"c1\"\ntitle = \"" + title + "\"\ntags = [\"x\"]\n+++\n\n## Summary\n- one\n  continued\n- two\n\n## Lessons\n- three\n"
}

func TestLoadOverrideAndContinuation(t *testing.T) {
	base := Source{Name: "base", FS: fstest.MapFS{
		"c1.md":     {Data: []byte(conf)},
		"t/a.md":    {Data: []byte(talk("a", "Original"))},
		"t/b.md":    {Data: []byte(talk("b", "Other"))},
		"FORMAT.md": {Data: []byte("not a recap")},
	}}
	user := Source{Name: "user", FS: fstest.MapFS{
		"a.md":          {Data: []byte(talk("a", "Replaced"))},
		"glossary.toml": {Data: []byte("[[term]]\nwords = [\"x\", \"엑스\"]\n")},
	}}
	c, err := Load(base, user)
	if err != nil {
		t.Fatal(err)
	}
	a, ok := c.Talk("a")
	if !ok || a.Title != "Replaced" {
		t.Errorf("talk a: got %q, want the user's override", a.Title)
	}
	if got, want := strings.Join(a.Summary, "|"), "one continued|two"; got != want {
		t.Errorf("summary: got %q, want %q", got, want)
	}
	if len(c.Talks) != 2 || len(c.Glossary) != 1 {
		t.Errorf("got %d talks and %d glossary terms, want 2 and 1", len(c.Talks), len(c.Glossary))
	}
}

func TestCheckProblems(t *testing.T) {
	tests := []struct {
		name, file, want string
	}{
		{"no front matter", "# hi\n", "x.md:1: missing TOML front matter"},
		{"unclosed", "+++\nid = \"a\"\n", "x.md:1: front matter is not closed"},
		{"bad toml", "+++\nid = \"a\ntitle = 1\n+++\n", "x.md:2: front matter:"},
		{"unknown key", "+++\nid = \"a\"\nconference = \"c1\"\ntitle = \"t\"\ntags = [\"x\"]\nspeaker = \"b\"\n+++\n## Summary\n- s\n", "x.md:6: unknown key \"speaker\""},
		{"unknown conference", "+++\nid = \"a\"\nconference = \"nope\"\ntitle = \"t\"\ntags = [\"x\"]\n+++\n## Summary\n- s\n", "x.md:3: unknown conference \"nope\""},
		{"missing title", "+++\nid = \"a\"\nconference = \"c1\"\ntags = [\"x\"]\n+++\n## Summary\n- s\n", "x.md:1: missing required key \"title\""},
		{"bad date", "+++\nkind = \"conference\"\nid = \"c2\"\nname = \"C\"\nyear = 2024\ndate = \"2024-13-01\"\n+++\n", "x.md:6: date \"2024-13-01\" is not a date"},
		{"date outside year", "+++\nkind = \"conference\"\nid = \"c2\"\nname = \"C\"\nyear = 2024\ndate = \"2023-01-01\"\n+++\n", "is not in year 2024"},
		{"bad link", "+++\nid = \"a\"\nconference = \"c1\"\ntitle = \"t\"\ntags = [\"x\"]\nlinks = [{title = \"x\", url = \"ftp://x\"}]\n+++\n## Summary\n- s\n", "is not an http(s) URL"},
		{"type error", "+++\nid = \"a\"\nconference = \"c1\"\ntitle = \"t\"\ntags = [\"x\"]\norder = \"first\"\n+++\n## Summary\n- s\n", "x.md:6: front matter:"},
		{"unknown key in a table", "+++\nid = \"a\"\nconference = \"c1\"\ntitle = \"t\"\ntags = [\"x\"]\n\n[[speakers]]\nname = \"A\"\nnme = \"B\"\n+++\n## Summary\n- s\n", "x.md:9: unknown key \"speakers.nme\""},
		{"unknown dotted key", "+++\nid = \"a\"\nconference = \"c1\"\ntitle = \"t\"\ntags = [\"x\"]\nfoo.bar = 1\n+++\n## Summary\n- s\n", "x.md:6: unknown key \"foo.bar\""},
		{"unknown table", "+++\nid = \"a\"\nconference = \"c1\"\ntitle = \"t\"\ntags = [\"x\"]\n\n[foo]\nbar = 1\n+++\n## Summary\n- s\n", "x.md:7: unknown key \"foo\""},
		{"link kind in a table", "+++\nid = \"a\"\nconference = \"c1\"\ntitle = \"t\"\ntags = [\"x\"]\n\n[[links]]\ntitle = \"v\"\nurl = \"https://e.com/v\"\nkind = 'movie'\n+++\n## Summary\n- s\n", "x.md:10: front matter: unknown link kind \"movie\""},
		{"link kind not a string", "+++\nid = \"a\"\nconference = \"c1\"\ntitle = \"t\"\ntags = [\"x\"]\nlinks = [\n  { title = \"v\", url = \"https://e.com/v\", kind = 3 },\n]\n+++\n## Summary\n- s\n", "x.md:7: front matter: unknown link kind \"3\""},
		{"conference type error", "+++\nkind = \"conference\"\nid = \"c2\"\nname = \"C\"\nyear = \"2024\"\n+++\n", "x.md:5: front matter:"},
		{"conference unknown key", "+++\nkind = \"conference\"\nid = \"c2\"\nname = \"C\"\nyear = 2024\ncity = \"Seoul\"\n+++\n", "x.md:6: unknown key \"city\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := Source{Name: "d", FS: fstest.MapFS{"c1.md": {Data: []byte(conf)}, "x.md": {Data: []byte(tt.file)}}}
			var got []string
			for _, p := range Check("d", src) {
				got = append(got, p.String())
			}
			if !strings.Contains(strings.Join(got, "\n"), tt.want) {
				t.Errorf("got %v, want a problem containing %q", got, tt.want)
			}
		})
	}
}
