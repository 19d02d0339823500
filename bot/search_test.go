package bot

import (
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

func ids(hits []Hit, n int) []string {
	var out []string
	for _, h := range hits[:min(n, len(hits))] {
		out = append(out, h.Talk.ID)
	}
	return out
}

func TestSearchRelevance(t *testing.T) {
	c := mustCorpus(t)
	ix := NewIndex(c.Talks, c.Conferences, c.Glossary)
	sharding := []string{"daangn-2024-chat-sharding", "daangn-2024-search-sharding", "woowacon-2023-baemin-order-system"}
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
		{"kafka", []string{"woowacon-2023-kafka-eda", "deview-2019-11st-kafka-msa"}},
		{"카프카", []string{"woowacon-2023-kafka-eda", "deview-2019-11st-kafka-msa"}},
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
		t.Run(tt.query, func(t *testing.T) {
			got := ids(ix.Search(tt.query), len(tt.top))
			for _, want := range tt.top {
				found := false
				for _, g := range got {
					found = found || g == want
				}
				if !found {
					t.Errorf("Search(%q) top %d = %v, want it to contain %s", tt.query, len(tt.top), got, want)
				}
			}
		})
	}
}

func TestSearchNoHit(t *testing.T) {
	c := mustCorpus(t)
	ix := NewIndex(c.Talks, c.Conferences, c.Glossary)
	for _, q := range []string{"", "   ", "zzqxv", "!!!", "블록체인양자"} {
		if got := ix.Search(q); len(got) != 0 {
			t.Errorf("Search(%q) = %v, want no hits", q, ids(got, 5))
		}
	}
}
