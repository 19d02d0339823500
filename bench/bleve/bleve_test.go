package bleve

import (
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/talkbot/talkbot/bot/bottest"
	"github.com/talkbot/talkbot/recaps"
	"github.com/talkbot/talkbot/search"
)

// pageSize is how many hits a search collects, in both engines.
const pageSize = 10

func mustCorpus(tb testing.TB) *recaps.Corpus {
	tb.Helper()
	c, err := recaps.Load(recaps.Embedded())
	if err != nil {
		tb.Fatalf("load embedded corpus: %v", err)
	}
	return c
}

func mustIndex(tb testing.TB, talks []recaps.Talk, confs []recaps.Conference, glossary [][]string) *Index {
	tb.Helper()
	ix, err := New(talks, confs, glossary)
	if err != nil {
		tb.Fatalf("build index: %v", err)
	}
	tb.Cleanup(func() { ix.Close() })
	return ix
}

// relevanceCases is TestSearchRelevance's table from search/search_test.go.
func relevanceCases() []struct {
	query string
	top   []string
} {
	sharding := []string{"daangn-2024-chat-sharding", "daangn-2024-search-sharding", "woowacon-2023-baemin-order-system"}
	return []struct {
		query string
		top   []string
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
		{"observability pinpoint", []string{"deview-2019-pinpoint-observability"}},
		{"elasticsearch 샤딩", []string{"daangn-2024-search-sharding"}},
		{"채팅", []string{"daangn-2024-chat-sharding"}},
		{"몽고DB", []string{"deview-2019-mongodb-content-search"}},
	}
}

func containsAll(got, want []string) bool {
	for _, w := range want {
		if !slices.Contains(got, w) {
			return false
		}
	}
	return true
}

// TestRelevance runs the search package's relevance table against both engines and logs
// which queries each one passes. It fails only if bleve errors; the pass
// counts are the measurement (see ../RESULTS.md).
func TestRelevance(t *testing.T) {
	c := mustCorpus(t)
	bl := mustIndex(t, c.Talks, c.Conferences, c.Glossary)
	ours := search.New(c.Talks, c.Conferences, c.Glossary)
	var passBleve, passOurs int
	var report strings.Builder
	for _, tt := range relevanceCases() {
		n := len(tt.top)
		hits, err := bl.Search(tt.query, n)
		if err != nil {
			t.Fatal(err)
		}
		var gotBleve, gotOurs []string
		for _, h := range hits {
			gotBleve = append(gotBleve, h.Talk.ID)
		}
		oursHits, _ := ours.Search(tt.query, n)
		for _, h := range oursHits {
			gotOurs = append(gotOurs, h.Talk.ID)
		}
		okB, okO := containsAll(gotBleve, tt.top), containsAll(gotOurs, tt.top)
		if okB {
			passBleve++
		}
		if okO {
			passOurs++
		}
		fmt.Fprintf(&report, "%-26q bleve=%-5v bot=%-5v bleve top %d = %v\n", tt.query, okB, okO, n, gotBleve)
	}
	for _, q := range []string{"", "   ", "zzqxv", "!!!", "블록체인양자"} {
		hits, err := bl.Search(q, pageSize)
		if err != nil {
			t.Fatal(err)
		}
		_, oursN := ours.Search(q, 0)
		fmt.Fprintf(&report, "no-hit %-19q bleve hits=%d bot hits=%d\n", q, len(hits), oursN)
	}
	t.Logf("relevance on the real corpus: bleve %d/%d, bot %d/%d\n%s",
		passBleve, len(relevanceCases()), passOurs, len(relevanceCases()), report.String())
}

var benchSizes = []int{20, 100_000}

const benchSeed = 1

func heapMB() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / (1 << 20)
}

// BenchmarkIndexBuild is search's BenchmarkIndexBuild for bleve.
func BenchmarkIndexBuild(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			talks, confs := bottest.Talks(n, benchSeed)
			glossary := mustCorpus(b).Glossary
			before := heapMB()
			var ix *Index
			for b.Loop() {
				if ix != nil {
					ix.Close()
					ix = nil
				}
				var err error
				if ix, err = New(talks, confs, glossary); err != nil {
					b.Fatal(err)
				}
			}
			after := heapMB()
			b.ReportMetric(after, "heap-MB")
			b.ReportMetric(after-before, "index-MB")
			ix.Close()
		})
	}
}

// BenchmarkSearch is search's BenchmarkSearch for bleve: one query per
// operation from bottest.Queries, top 10 hits.
func BenchmarkSearch(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			talks, confs := bottest.Talks(n, benchSeed)
			benchSearch(b, mustIndex(b, talks, confs, mustCorpus(b).Glossary))
		})
	}
}

// BenchmarkSearchEmbedded is BenchmarkSearch over the real corpus.
func BenchmarkSearchEmbedded(b *testing.B) {
	c := mustCorpus(b)
	benchSearch(b, mustIndex(b, c.Talks, c.Conferences, c.Glossary))
}

func benchSearch(b *testing.B, ix *Index) {
	queries := bottest.Queries()
	var samples []time.Duration
	hits, i := 0, 0
	for b.Loop() {
		q := queries[i%len(queries)]
		i++
		start := time.Now()
		hs, err := ix.Search(q, pageSize)
		samples = append(samples, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		hits += len(hs)
	}
	slices.Sort(samples)
	rank := func(p float64) time.Duration {
		k := int(p*float64(len(samples))+0.5) - 1
		return samples[min(max(k, 0), len(samples)-1)]
	}
	b.ReportMetric(float64(rank(0.50).Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(rank(0.99).Nanoseconds()), "p99-ns")
	b.ReportMetric(float64(hits)/float64(len(samples)), "hits/op")
}
