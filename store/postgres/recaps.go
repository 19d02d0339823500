package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/talkbot/talkbot/bot"
)

// Recaps returns every contributed recap, in id order.
func (db *DB) Recaps(ctx context.Context) ([]bot.Contribution, error) {
	if err := db.usable(ctx); err != nil {
		return nil, err
	}
	rows, err := db.pool.Query(ctx, `SELECT body FROM recaps ORDER BY id`)
	if err != nil {
		return nil, db.redact(fmt.Errorf("list recaps: %w", err))
	}
	cs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (c bot.Contribution, err error) {
		var body []byte
		if err := r.Scan(&body); err != nil {
			return c, err
		}
		return c, json.Unmarshal(body, &c)
	})
	if err != nil {
		return nil, db.redact(fmt.Errorf("list recaps: %w", err))
	}
	return cs, nil
}

// PutRecap creates or replaces the recap with c.Talk.ID.
func (db *DB) PutRecap(ctx context.Context, c bot.Contribution) error {
	if c.Talk.ID == "" {
		return fmt.Errorf("put recap: empty id")
	}
	body, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode recap: %w", err)
	}
	if err := checkText("recap", string(body)); err != nil {
		return err
	}
	if err := db.usable(ctx); err != nil {
		return err
	}
	_, err = db.pool.Exec(ctx, `WITH w AS (INSERT INTO recaps (id, body, updated) VALUES ($1, $2, now())
		ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body, updated = now() RETURNING id)`+notifyRecapSQL, c.Talk.ID, body)
	if err != nil {
		return db.redact(fmt.Errorf("put recap %s: %w", c.Talk.ID, err))
	}
	return nil
}

// DeleteRecap removes the recap with the given id, or returns
// bot.ErrNotFound.
func (db *DB) DeleteRecap(ctx context.Context, id string) error {
	if err := db.usable(ctx); err != nil {
		return err
	}
	tag, err := db.pool.Exec(ctx, `WITH w AS (DELETE FROM recaps WHERE id = $1 RETURNING id)`+notifyRecapSQL, id)
	if err != nil {
		return db.redact(fmt.Errorf("delete recap %s: %w", id, err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("recap %s: %w", id, bot.ErrNotFound)
	}
	return nil
}
