package bolt

import (
	"context"
	"encoding/json"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/talkbot/talkbot/bot"
)

// Recaps returns every contributed recap, in id order.
func (db *DB) Recaps(ctx context.Context) ([]bot.Contribution, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var cs []bot.Contribution
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketRecaps)
		if b == nil { // a read-only open of a file from before schema 2
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var c bot.Contribution
			if err := decode(v, &c); err != nil {
				return fmt.Errorf("recap %q: %w", k, err)
			}
			cs = append(cs, c)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list recaps: %w", err)
	}
	return cs, nil
}

// PutRecap creates or replaces the recap with c.Talk.ID.
func (db *DB) PutRecap(ctx context.Context, c bot.Contribution) error {
	if c.Talk.ID == "" {
		return fmt.Errorf("put recap: empty id")
	}
	v, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode recap: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	err = db.bolt.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketRecaps).Put([]byte(c.Talk.ID), v)
	})
	if err != nil {
		return fmt.Errorf("put recap %s: %w", c.Talk.ID, err)
	}
	return nil
}

// DeleteRecap removes the recap with the given id, or returns
// bot.ErrNotFound.
func (db *DB) DeleteRecap(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketRecaps)
		if b.Get([]byte(id)) == nil {
			return fmt.Errorf("recap %s: %w", id, bot.ErrNotFound)
		}
		return b.Delete([]byte(id))
	})
}
