package bolt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/talkbot/talkbot/bot"
)

// ClaimDelivery writes d, which must be pending, as the ledger entry of
// (d.Week, d.Channel) if there is none, or if the entry there is pending
// and was written before staleBefore. It reports whether d was written; if
// not, it returns the entry that stands. Check and write are one
// transaction.
func (db *DB) ClaimDelivery(ctx context.Context, d bot.Delivery, staleBefore time.Time) (bool, bot.Delivery, error) {
	if !d.Pending {
		return false, bot.Delivery{}, errors.New("claim delivery: the entry must be pending")
	}
	key, err := ledgerKey(d.Week, d.Channel)
	if err != nil {
		return false, bot.Delivery{}, err
	}
	v, err := json.Marshal(d)
	if err != nil {
		return false, bot.Delivery{}, fmt.Errorf("encode delivery: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return false, bot.Delivery{}, err
	}
	claimed, cur := false, d
	err = db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketLedger)
		if old := b.Get(key); old != nil {
			var standing bot.Delivery // fresh: JSON leaves omitted fields as they are
			if err := decode(old, &standing); err != nil {
				return fmt.Errorf("delivery of week %s to %s: %w", d.Week, d.Channel, err)
			}
			if !standing.Pending || !standing.At.Before(staleBefore) {
				cur = standing
				return nil
			}
		}
		claimed, cur = true, d
		return b.Put(key, v)
	})
	if err != nil {
		return false, bot.Delivery{}, err
	}
	return claimed, cur, nil
}
