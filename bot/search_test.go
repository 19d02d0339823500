package bot

import (
	"fmt"
	"strings"
	"testing"

	"github.com/talkbot/talkbot/recaps"
)

// mustCorpus loads the embedded corpus or fails the test.
func mustCorpus(tb testing.TB) *recaps.Corpus {
	tb.Helper()
	c, err := recaps.Load(recaps.Embedded())
	if err != nil {
		tb.Fatalf("load embedded corpus: %v", err)
	}
	return c
}

// TestSearchForgivesTyping drives the search answer with a misspelt word
// and a question: both find the talks, not "Popular tags".
func TestSearchForgivesTyping(t *testing.T) {
	b := New(mustCorpus(t), Options{})
	tests := []struct{ text, intro, title string }{
		{"kafak", "Best of 2 talks", "Kafka"},
		{"샤딩 어떻게 했어", "Best of 3 talks", "샤딩"},
		{"how did they scale chat", "“how did they scale chat”", "채팅"},
	}
	for _, tt := range tests {
		rep := handle(t, b, tt.text, 1)
		if rep.Outcome != OutcomeOK || !strings.Contains(rep.Intro, tt.intro) || !strings.Contains(rep.Title, tt.title) {
			t.Errorf("%q: outcome %s, title %q, intro %q; want ok, a title with %q, an intro with %q", tt.text, rep.Outcome, rep.Title, rep.Intro, tt.title, tt.intro)
		}
	}
}

// TestSearchPagesCountEveryHit checks that an answer ranking only its own
// pages still counts every hit.
func TestSearchPagesCountEveryHit(t *testing.T) {
	b := New(mustCorpus(t), Options{PageSize: 2})
	total := len(b.Search("이벤트"))
	if total <= 4 {
		t.Fatalf("이벤트 finds %d talks; the test needs more than two pages", total)
	}
	rep := handle(t, b, "이벤트", 2)
	if want := fmt.Sprintf("of %d.", total); !strings.Contains(rep.Footer, want) || len(rep.Items) != 2 {
		t.Errorf("page 2: footer %q, %d items; want %q and 2 items", rep.Footer, len(rep.Items), want)
	}
	last := (total + 1) / 2
	if rep := handle(t, b, "이벤트", last+1); rep.Outcome != OutcomeUsage {
		t.Errorf("page %d of %d: outcome %s, want usage", last+1, last, rep.Outcome)
	}
}

// TestClosestKinds checks the lookups the speaker answers use: only
// speakers when asked for them, swapped letters forgiven.
func TestClosestKinds(t *testing.T) {
	b := New(mustCorpus(t), Options{})
	var got []string
	for _, s := range b.snapshot().closest("jonhny", 3, suggestSpeaker) {
		got = append(got, s.text)
		if s.kind != suggestSpeaker {
			t.Errorf("closest(jonhny, speakers) offers %q, kind %d", s.text, s.kind)
		}
	}
	if len(got) == 0 || got[0] != "Johnny" {
		t.Errorf("closest(jonhny, speakers) = %v, want Johnny first", got)
	}
	for _, s := range b.snapshot().closest("kafak", 6, -1) {
		if s.kind == suggestTitle {
			t.Errorf("closest(kafak) offers the title %q", s.text)
		}
	}
}
