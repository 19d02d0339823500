package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/talkbot/talkbot/bot"
)

// Keep stores value under key until until, and forgets up to bot.KeepSweep
// values whose time ended before now, in one statement.
func (db *DB) Keep(ctx context.Context, key string, value []byte, now, until time.Time) error {
	if err := bot.CheckKept(key, value); err != nil {
		return err
	}
	if err := db.usable(ctx); err != nil {
		return err
	}
	_, err := db.pool.Exec(ctx, `WITH gone AS (
			DELETE FROM kept WHERE key IN (SELECT key FROM kept WHERE until <= $4 AND key <> $1 LIMIT `+fmt.Sprint(bot.KeepSweep)+`))
		INSERT INTO kept (key, value, until) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, until = EXCLUDED.until`,
		key, value, until, now)
	if err != nil {
		return db.redact(fmt.Errorf("keep %s: %w", key, err))
	}
	return nil
}

// Kept returns the value under key while now is before its until.
func (db *DB) Kept(ctx context.Context, key string, now time.Time) ([]byte, error) {
	if err := db.usable(ctx); err != nil {
		return nil, err
	}
	var v []byte
	err := db.pool.QueryRow(ctx, `SELECT value FROM kept WHERE key = $1 AND until > $2`, key, now).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("kept %q: %w", key, bot.ErrNotFound)
	}
	if err != nil {
		return nil, db.redact(fmt.Errorf("kept %s: %w", key, err))
	}
	return v, nil
}
