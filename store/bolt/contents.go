package bolt

import (
	"context"
	"fmt"
	"strings"

	"go.etcd.io/bbolt"

	"github.com/talkbot/talkbot/bot"
)

// Contents is everything a store holds, for copying it elsewhere.
type Contents struct {
	Subscriptions []bot.Subscription
	// Featured maps each topic scope to its history, oldest week first.
	Featured   map[string][]bot.Feature
	Deliveries []bot.Delivery
	// Recaps are the recaps contributed from chat.
	Recaps []bot.Contribution
}

// Contents reads the whole store in one read-only transaction, so it is a
// consistent snapshot even beside writers. A value that does not decode is
// an error naming its key.
func (db *DB) Contents(ctx context.Context) (Contents, error) {
	c := Contents{Featured: map[string][]bot.Feature{}}
	if err := ctx.Err(); err != nil {
		return c, err
	}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		err := tx.Bucket(bucketSubscriptions).ForEach(func(k, v []byte) error {
			var s bot.Subscription
			if err := decode(v, &s); err != nil {
				return fmt.Errorf("subscription %q: %w", k, err)
			}
			c.Subscriptions = append(c.Subscriptions, s)
			return nil
		})
		if err != nil {
			return err
		}
		featured := tx.Bucket(bucketFeatured)
		err = featured.ForEachBucket(func(name []byte) error {
			scope, ok := strings.CutPrefix(string(name), scopePrefix)
			if !ok {
				return fmt.Errorf("featured bucket %q: no %q prefix", name, scopePrefix)
			}
			return featured.Bucket(name).ForEach(func(k, v []byte) error {
				var f bot.Feature
				if err := decode(v, &f); err != nil {
					return fmt.Errorf("featured %q week %x: %w", scope, k, err)
				}
				c.Featured[scope] = append(c.Featured[scope], f)
				return nil
			})
		})
		if err != nil {
			return err
		}
		err = tx.Bucket(bucketLedger).ForEach(func(k, v []byte) error {
			var d bot.Delivery
			if err := decode(v, &d); err != nil {
				return fmt.Errorf("delivery %x: %w", k, err)
			}
			c.Deliveries = append(c.Deliveries, d)
			return nil
		})
		if err != nil {
			return err
		}
		b := tx.Bucket(bucketRecaps)
		if b == nil { // a read-only open of a file from before schema 2
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var r bot.Contribution
			if err := decode(v, &r); err != nil {
				return fmt.Errorf("recap %q: %w", k, err)
			}
			c.Recaps = append(c.Recaps, r)
			return nil
		})
	})
	if err != nil {
		return c, fmt.Errorf("read store %s: %w", db.Path(), err)
	}
	return c, nil
}
