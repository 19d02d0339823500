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
// mistake.
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
	args := append(ledgerArgs(d), staleBefore)
	var claimed bool
	err := db.pool.QueryRow(ctx, `INSERT INTO ledger (`+ledgerColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (week, platform, channel) DO UPDATE SET team = EXCLUDED.team, talk = EXCLUDED.talk,
			message = EXCLUDED.message, at = EXCLUDED.at, pending = EXCLUDED.pending
		WHERE ledger.pending AND ledger.at < $9
		RETURNING true`, args...).Scan(&claimed)
	if err == nil {
		return true, d, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return false, bot.Delivery{}, db.redact(fmt.Errorf("claim delivery of week %s to %s: %w", d.Week, d.Channel, err))
	}
	cur, err := db.Delivered(ctx, d.Week, d.Channel)
	if err != nil {
		return false, bot.Delivery{}, fmt.Errorf("claim delivery: read the standing entry: %w", err)
	}
	return false, cur, nil
}
