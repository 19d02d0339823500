package search

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
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

func mustIndex(tb testing.TB) *Index {
	tb.Helper()
	c := mustCorpus(tb)
	return New(c.Talks, c.Conferences, c.Glossary)
}

func ids(hits []Hit, n int) []string {
	var out []string
	for _, h := range hits[:min(n, len(hits))] {
		out = append(out, h.Talk.ID)
	}
	return out
}

var sharding = []string{"daangn-2024-chat-sharding", "daangn-2024-search-sharding", "woowacon-2023-baemin-order-system"}
var kafka = []string{"woowacon-2023-kafka-eda", "deview-2019-11st-kafka-msa"}

// checkTop fails unless every id in want is among the first len(want) hits.
func checkTop(t *testing.T, ix *Index, query string, want []string) {
	t.Helper()
	hits, _ := ix.Search(query, -1)
	got := ids(hits, len(want))
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("Search(%q) top %d = %v, want it to contain %s", query, len(want), got, w)
		}
	}
}

func TestSearchRelevance(t *testing.T) {
	ix := mustIndex(t)
	tests := []struct {
		query string
		top   []string // must all be within the first len(top) hits
	}{
		{"sharding", sharding},
		{"샤딩", sharding},
		{"샤딩을", sharding},
		{"샤딩하라", sharding},
		{"SHARDING!!", sharding},
		{"  Sharding ", sharding},
		{"kafka", kafka},
		{"카프카", kafka},
		{"이벤트 기반 카프카", []string{"woowacon-2023-kafka-eda"}},
		{"레디스", []string{"woowacon-2023-elasticache-redis-guide"}},
		{"redis", []string{"woowacon-2023-elasticache-redis-guide"}},
		{"쿠버네티스", []string{"deview-2019-multi-tenancy-kubernetes"}},
		{"kubernetes", []string{"deview-2019-multi-tenancy-kubernetes"}},
		{"가시성", []string{"deview-2019-pinpoint-observability"}},
		{"옵저버빌리티", []string{"deview-2019-pinpoint-observability"}},
		{"observability pinpoint", []string{"deview-2019-pinpoint-observability"}},
		{"elasticsearch 샤딩", []string{"daangn-2024-search-sharding"}},
		{"채팅", []string{"daangn-2024-chat-sharding"}},
		{"몽고DB", []string{"deview-2019-mongodb-content-search"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) { checkTop(t, ix, tt.query, tt.top) })
	}
}

func TestSearchNoHit(t *testing.T) {
	ix := mustIndex(t)
	for _, q := range []string{"", "   ", "zzqxv", "!!!", "블록체인양자"} {
		if got, total := ix.Search(q, -1); len(got) != 0 || total != 0 {
			t.Errorf("Search(%q) = %v (total %d), want no hits", q, ids(got, 5), total)
		}
	}
}

func TestSearchTopK(t *testing.T) {
	ix := mustIndex(t)
	for _, q := range []string{"kafka", "sharding", "이벤트", "how did daangn scale search", "microservice"} {
		all, total := ix.Search(q, -1)
		if total != len(all) {
			t.Errorf("Search(%q, -1) total = %d, want len(hits) %d", q, total, len(all))
		}
		for k := 1; k <= total+1; k++ {
			got, n := ix.Search(q, k)
			if n != total {
				t.Errorf("Search(%q, %d) total = %d, want %d", q, k, n, total)
			}
			if want := all[:min(k, total)]; !slices.Equal(ids(got, k), ids(want, k)) {
				t.Errorf("Search(%q, %d) = %v, want %v", q, k, ids(got, k), ids(want, k))
			}
		}
	}
}

// TestSearchCorrectsTypos checks that a query word matching nothing is
// corrected against the index's vocabulary and the glossary.
func TestSearchCorrectsTypos(t *testing.T) {
	ix := mustIndex(t)
	tests := []struct {
		query string
		top   []string
	}{
		{"kafak", kafka},  // swapped letters
		{"kafkaa", kafka}, // one letter too many
		{"카프가", kafka},    // a wrong syllable, in Korean
		{"sahrding", sharding},
		{"shardig 어떻게 했나요", sharding},
		{"kubernetse", []string{"deview-2019-multi-tenancy-kubernetes"}},
		{"obsrevability", []string{"deview-2019-pinpoint-observability"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			checkTop(t, ix, tt.query, tt.top)
			if _, total := ix.Search(tt.query, 0); total == 0 {
				t.Errorf("Search(%q) found nothing", tt.query)
			}
		})
	}
	// The total is the corrected word's: nothing else is added.
	if _, got := ix.Search("kafak", -1); got != len(kafka) {
		t.Errorf("Search(kafak) total = %d, want %d", got, len(kafka))
	}
	for _, tt := range []struct {
		word, want string
		ok         bool
	}{
		{"kafak", "kafka", true},
		{"kafka", "", false}, // known: nothing to correct
		{"카프가", "카프카", true},
		{"kfa", "", false},   // too short to guess
		{"zzqxv", "", false}, // nothing close
	} {
		if got, ok := ix.Correct(tt.word); got != tt.want || ok != tt.ok {
			t.Errorf("Correct(%q) = %q, %v; want %q, %v", tt.word, got, ok, tt.want, tt.ok)
		}
	}
}

// TestSearchQuestions checks that question words and endings, in Korean and
// English, do not change what a question finds.
func TestSearchQuestions(t *testing.T) {
	ix := mustIndex(t)
	tests := []struct{ question, topic string }{
		{"샤딩 어떻게 했어", "샤딩"},
		{"샤딩은 어떻게 했나요?", "샤딩"},
		{"카프카 왜 썼어요", "카프카"}, // 썼어요 is no stop word, but nothing has it
		{"how did they scale chat", "scale chat"},
		{"How did daangn scale search?", "daangn scale search"},
		{"what is observability", "observability"},
		{"레디스 캐시는 어떻게 해요", "레디스 캐시"},
	}
	for _, tt := range tests {
		t.Run(tt.question, func(t *testing.T) {
			got, gotN := ix.Search(tt.question, -1)
			want, wantN := ix.Search(tt.topic, -1)
			if gotN != wantN || !slices.Equal(ids(got, 10), ids(want, 10)) {
				t.Errorf("Search(%q) = %d hits %v, want those of %q: %d hits %v", tt.question, gotN, ids(got, 10), tt.topic, wantN, ids(want, 10))
			}
		})
	}
	// A query of stop words only is searched as typed.
	if g := ix.Glossary(); !g.Stop("how") || !g.Stop("어떻게") || g.Stop("sharding") {
		t.Errorf("stop words: how %v, 어떻게 %v, sharding %v; want true, true, false", g.Stop("how"), g.Stop("어떻게"), g.Stop("sharding"))
	}
}

func newTalk(id, title string, summary ...string) *recaps.Talk {
	return &recaps.Talk{ID: id, Conference: "deview-2019", Title: title, Tags: []string{"contributed"}, Summary: summary}
}

func TestAddUpdateRemove(t *testing.T) {
	ix := mustIndex(t)
	n := ix.Len()
	talk := newTalk("my-recap", "양자 컴퓨팅으로 만든 주문 시스템", "Quokka queues made our orders fast.")
	if err := ix.Add(talk); err != nil {
		t.Fatalf("Add: %v", err)
	}
	if got := ix.Len(); got != n+1 {
		t.Errorf("Len after Add = %d, want %d", got, n+1)
	}
	for _, q := range []string{"quokka", "양자", "컴퓨팅을", "quokkas queue", "deview 양자"} {
		if hits, _ := ix.Search(q, 1); len(hits) == 0 || hits[0].Talk != talk {
			t.Errorf("after Add, Search(%q) top = %v, want my-recap", q, ids(hits, 1))
		}
	}
	if err := ix.Add(newTalk("my-recap", "again")); !errors.Is(err, ErrExists) {
		t.Errorf("Add of a known id: err = %v, want ErrExists", err)
	}

	edited := newTalk("my-recap", "Wombat storage", "Wombats dig deep.")
	if err := ix.Update(edited); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if hits, total := ix.Search("quokka", -1); total != 0 {
		t.Errorf("after Update, Search(quokka) = %v, want nothing", ids(hits, 5))
	}
	if hits, _ := ix.Search("wombat", 1); len(hits) == 0 || hits[0].Talk != edited {
		t.Errorf("after Update, Search(wombat) = %v, want my-recap", ids(hits, 1))
	}

	if err := ix.Remove("my-recap"); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if hits, total := ix.Search("wombat", -1); total != 0 {
		t.Errorf("after Remove, Search(wombat) = %v, want nothing", ids(hits, 5))
	}
	if got := ix.Len(); got != n {
		t.Errorf("Len after Remove = %d, want %d", got, n)
	}
	for _, err := range []error{ix.Remove("my-recap"), ix.Update(newTalk("nobody", "x"))} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
	}
}

// TestIncrementalMatchesRebuild checks that an index changed talk by talk
// ranks exactly as one built from scratch over the same talks.
func TestIncrementalMatchesRebuild(t *testing.T) {
	c := mustCorpus(t)
	full := New(c.Talks, c.Conferences, c.Glossary)
	// Start from half the talks, add the rest, and churn a few.
	half := len(c.Talks) / 2
	inc := New(c.Talks[:half], c.Conferences, c.Glossary)
	for i := half; i < len(c.Talks); i++ {
		if err := inc.Add(&c.Talks[i]); err != nil {
			t.Fatal(err)
		}
	}
	for _, i := range []int{0, 3, half, len(c.Talks) - 1} {
		if err := inc.Remove(c.Talks[i].ID); err != nil {
			t.Fatal(err)
		}
		if err := inc.Add(&c.Talks[i]); err != nil {
			t.Fatal(err)
		}
		if err := inc.Update(&c.Talks[i]); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{"sharding", "카프카", "이벤트 기반 카프카", "deview kubernetes", "microservice", "채팅"} {
		want, wantN := full.Search(q, -1)
		got, gotN := inc.Search(q, -1)
		if gotN != wantN || !slices.Equal(ids(got, wantN), ids(want, wantN)) {
			t.Errorf("Search(%q): incremental %v, rebuilt %v", q, ids(got, 10), ids(want, 10))
			continue
		}
		for i := range got {
			if d := got[i].Score - want[i].Score; d > 1e-9 || d < -1e-9 {
				t.Errorf("Search(%q) hit %d score %v, rebuilt %v", q, i, got[i].Score, want[i].Score)
			}
		}
	}
}

// TestConcurrentUpdates runs searches while talks are added and removed;
// run with -race. Every search sees the shipped kafka talks whatever the
// writers do.
func TestConcurrentUpdates(t *testing.T) {
	ix := mustIndex(t)
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			for i := range 50 {
				id := fmt.Sprintf("w%d-%d", w, i)
				if err := ix.Add(newTalk(id, "Kafka 카프카 notes "+id, "kafka again")); err != nil {
					t.Error(err)
					return
				}
				if i%2 == 0 {
					if err := ix.Remove(id); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			for range 100 {
				hits, total := ix.Search("kafka", -1)
				if total < len(kafka) || len(hits) != total {
					t.Errorf("Search(kafka) = %d hits, total %d; want at least %d", len(hits), total, len(kafka))
					return
				}
			}
		})
	}
	wg.Wait()
	if _, total := ix.Search("kafka", 0); total != len(kafka)+50 {
		t.Errorf("after the writers, Search(kafka) total = %d, want %d", total, len(kafka)+50)
	}
}

func TestDistance(t *testing.T) {
	long := strings.Repeat("ab", 20)
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"kafka", "kafka", 0},
		{"kafak", "kafka", 1}, // swap
		{"kafa", "kafka", 1},  // insertion
		{"kafkaa", "kafka", 1},
		{"kefka", "kafka", 1},
		{"ca", "abc", 3}, // optimal string alignment: no edit of a swapped pair
		{"카프가", "카프카", 1},
		{"샤딩", "딩샤", 1},
		{"", "abc", 3},
		{long, long + "x", 1}, // longer than the stack buffers
	}
	for _, tt := range tests {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := Distance(tt.b, tt.a); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestWordsAndTerms(t *testing.T) {
	tests := []struct {
		text         string
		words, terms []string
	}{
		{"DynamoDB로 샤딩을!", []string{"dynamodb", "로", "샤딩을"}, []string{"dynamodb", "로", "샤딩", "딩을"}},
		{"  Kafka-Streams 2024 ", []string{"kafka", "streams", "2024"}, []string{"kafka", "stream", "2024"}},
		{"ÉCOLE straße", []string{"école", "straße"}, []string{"école", "straße"}},
		{"classes glass", []string{"classes", "glass"}, []string{"classe", "glass"}},
		{"!!!", nil, nil},
	}
	for _, tt := range tests {
		if got := Words(tt.text); !slices.Equal(got, tt.words) {
			t.Errorf("Words(%q) = %q, want %q", tt.text, got, tt.words)
		}
		if got := TextTerms(tt.text); !slices.Equal(got, tt.terms) {
			t.Errorf("TextTerms(%q) = %q, want %q", tt.text, got, tt.terms)
		}
	}
}

func TestAddConference(t *testing.T) {
	ix := mustIndex(t)
	c := recaps.Conference{ID: "gophercon-2025", Name: "GopherCon Korea 2025", NameKO: "고퍼콘 코리아 2025", Year: 2025, Aliases: []string{"gophercon"}}
	if err := ix.AddConference(c); err != nil {
		t.Fatal(err)
	}
	if err := ix.AddConference(c); !errors.Is(err, ErrExists) {
		t.Errorf("second AddConference: err = %v, want ErrExists", err)
	}
	talk := &recaps.Talk{ID: "go-gc", Conference: c.ID, Title: "Go GC 튜닝", Tags: []string{"go"}, Summary: []string{"GOGC"}}
	if err := ix.Add(talk); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"gophercon", "고퍼콘", "gophercon 튜닝"} {
		if hits, _ := ix.Search(q, 1); len(hits) == 0 || hits[0].Talk != talk {
			t.Errorf("Search(%q) = %v, want go-gc", q, ids(hits, 1))
		}
	}
	if err := ix.Remove("go-gc"); err != nil {
		t.Fatal(err)
	}
	if _, total := ix.Search("gophercon", 0); total != 0 {
		t.Errorf("after Remove, Search(gophercon) finds %d talks", total)
	}
}
