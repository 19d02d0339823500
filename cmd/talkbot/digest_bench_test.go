package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/talkbot/talkbot/adapters/slack"
	"github.com/talkbot/talkbot/bot"
)

// fakeSlackAPI answers chat.postMessage after a fixed latency, with HTTP 429
// (Retry-After: 1, as Slack sends whole seconds) for a share of calls, and
// counts the messages each channel received.
type fakeSlackAPI struct {
	latency  time.Duration
	share429 float64

	mu      sync.Mutex
	rnd     *rand.Rand
	posts   map[string]int
	limited int
}

func (f *fakeSlackAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	time.Sleep(f.latency) // the simulated network and API latency
	if r.URL.Path != "/api/chat.postMessage" {
		http.Error(w, "unexpected call "+r.URL.Path, http.StatusNotFound)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ch := r.PostForm.Get("channel")
	f.mu.Lock()
	limited := f.rnd.Float64() < f.share429
	if limited {
		f.limited++
	} else {
		f.posts[ch]++
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if limited {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte(`{"ok":false,"error":"ratelimited"}`))
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": ch, "ts": fmt.Sprintf("%d.000100", time.Now().UnixNano())})
}

// BenchmarkDigest10k delivers one week's digest to 10,000 subscribed Slack
// channels through the real adapter, store and digest, at the default
// settings, against a fake Slack API with 20 ms latency and 5% 429 answers
// (Retry-After: 1), and reports the time, the duplicates and the misses
// (both must be 0). Issue 16's goal: within ~9 s on the 2-core machine.
func BenchmarkDigest10k(b *testing.B) {
	benchDigest(b, 20*time.Millisecond, 0.05, boltStore)
}

// BenchmarkDigest10kZeroLatency is the same run against a fake that answers
// at once and never 429: what is left is talkbot's own cost, mostly the two
// ledger writes per channel. Issue 14's goal: under 5 s with bbolt.
func BenchmarkDigest10kZeroLatency(b *testing.B) {
	benchDigest(b, 0, 0, boltStore)
}

// boltStore configures a bbolt file of b's own.
func boltStore(b *testing.B, c *StoreConfig) { c.Path = filepath.Join(b.TempDir(), "talkbot.db") }

// benchDigest runs the 10,000-channel digest against the fake Slack API
// with the given latency and share of 429s, on the store that store
// configures.
func benchDigest(b *testing.B, latency time.Duration, share429 float64, store func(*testing.B, *StoreConfig)) {
	const channels = 10_000
	for range b.N {
		b.StopTimer()
		fake := &fakeSlackAPI{latency: latency, share429: share429, rnd: rand.New(rand.NewPCG(7, 7)), posts: map[string]int{}}
		srv := httptest.NewServer(fake)
		cfg := defaultConfig()
		store(b, &cfg.Store)
		cfg.Slack = SlackConfig{BotToken: "xoxb-bench", SigningSecret: benchSecret, APIURL: srv.URL + "/api/"}
		if w := os.Getenv("TALKBOT_BENCH_WORKERS"); w != "" { // for measuring other settings
			cfg.Digest.Workers, _ = strconv.Atoi(w)
		}
		a, err := env{}.open(cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		subs := make([]bot.Subscription, channels)
		for i := range subs {
			subs[i] = bot.Subscription{ChannelRef: bot.ChannelRef{Platform: slack.Platform, Channel: fmt.Sprintf("C%05d", i)}, Since: time.Now()}
		}
		if err := a.db.PutSubscriptions(ctx, subs); err != nil {
			b.Fatal(err)
		}
		w := bot.WeekOf(time.Now(), a.bot.Location())
		b.StartTimer()
		start := time.Now()
		r, err := a.digest.Run(ctx, w)
		elapsed := time.Since(start)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		dups, misses := 0, 0
		for i := range channels {
			switch n := fake.posts[fmt.Sprintf("C%05d", i)]; {
			case n == 0:
				misses++
			case n > 1:
				dups += n - 1
			}
		}
		b.ReportMetric(elapsed.Seconds(), "s/run")
		b.ReportMetric(float64(dups), "duplicates")
		b.ReportMetric(float64(misses), "misses")
		b.ReportMetric(float64(fake.limited), "429s")
		b.ReportMetric(float64(r.Sent), "sent")
		if dups != 0 || misses != 0 || r.Sent != channels {
			b.Errorf("report %+v: %d duplicates, %d misses; want %d sent and none", r, dups, misses, channels)
		}
		a.close()
		srv.Close()
	}
}
