package main

import (
	"context"
	"fmt"
	"testing"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/bottest"
	"github.com/talkbot/talkbot/recaps"
)

// contribStore returns an in-memory store holding n generated contributed
// recaps (bottest.Talks), their generated conferences created from chat.
func contribStore(tb testing.TB, n int) *bottest.Store {
	tb.Helper()
	talks, confs := bottest.Talks(n, 1)
	st := bottest.NewStore()
	created := map[string]bool{}
	for i, t := range talks {
		t.Author, t.AuthorID = fmt.Sprintf("author %d", i%50), fmt.Sprintf("slack:U%d", i%50)
		t.Created, t.Updated = "2026-11-30T10:00:00Z", "2026-11-30T10:00:00Z"
		c := bot.Contribution{Talk: t, Key: "view-" + t.ID}
		if !created[t.Conference] {
			for _, cf := range confs {
				if cf.ID == t.Conference {
					c.Conference = &cf
				}
			}
			created[t.Conference] = true
		}
		if err := st.PutRecap(context.Background(), c); err != nil {
			tb.Fatal(err)
		}
	}
	return st
}

// BenchmarkLoadRecaps measures Bot.LoadRecaps with n contributed recaps
// in the store (an in-memory one: the figure is the core's cost, without
// the store's reads): "first" into a Bot that has none (serve's start),
// "again" into a Bot that already has them all (a reload after a change
// announced by another replica, or the periodic reconciliation).
func BenchmarkLoadRecaps(b *testing.B) {
	c, err := recaps.Load(recaps.Embedded())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, n := range []int{1_000, 10_000, 100_000} {
		st := contribStore(b, n)
		b.Run(fmt.Sprintf("first/%d", n), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				bt := bot.New(c, bot.Options{Store: st})
				b.StartTimer()
				if err := bt.LoadRecaps(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("again/%d", n), func(b *testing.B) {
			bt := bot.New(c, bot.Options{Store: st})
			if err := bt.LoadRecaps(ctx); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if err := bt.LoadRecaps(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
