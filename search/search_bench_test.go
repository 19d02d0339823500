// The search benchmarks live in the external test package so that they can
// import bot/bottest, which imports bot, which imports search.
package search_test

import (
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/talkbot/talkbot/bot/bottest"
	"github.com/talkbot/talkbot/recaps"
	"github.com/talkbot/talkbot/search"
)

// benchSizes are the corpus sizes benchmarked: about today's corpus, and a
// corpus far larger than talkbot will ever ship.
var benchSizes = []int{20, 100_000}

const benchSeed = 1

// benchK is how many hits a benchmarked search ranks: two pages of bot's
// answers.
const benchK = 10

// heapMB returns the live heap in MB after a full collection.
func heapMB() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / (1 << 20)
}

// BenchmarkIndexBuild measures building the index over generated talks. It
// reports the live heap after the build ("heap-MB", talks included) and the
// part of it the index adds ("index-MB").
func BenchmarkIndexBuild(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			talks, confs := bottest.Talks(n, benchSeed)
			glossary := mustGlossary(b)
			before := heapMB()
			var ix *search.Index
			for b.Loop() {
				ix = nil // let the previous index go before building the next
				ix = search.New(talks, confs, glossary)
			}
			after := heapMB()
			runtime.KeepAlive(ix)
			b.ReportMetric(after, "heap-MB")
			b.ReportMetric(after-before, "index-MB")
		})
	}
}

// BenchmarkAdd measures adding one generated talk to an index of n talks
// (and removing it again outside the timer, so every op adds to the same
// index size). It reports the median and 99th percentile of the adds.
func BenchmarkAdd(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			talks, confs := bottest.Talks(n+1, benchSeed)
			extra := talks[n]
			ix := search.New(talks[:n], confs, mustGlossary(b))
			var samples []time.Duration
			for b.Loop() {
				start := time.Now()
				if err := ix.Add(&extra); err != nil {
					b.Fatal(err)
				}
				samples = append(samples, time.Since(start))
				b.StopTimer()
				if err := ix.Remove(extra.ID); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			reportPercentiles(b, samples)
		})
	}
}

// BenchmarkRemove measures removing one talk from an index of n talks (and
// adding it back outside the timer).
func BenchmarkRemove(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			talks, confs := bottest.Talks(n, benchSeed)
			ix := search.New(talks, confs, mustGlossary(b))
			victim := talks[n/2]
			var samples []time.Duration
			for b.Loop() {
				start := time.Now()
				if err := ix.Remove(victim.ID); err != nil {
					b.Fatal(err)
				}
				samples = append(samples, time.Since(start))
				b.StopTimer()
				if err := ix.Add(&victim); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			reportPercentiles(b, samples)
		})
	}
}

// BenchmarkSearch measures one query per operation, cycling through
// bottest.Queries, ranking the top benchK, and reports the median and 99th
// percentile of the individual query times besides the mean. Run it with
// -benchtime=2000x (or more) for stable percentiles.
func BenchmarkSearch(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			talks, confs := bottest.Talks(n, benchSeed)
			benchSearch(b, search.New(talks, confs, mustGlossary(b)))
		})
	}
}

// BenchmarkSearchEmbedded is BenchmarkSearch over the real corpus.
func BenchmarkSearchEmbedded(b *testing.B) {
	c, err := recaps.Load(recaps.Embedded())
	if err != nil {
		b.Fatalf("load embedded corpus: %v", err)
	}
	benchSearch(b, search.New(c.Talks, c.Conferences, c.Glossary))
}

func benchSearch(b *testing.B, ix *search.Index) {
	queries := bottest.Queries()
	var samples []time.Duration
	hits := 0
	i := 0
	for b.Loop() {
		q := queries[i%len(queries)]
		i++
		start := time.Now()
		_, total := ix.Search(q, benchK)
		samples = append(samples, time.Since(start))
		hits += total
	}
	reportPercentiles(b, samples)
	b.ReportMetric(float64(hits)/float64(len(samples)), "hits/op")
}

func reportPercentiles(b *testing.B, samples []time.Duration) {
	p50, p99 := percentiles(samples)
	b.ReportMetric(float64(p50.Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(p99.Nanoseconds()), "p99-ns")
}

// percentiles returns the median and the 99th percentile of samples,
// nearest-rank.
func percentiles(samples []time.Duration) (p50, p99 time.Duration) {
	if len(samples) == 0 {
		return 0, 0
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	rank := func(p float64) time.Duration {
		k := int(p*float64(len(s))+0.5) - 1
		return s[min(max(k, 0), len(s)-1)]
	}
	return rank(0.50), rank(0.99)
}

func mustGlossary(tb testing.TB) [][]string {
	tb.Helper()
	c, err := recaps.Load(recaps.Embedded())
	if err != nil {
		tb.Fatalf("load embedded corpus: %v", err)
	}
	return c.Glossary
}
