package recaps

import (
	"slices"
	"testing"
	"testing/fstest"
)

func TestLinkKindsAndAliases(t *testing.T) {
	file := "+++\nid = \"a\"\nconference = \"c1\"\ntitle = \"t\"\ntitle_aliases = [\"t 2\"]\ntags = [\"x\"]\n" +
		"links = [\n  { title = \"old\", url = \"https://e.com/1\" },\n  { title = \"ref\", url = \"https://e.com/2\", kind = \"reference\" },\n" +
		"  { title = \"s\", url = \"https://e.com/3\", kind = \"slides\" },\n  { title = \"v\", url = \"https://e.com/4\", kind = \"video\" },\n]\n+++\n## Summary\n- s\n"
	c, err := Load(Source{Name: "d", FS: fstest.MapFS{"c1.md": {Data: []byte(conf)}, "x.md": {Data: []byte(file)}}})
	if err != nil {
		t.Fatal(err)
	}
	tk, _ := c.Talk("a")
	if !slices.Equal(tk.TitleAliases, []string{"t 2"}) {
		t.Errorf("title_aliases: got %q", tk.TitleAliases)
	}
	var kinds []LinkKind
	for _, l := range tk.Links {
		kinds = append(kinds, l.Kind)
	}
	if want := []LinkKind{"", LinkReference, LinkSlides, LinkVideo}; !slices.Equal(kinds, want) {
		t.Errorf("kinds: got %q, want %q", kinds, want)
	}
	if l, ok := tk.TitleLink(); !ok || l.URL != "https://e.com/3" {
		t.Errorf("TitleLink: got %v %v, want the slides, the first own material", l, ok)
	}
	tk.Links = tk.Links[:2]
	if l, ok := tk.TitleLink(); ok {
		t.Errorf("TitleLink of references only: got %v, want none", l)
	}
}
