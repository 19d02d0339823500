package bot

import (
	"testing"

	"github.com/talkbot/talkbot/recaps"
)

// linkCorpus is one talk with the given links and title aliases.
func linkCorpus(links []recaps.Link, aliases ...string) *recaps.Corpus {
	return &recaps.Corpus{
		Conferences: []recaps.Conference{{ID: "c1", Name: "Conf", Year: 2024}},
		Talks: []recaps.Talk{{
			ID: "c1-talk", Conference: "c1", Title: "샤딩 이야기", TitleAliases: aliases,
			Tags: []string{"sharding", "샤딩"}, Summary: []string{"요약이다."}, Links: links,
		}},
	}
}

func TestTitleLinkIsTheTalksOwnMaterial(t *testing.T) {
	ref := recaps.Link{Title: "비교한 다른 발표", URL: "https://example.com/other-talk", Kind: recaps.LinkReference}
	old := recaps.Link{Title: "Project", URL: "https://example.com/project"} // no kind: a reference
	video := recaps.Link{Title: "발표 영상", URL: "https://example.com/video", Kind: recaps.LinkVideo}
	tests := []struct {
		name     string
		links    []recaps.Link
		titleURL string
		titles   []string
	}{
		{"references only", []recaps.Link{ref, old}, "", []string{"Reference: 비교한 다른 발표", "Reference: Project"}},
		{"video after a reference", []recaps.Link{ref, video}, video.URL, []string{"Reference: 비교한 다른 발표", "발표 영상"}},
		{"untitled slides", []recaps.Link{{URL: "https://example.com/s", Kind: recaps.LinkSlides}}, "https://example.com/s", []string{"https://example.com/s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := New(linkCorpus(tt.links), Options{})
			rep := handle(t, b, "show c1-talk", 1)
			if rep.TitleURL != tt.titleURL {
				t.Errorf("TitleURL: got %q, want %q", rep.TitleURL, tt.titleURL)
			}
			var titles []string
			for _, l := range rep.Links {
				titles = append(titles, l.Title)
			}
			if len(titles) != len(tt.titles) {
				t.Fatalf("links: got %q, want %q", titles, tt.titles)
			}
			for i := range titles {
				if titles[i] != tt.titles[i] {
					t.Errorf("link %d: got %q, want %q", i, titles[i], tt.titles[i])
				}
			}
		})
	}
}

func TestTitleAliasesAreSearched(t *testing.T) {
	b := New(linkCorpus(nil, "Zebra meetup spelling"), Options{})
	if hits := b.Search("zebra"); len(hits) != 1 || hits[0].Talk.ID != "c1-talk" {
		t.Errorf("search for a word only in a title alias: got %d hits, want the talk", len(hits))
	}
}
