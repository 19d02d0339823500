package recaps

import (
	"reflect"
	"testing"
	"testing/fstest"
)

// Format and FormatConference write files that Load reads back as the
// same talk and conference, and that lint accepts.
func TestFormatRoundTrip(t *testing.T) {
	c := Conference{ID: "conf-2024", Name: `Conf "24"`, NameKO: "컨퍼런스", Aliases: []string{"conf"}, Year: 2024, Date: "2024-05-01", Venue: `C:\hall`, About: "About it."}
	tk := Talk{
		ID: "conf-2024-a-talk", Conference: c.ID, Title: `"샤딩" <!channel> \ back`, TitleEN: "A talk",
		Tags:         []string{"sharding", "샤딩"},
		Links:        []Link{{Title: "Video", URL: "https://example.com/v?a=1&b=2", Kind: LinkVideo}, {Title: "A post", URL: "https://example.com/p"}},
		TitleAliases: []string{"다른 제목"},
		Speakers:     []Speaker{{Name: "김기현", Handle: "Ash", Team: "채팅"}, {Name: "권영훈"}},
		Summary:      []string{"one # not a heading", "two"},
		Lessons:      []string{"- three"},
		Author:       "Ash", AuthorID: "slack:U1", Created: "2026-12-02T08:00:00Z", Updated: "2026-12-02T08:05:00Z",
	}
	fsys := fstest.MapFS{
		"conferences/conf-2024.md":            {Data: FormatConference(c)},
		"talks/conf-2024/conf-2024-a-talk.md": {Data: Format(tk)},
	}
	if ps := Check("out", Source{Name: "out", FS: fsys}); len(ps) > 0 {
		t.Fatalf("lint: %v\n%s", ps, Format(tk))
	}
	corpus, err := Load(Source{Name: "out", FS: fsys})
	if err != nil {
		t.Fatal(err)
	}
	got := corpus.Talks[0]
	got.File = ""
	if !reflect.DeepEqual(got, tk) {
		t.Errorf("talk round trip:\n got %+v\nwant %+v", got, tk)
	}
	gc := corpus.Conferences[0]
	gc.File = ""
	if !reflect.DeepEqual(gc, c) {
		t.Errorf("conference round trip:\n got %+v\nwant %+v", gc, c)
	}
}
