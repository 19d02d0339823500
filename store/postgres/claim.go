package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

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

// WeekDeliveries returns every ledger entry of week w, in one query: the
// digest's plan reads the week with it rather than one Delivered call
// (a round trip) per subscription.
func (db *DB) WeekDeliveries(ctx context.Context, w bot.Week) ([]bot.Delivery, error) {
	if err := checkWeek(w); err != nil {
		return nil, err
	}
	if err := db.usable(ctx); err != nil {
		return nil, err
	}
	rows, err := db.pool.Query(ctx, `SELECT `+ledgerColumns+` FROM ledger WHERE week = $1 ORDER BY platform, channel`, int64(w))
	if err != nil {
		return nil, db.redact(fmt.Errorf("deliveries of week %s: %w", w, err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (bot.Delivery, error) { return scanDelivery(row) })
	if err != nil {
		return nil, db.redact(fmt.Errorf("deliveries of week %s: %w", w, err))
	}
	return out, nil
}
