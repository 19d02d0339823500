package bot

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/talkbot/talkbot/recaps"
)

func handle(t *testing.T, b *Bot, text string, page int) Reply {
	t.Helper()
	return b.Handle(context.Background(), Request{Platform: "test", Channel: "C1", User: "U1", Command: ParseCommand(text), Page: page})
}

func TestHandle(t *testing.T) {
	b := New(mustCorpus(t), Options{})
	tests := []struct {
		text    string
		page    int
		outcome Outcome
		title   string // substring of the title
		has     string // substring of Intro, an item or a section
	}{
		{"sharding", 1, OutcomeOK, "샤딩", "Best of 3 talks"},
		{"speaker Johnny", 1, OutcomeOK, "지역 기반으로 중고거래 검색을 샤딩하라", "임문규 (Johnny)"},
		{"Johnny", 1, OutcomeOK, "지역 기반으로 중고거래 검색을 샤딩하라", "임문규 (Johnny)"},
		{"임문규", 1, OutcomeOK, "지역 기반으로 중고거래 검색을 샤딩하라", "임문규 (Johnny)"},
		{"임문규님", 1, OutcomeOK, "지역 기반으로 중고거래 검색을 샤딩하라", "임문규 (Johnny)"},
		{"andrew", 1, OutcomeOK, "당근 채팅 시스템은 어떻게 만들까", "권영훈 (Andrew.kwon)"},
		{"circuit breaker", 1, OutcomeOK, "서드파티", "The one talk for"},
		{"speaker nobody-at-all", 1, OutcomeNoResults, "", "No speaker matches"},
		{"show deview-2019-sre-fail-fast", 1, OutcomeOK, "Fail Fast", "Summary"},
		{"show no-such-talk", 1, OutcomeNoResults, "", "No talk has the id"},
		{"show", 1, OutcomeUsage, "", "Which talk?"},
		{"deview", 1, OutcomeOK, "DEVIEW 2019", "Multi-Tenancy Kubernetes"},
		{"데뷰", 1, OutcomeOK, "DEVIEW 2019", "Pinpoint"},
		{"우아콘", 1, OutcomeOK, "WOOWACON 2023", "Kafka"},
		{"당근", 1, OutcomeOK, "2024", "채팅"},
		{"2019", 1, OutcomeOK, "DEVIEW 2019", "몽고DB"},
		{"conferences", 1, OutcomeOK, "Conferences", "WOOWACON 2023"},
		{"help", 1, OutcomeOK, "talkbot", "talk speaker"},
		{"", 1, OutcomeOK, "talkbot", "talk week"},
		{"week", 1, OutcomeOK, "", "Talk of the week"},
		{"random", 1, OutcomeOK, "", "Summary"},
		{"zzqxv", 1, OutcomeNoResults, "", "Popular tags"},
		{"shardng", 1, OutcomeOK, "샤딩", "Best of 3 talks for “shardng”"}, // corrected to sharding
		{"speaker jonny", 1, OutcomeNoResults, "", "Johnny"},
		{"subscribe", 1, OutcomeUsage, "", "without a store"},
		{"성능", 2, OutcomeOK, "page 2", "6."},
		{"sharding", 9, OutcomeUsage, "", "no more results"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			rep := handle(t, b, tt.text, tt.page)
			if rep.Outcome != tt.outcome {
				t.Errorf("outcome: got %s, want %s (%q)", rep.Outcome, tt.outcome, rep.Intro)
			}
			if !strings.Contains(rep.Title, tt.title) {
				t.Errorf("title: got %q, want it to contain %q", rep.Title, tt.title)
			}
			if all := replyText(rep); !strings.Contains(all, tt.has) {
				t.Errorf("reply: got %q, want it to contain %q", all, tt.has)
			}
			if replyText(rep) == "" {
				t.Error("empty reply")
			}
		})
	}
}

// replyText flattens a reply for substring checks.
func replyText(r Reply) string {
	var b strings.Builder
	b.WriteString(r.Title + "\n" + r.Intro + "\n")
	for _, f := range r.Fields {
		b.WriteString(f.Name + ": " + f.Value + "\n")
	}
	for _, s := range r.Sections {
		b.WriteString(s.Heading + "\n" + s.Text + "\n" + strings.Join(s.Bullets, "\n") + "\n")
	}
	for _, it := range r.Items {
		b.WriteString(it.Text + " " + it.Detail + "\n")
	}
	b.WriteString(r.Footer)
	return b.String()
}

func TestSearchPaging(t *testing.T) {
	b := New(mustCorpus(t), Options{PageSize: 3})
	first := handle(t, b, "microservice", 1)
	seen := map[string]bool{first.Title: true}
	for _, it := range first.Items {
		seen[it.Text[strings.Index(it.Text, " ")+1:]] = true
	}
	next := actionOf(first, ActionNext)
	if next == nil {
		t.Fatal("page 1 has no Next results action")
	}
	for page := 2; next != nil; page++ {
		p, ok := b.ParseAction(next.Value)
		if !ok {
			t.Fatalf("bad action value %q", next.Value)
		}
		cmd, pg := p.Request()
		if pg != page {
			t.Fatalf("next page: got %d, want %d", pg, page)
		}
		rep := b.Handle(context.Background(), Request{Platform: "test", Channel: "C1", User: "U1", Command: cmd, Page: pg})
		for _, it := range rep.Items {
			title := it.Text[strings.Index(it.Text, " ")+1:]
			if seen[title] {
				t.Errorf("page %d repeats %q", page, title)
			}
			seen[title] = true
		}
		next = actionOf(rep, ActionNext)
	}
	if want := len(b.Search("microservice")); len(seen) != want {
		t.Errorf("paging showed %d talks, want all %d hits", len(seen), want)
	}
}

func actionOf(r Reply, k ActionKind) *Action {
	for i := range r.Actions {
		if r.Actions[i].Kind == k {
			return &r.Actions[i]
		}
	}
	return nil
}

func TestUserTextIsCleaned(t *testing.T) {
	b := New(mustCorpus(t), Options{})
	rep := handle(t, b, "zz\u0000qq\n<!channel>\u2028"+strings.Repeat("x", 500), 1)
	if strings.ContainsAny(rep.Intro, "\x00\n\u2028") {
		t.Errorf("intro keeps control characters: %q", rep.Intro)
	}
	if n := len([]rune(rep.Intro)); n > 120 {
		t.Errorf("intro echoes %d runes of user text, want it clipped", n)
	}
}

func TestComplete(t *testing.T) {
	b := New(mustCorpus(t), Options{})
	tests := []struct {
		prefix string
		want   string
	}{
		{"shar", "sharding"},
		{"샤", "샤딩"},
		{"john", "Johnny"},
		{"임문", "임문규"},
		{"카프", "카프카"},
		{"", "microservice"},
	}
	for _, tt := range tests {
		got := b.Complete(tt.prefix, 25)
		if len(got) > 25 {
			t.Errorf("Complete(%q) gave %d choices, want at most 25", tt.prefix, len(got))
		}
		found := false
		for _, g := range got {
			found = found || g == tt.want
		}
		if !found {
			t.Errorf("Complete(%q) = %v, want it to include %q", tt.prefix, got, tt.want)
		}
	}
}

func TestHandleEdgeCases(t *testing.T) {
	b := New(mustCorpus(t), Options{Rand: rand.New(rand.NewPCG(1, 1))})
	// A page from a crafted button value must not overflow into a panic.
	if rep := handle(t, b, "sharding", math.MaxInt/DefaultPageSize+2); rep.Outcome != OutcomeUsage {
		t.Errorf("huge page: got %s, want usage", rep.Outcome)
	}
	// An injected *rand.Rand is shared by concurrent requests (-race).
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { handle(t, b, "random", 1) })
	}
	wg.Wait()

	empty := New(&recaps.Corpus{}, Options{})
	for _, text := range []string{"show", "show x", "week", "random", "sharding", "conferences", "speaker x"} {
		rep := handle(t, empty, text, 1)
		if rep.Intro == "" && rep.Title == "" {
			t.Errorf("empty corpus, %q: got an empty reply", text)
		}
	}
	if rep := handle(t, empty, "week", 1); !strings.Contains(rep.Intro, "no talks") {
		t.Errorf("empty corpus, week: got %q, want it to say there are no talks", rep.Intro)
	}
}
