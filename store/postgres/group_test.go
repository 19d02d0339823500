package postgres

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/talkbot/talkbot/bot"
)

// TestClaimsAcrossReplicasGrouped has two replicas (two pools on one
// schema) claim the same 150 channels from 16 goroutines each, so that
// claims share batches within each replica and race between them: every
// channel is claimed exactly once, and each loser is told the winner's
// entry.
func TestClaimsAcrossReplicasGrouped(t *testing.T) {
	dsn := mustOpenDSN(t)
	replicas := []*DB{openDSN(t, dsn), openDSN(t, dsn)}
	const channels, workers = 150, 16
	ctx := context.Background()
	var wins [channels]atomic.Int32
	var wg sync.WaitGroup
	for r, db := range replicas {
		for g := range workers {
			wg.Go(func() {
				for i := range channels {
					ch := bot.ChannelRef{Platform: "slack", Channel: fmt.Sprintf("C%03d", i)}
					me := fmt.Sprintf("r%d-g%d", r, g)
					d := bot.Delivery{Week: 7, Channel: ch, TalkID: me, At: t0, Pending: true}
					won, cur, err := db.ClaimDelivery(ctx, d, t0.Add(-time.Hour))
					switch {
					case err != nil:
						t.Error(err)
						return
					case won:
						wins[i].Add(1)
					case !cur.Pending || cur.TalkID == me || cur.Channel != ch:
						t.Errorf("%s lost %s to %+v", me, ch, cur)
					}
				}
			})
		}
	}
	wg.Wait()
	for i := range channels {
		if n := wins[i].Load(); n != 1 {
			t.Errorf("C%03d claimed %d times, want once", i, n)
		}
	}
}

// TestGroupedWriteFailsAlone: a write the database refuses inside a batch
// fails alone; the others in its batch are committed and claims get their
// results.
func TestGroupedWriteFailsAlone(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	ch := func(i int) bot.ChannelRef { return bot.ChannelRef{Platform: "slack", Channel: fmt.Sprintf("C%d", i)} }
	good := &ledgerWrite{d: bot.Delivery{Week: 3, Channel: ch(1), TalkID: "t", MessageID: "m", At: t0}}
	claim := &ledgerWrite{d: bot.Delivery{Week: 3, Channel: ch(2), TalkID: "t", At: t0, Pending: true}, claim: true, stale: t0}
	bad := &ledgerWrite{d: bot.Delivery{Week: -1, Channel: ch(3), TalkID: "t", At: t0}} // violates CHECK (week >= 0)
	b := &ledgerBatch{writes: []*ledgerWrite{good, bad, claim}, lead: make(chan struct{}, 1), done: make(chan struct{})}
	db.ledger.busy = 1
	db.ledger.send(db, b)
	if bad.err == nil || good.err != nil || claim.err != nil {
		t.Fatalf("errors: good %v, bad %v, claim %v; want only bad's", good.err, bad.err, claim.err)
	}
	if !claim.claimed {
		t.Errorf("claim: not claimed, cur %+v", claim.cur)
	}
	if d, err := db.Delivered(ctx, 3, ch(2)); err != nil || !d.Pending || d.TalkID != "t" {
		t.Errorf("claimed entry: %+v, %v", d, err)
	}
	if d, err := db.Delivered(ctx, 3, ch(1)); err != nil || d.MessageID != "m" {
		t.Errorf("good write: %+v, %v", d, err)
	}
	if db.ledger.busy != 0 {
		t.Error("the turn was not given back")
	}
}
