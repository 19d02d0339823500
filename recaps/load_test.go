package recaps

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func TestPlainKind(t *testing.T) {
	tests := []struct {
		front    string
		kind     string
		readable bool
	}{
		{`kind = "conference"`, "conference", true},
		{"# a comment\nkind='talk' # trailing", "talk", true},
		{"id = \"a\"\ntitle = \"kind = x\"", "", true}, // no kind key
		{"id = \"a\"\n[[speakers]]\nkind = \"conference\"", "", true},
		{"title = \"\"\"\nkind = \"conference\"\n\"\"\"", "", false}, // in a multi-line string
		{`"kind" = "conference"`, "", false},                         // quoted key
		{`kind = "con\u0066erence"`, "", false},                      // escapes
		{"kind = \"talk\" x", "", false},
		{"kind = 1", "", false},
	}
	for _, tt := range tests {
		k, ok := plainKind(strings.Split(tt.front, "\n"))
		if k != tt.kind || ok != tt.readable {
			t.Errorf("plainKind(%q) = %q, %v; want %q, %v", tt.front, k, ok, tt.kind, tt.readable)
		}
	}
}

// TestLoadKindsOnce checks that files whose kind needs the TOML parser
// load as the line scan's would.
func TestLoadKindsOnce(t *testing.T) {
	src := Source{Name: "d", FS: fstest.MapFS{
		"c1.md": {Data: []byte(conf)},
		"c2.md": {Data: []byte("+++\n\"kind\" = \"conference\"\nid = \"c2\"\nname = \"C2\"\nyear = 2024\n+++\n")},
		"c3.md": {Data: []byte("+++\nkind = \"con\\u0066erence\"\nid = \"c3\"\nname = \"C3\"\nyear = 2024\n+++\n")},
		"a.md":  {Data: []byte(talk("a", "A"))},
	}}
	c, err := Load(src)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, cf := range c.Conferences {
		ids = append(ids, cf.ID)
	}
	slices.Sort(ids)
	if want := []string{"c1", "c2", "c3"}; !slices.Equal(ids, want) || len(c.Talks) != 1 {
		t.Errorf("conferences %v and %d talks, want %v and 1", ids, len(c.Talks), want)
	}
}

// TestLoadParallelIsDeterministic loads many files, some with the same id,
// and checks that the problems name the later file in path order every time.
func TestLoadParallelIsDeterministic(t *testing.T) {
	fsys := fstest.MapFS{"c1.md": {Data: []byte(conf)}}
	for i := range 200 {
		fsys[fmt.Sprintf("t/%03d.md", i)] = &fstest.MapFile{Data: []byte(talk(fmt.Sprintf("t%d", i%150), "T"))}
	}
	fsys["t/bad.md"] = &fstest.MapFile{Data: []byte("no front matter")}
	var first string
	for range 5 {
		_, err := Load(Source{Name: "d", FS: fsys})
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("Load: err = %v, want *Error", err)
		}
		if len(e.Problems) != 51 {
			t.Errorf("got %d problems, want 50 duplicates and 1 missing front matter", len(e.Problems))
		}
		got := fmt.Sprint(e.Problems)
		if !strings.Contains(got, "d/t/150.md:2: duplicate id \"t0\" (also in d/t/000.md)") {
			t.Errorf("problems %s do not name d/t/150.md as the duplicate of d/t/000.md", got[:min(300, len(got))])
		}
		if first == "" {
			first = got
		} else if got != first {
			t.Errorf("problems differ between loads")
		}
	}
}

func TestSqueeze(t *testing.T) {
	for _, s := range []string{
		"", "   ", "one", "  one  two\tthree\n", "샤딩을\u3000했어요\u00a0 끝", "a\u200bb", "bad \xff\xfe  utf8 ", "\u2028x\u2029",
	} {
		if got, want := squeeze(s), strings.Join(strings.Fields(s), " "); got != want {
			t.Errorf("squeeze(%q) = %q, want %q", s, got, want)
		}
	}
}
