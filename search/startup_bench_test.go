package search_test

import (
	"bufio"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/talkbot/talkbot/bot/bottest"
	"github.com/talkbot/talkbot/recaps"
	"github.com/talkbot/talkbot/search"
)

// TestWriteRecapsRoundTrip checks that the recap files the start-up
// benchmark loads hold the talks bottest.Talks generates.
func TestWriteRecapsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	if err := bottest.WriteRecaps(dir, 40, benchSeed); err != nil {
		t.Fatal(err)
	}
	c, err := recaps.Load(recaps.Source{Name: dir, FS: os.DirFS(dir)})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := bottest.Talks(40, benchSeed)
	got := map[string]recaps.Talk{}
	for _, x := range c.Talks {
		got[x.ID] = x
	}
	for _, w := range want {
		g := got[w.ID]
		g.File = w.File
		if fmt.Sprint(g) != fmt.Sprint(w) {
			t.Errorf("%s loaded as\n%v\nwant\n%v", w.ID, g, w)
		}
	}
}

// BenchmarkStartup measures what talkbot serve does before /readyz with a
// large [recaps] dir: load the embedded corpus and n generated recap files
// (written once into b.TempDir(), about 2.5 KB each), then index every talk.
// Besides the time it reports the process's CPU time per load (cpu-s/op,
// Linux only: on a shared machine the wall time depends on the neighbours),
// the live heap afterwards (heap-MB) and the
// process's peak resident set during the loads (peak-RSS-MB, Linux only;
// the files are written and the writer's garbage returned to the OS before
// the peak is reset).
func BenchmarkStartup(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			dir := b.TempDir()
			start := time.Now()
			if err := bottest.WriteRecaps(dir, n, benchSeed); err != nil {
				b.Fatal(err)
			}
			b.Logf("wrote %d recaps in %v", n, time.Since(start))
			src := recaps.Source{Name: dir, FS: os.DirFS(dir)}
			debug.FreeOSMemory()
			resetPeakRSS()
			cpu0, cpuOK := processCPU()
			var ix *search.Index
			for b.Loop() {
				ix = nil
				c, err := recaps.Load(recaps.Embedded(), src)
				if err != nil {
					b.Fatal(err)
				}
				ix = search.New(c.Talks, c.Conferences, c.Glossary)
			}
			if cpu1, ok := processCPU(); ok && cpuOK {
				b.ReportMetric((cpu1-cpu0).Seconds()/float64(b.N), "cpu-s/op")
			}
			if rss, ok := peakRSSMB(); ok {
				b.ReportMetric(rss, "peak-RSS-MB")
			}
			b.ReportMetric(heapMB(), "heap-MB")
			if got := ix.Len(); got != n+20 {
				b.Errorf("indexed %d talks, want %d", got, n+20)
			}
		})
	}
}

// resetPeakRSS resets the kernel's record of the process's peak resident
// set (VmHWM), where Linux allows it.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSSMB returns VmHWM from /proc/self/status in MB.
func peakRSSMB() (float64, bool) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return float64(kb) / 1024, err == nil
		}
	}
	return 0, false
}
