package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/talkbot/talkbot/bot"
)

// ClaimDelivery writes d, which must be pending, as the ledger entry of
// (d.Week, d.Channel) if there is none, or if the entry there is pending
// and was written before staleBefore (its writer presumably died mid-run).
// It reports whether d was written; if not, it returns the entry that
// stands. The decision is one conditional upsert, so of replicas claiming
// the same channel at once exactly one wins, even two digest leaders by
// mistake. Concurrent calls share one round trip (see groupCommit).
func (db *DB) ClaimDelivery(ctx context.Context, d bot.Delivery, staleBefore time.Time) (bool, bot.Delivery, error) {
	if !d.Pending {
		return false, bot.Delivery{}, errors.New("claim delivery: the entry must be pending")
	}
	if err := checkDelivery(d); err != nil {
		return false, bot.Delivery{}, err
	}
	if err := db.usable(ctx); err != nil {
		return false, bot.Delivery{}, err
	}
	w := &ledgerWrite{d: d, claim: true, stale: staleBefore}
	db.ledger.write(db, w)
	if w.err != nil {
		return false, bot.Delivery{}, fmt.Errorf("claim delivery of week %s to %s: %w", d.Week, d.Channel, w.err)
	}
	if w.claimed {
		return true, d, nil
	}
	return false, w.cur, nil
}
