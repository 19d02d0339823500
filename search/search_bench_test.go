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
// reports the live heap after the build ("heap-MB", talks included), the
// part of it the index adds ("index-MB") and, where the platform tells, the
// CPU time the whole process spent per build, garbage collection included
// ("cpu-ms/op"): on a busy shared machine the wall time mostly measures the
// wait for a core.
func BenchmarkIndexBuild(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			talks, confs := bottest.Talks(n, benchSeed)
			glossary := mustGlossary(b)
			before := heapMB()
			cpu0, cpuOK := processCPU()
			var ix *search.Index
			for b.Loop() {
				ix = nil // let the previous index go before building the next
				ix = search.New(talks, confs, glossary)
			}
			if cpu1, ok := processCPU(); ok && cpuOK {
				b.ReportMetric(float64((cpu1-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
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
			var t timer
			for b.Loop() {
				t.start()
				if err := ix.Add(&extra); err != nil {
					b.Fatal(err)
				}
				t.stop()
				b.StopTimer()
				if err := ix.Remove(extra.ID); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			t.report(b)
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
			var t timer
			for b.Loop() {
				t.start()
				if err := ix.Remove(victim.ID); err != nil {
					b.Fatal(err)
				}
				t.stop()
				b.StopTimer()
				if err := ix.Add(&victim); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			t.report(b)
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
	var t timer
	hits := 0
	i := 0
	for b.Loop() {
		q := queries[i%len(queries)]
		i++
		t.start()
		_, total := ix.Search(q, benchK)
		t.stop()
		hits += total
	}
	t.report(b)
	b.ReportMetric(float64(hits)/float64(i), "hits/op")
}

// timer samples the wall time and, where the platform tells, the thread's
// CPU time of each timed operation. On a machine shared with other busy
// processes the wall time's tail is mostly waiting for a core; the CPU
// time's is the work. Benchmarks using it run on one locked OS thread.
type timer struct {
	locked    bool
	wall, cpu []time.Duration
	wallStart time.Time
	cpuStart  time.Duration
	cpuOK     bool
}

func (t *timer) start() {
	if !t.locked {
		runtime.LockOSThread() // released when the benchmark's goroutine ends
		t.locked = true
	}
	t.cpuStart, t.cpuOK = threadCPU()
	t.wallStart = time.Now()
}

func (t *timer) stop() {
	t.wall = append(t.wall, time.Since(t.wallStart))
	if c, ok := threadCPU(); ok && t.cpuOK {
		t.cpu = append(t.cpu, c-t.cpuStart)
	}
}

// report adds the median and 99th percentile of the samples: p50-ns and
// p99-ns of the wall time, p50-cpu-ns and p99-cpu-ns of the CPU time.
func (t *timer) report(b *testing.B) {
	p50, p99 := percentiles(t.wall)
	b.ReportMetric(float64(p50.Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(p99.Nanoseconds()), "p99-ns")
	if len(t.cpu) > 0 {
		p50, p99 := percentiles(t.cpu)
		b.ReportMetric(float64(p50.Nanoseconds()), "p50-cpu-ns")
		b.ReportMetric(float64(p99.Nanoseconds()), "p99-cpu-ns")
	}
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
