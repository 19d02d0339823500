package main

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/talkbot/talkbot/adapters/slack"
	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/store/postgres/pgtest"
)

// BenchmarkDigest10kZeroLatencyPostgres is BenchmarkDigest10kZeroLatency
// on PostgreSQL (TALKBOT_TEST_POSTGRES_DSN; skipped without a server):
// 10,000 Slack channels, a fake API that answers at once, default
// workers. What is left is talkbot's own cost: reading the plan, and per
// channel a ledger claim and a delivery record. Issue 14's goal: under 5 s.
//
//	go test -run '^$' -bench 'Digest10kZeroLatency' -benchtime 3x ./cmd/talkbot/
func BenchmarkDigest10kZeroLatencyPostgres(b *testing.B) {
	const channels = 10_000
	for range b.N {
		b.StopTimer()
		fake := &fakeSlackAPI{rnd: rand.New(rand.NewPCG(7, 7)), posts: map[string]int{}}
		srv := httptest.NewServer(fake)
		cfg := defaultConfig()
		cfg.Store.Driver, cfg.Store.DSN = driverPostgres, pgtest.DSN(b)
		cfg.Slack = SlackConfig{BotToken: "xoxb-bench", SigningSecret: benchSecret, APIURL: srv.URL + "/api/"}
		if w := os.Getenv("TALKBOT_BENCH_WORKERS"); w != "" {
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
		b.ReportMetric(float64(r.Sent), "sent")
		if dups != 0 || misses != 0 || r.Sent != channels {
			b.Errorf("report %+v: %d duplicates, %d misses; want %d sent and none", r, dups, misses, channels)
		}
		a.close()
		srv.Close()
	}
}
