package postgres

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/talkbot/talkbot/bot"
)

// BenchmarkDigestLedger10k is the ledger's share of a digest run over
// 10,000 channels with the digest's default 8 workers.
//
//	go test -run '^$' -bench DigestLedger10k -benchtime 3x ./store/postgres/
//
// one-by-one: for each channel a pending entry before the post and the
// delivery after it, each its own MarkDelivered call, as the digest's
// workers make them; the store sends concurrent calls together
// (groupCommit), a batch per round trip on up to half the pool's
// connections at once.
//
// chunks-of-100: each worker takes 100 channels, marks them pending in one
// MarkDeliveries call, then records them delivered in another: 200 commits
// instead of 20,000, which is what the digest would do to batch.
func BenchmarkDigestLedger10k(b *testing.B) {
	const channels, workers = 10_000, 8
	db := mustOpen(b)
	ctx := context.Background()
	week := bot.Week(0)
	entry := func(i int, pending bool) bot.Delivery {
		d := bot.Delivery{Week: week, Channel: bot.ChannelRef{Platform: "slack", Channel: fmt.Sprintf("C%05d", i)}, TalkID: "t", At: t0, Pending: pending}
		if !pending {
			d.MessageID = "m"
		}
		return d
	}
	run := func(b *testing.B, chunk int, write func(lo, hi int) error) {
		for b.Loop() {
			week++
			next := make(chan int)
			var wg sync.WaitGroup
			for range workers {
				wg.Go(func() {
					for lo := range next {
						if err := write(lo, min(lo+chunk, channels)); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			for lo := 0; lo < channels; lo += chunk {
				next <- lo
			}
			close(next)
			wg.Wait()
		}
	}
	b.Run("one-by-one", func(b *testing.B) {
		run(b, 1, func(i, _ int) error {
			if err := db.MarkDelivered(ctx, entry(i, true)); err != nil {
				return err
			}
			return db.MarkDelivered(ctx, entry(i, false))
		})
	})
	b.Run("chunks-of-100", func(b *testing.B) {
		run(b, 100, func(lo, hi int) error {
			var pending, done []bot.Delivery
			for i := lo; i < hi; i++ {
				pending, done = append(pending, entry(i, true)), append(done, entry(i, false))
			}
			if err := db.MarkDeliveries(ctx, pending); err != nil {
				return err
			}
			return db.MarkDeliveries(ctx, done)
		})
	})
}
