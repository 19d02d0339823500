package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// RecapsChannel begins the name of the PostgreSQL notification channel
// on which every change of the contributed recaps is announced, in the
// transaction that makes it (so a listener hears only of committed
// changes). The channel is RecapsChannel + the schema's name, since
// notification channels are per database, not per schema. The payload is
// the recap's id, or "" for a change of many (Import).
const RecapsChannel = "talkbot_recaps:"

// recapsChannelSQL is the channel's name in SQL.
const recapsChannelSQL = `'` + RecapsChannel + `' || current_schema()`

// notifyRecapSQL follows a statement over recaps that returns the changed
// ids (WITH w AS (… RETURNING id)): it announces each of them, and its
// command tag counts them.
const notifyRecapSQL = ` SELECT pg_notify(` + recapsChannelSQL + `, id) FROM w`

// WatchOptions configures WatchRecaps. The zero value is the default.
type WatchOptions struct {
	// Retry is the wait before reconnecting after the listening
	// connection failed. Zero means 1 second.
	Retry time.Duration
	// Log receives connection failures; nil discards them.
	Log interface{ Warn(msg string, args ...any) }
}

// WatchRecaps calls changed whenever the contributed recaps may have
// changed, from any process sharing the database, until ctx ends; it then
// returns nil. It listens on RecapsChannel on a connection of its own
// (outside the pool). Notifications sent while it was not listening are
// lost, so changed is also called each time it has (re)connected and
// listens: the caller then reloads everything. Calls are sequential;
// changed must not block for long (signal a loader, do not load).
func (db *DB) WatchRecaps(ctx context.Context, o WatchOptions, changed func()) error {
	if o.Retry <= 0 {
		o.Retry = time.Second
	}
	select {
	case <-db.ready: // a DB from OpenRetrying may not be connected yet
	case <-ctx.Done():
		return nil
	}
	for {
		err := db.listen(ctx, changed)
		if ctx.Err() != nil {
			return nil
		}
		if o.Log != nil {
			o.Log.Warn("store: listening for recap changes failed; reconnecting", "in", o.Retry, "err", err)
		}
		t := time.NewTimer(o.Retry)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// listen connects, listens on RecapsChannel, calls changed once, then once
// per notification, until the connection fails or ctx ends.
func (db *DB) listen(ctx context.Context, changed func()) error {
	if err := db.usable(ctx); err != nil {
		return err
	}
	cfg := db.pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = "talkbot recaps listener"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return db.redact(fmt.Errorf("connect: %w", err))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var channel string
	if err := conn.QueryRow(ctx, `SELECT `+recapsChannelSQL).Scan(&channel); err != nil {
		return db.redact(fmt.Errorf("listen: %w", err))
	}
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{channel}.Sanitize()); err != nil {
		return db.redact(fmt.Errorf("listen: %w", err))
	}
	changed() // whatever happened before LISTEN took effect
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return err
			}
			return db.redact(fmt.Errorf("wait for notification: %w", err))
		}
		changed()
	}
}
