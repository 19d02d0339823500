package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/talkbot/talkbot/bot"
)

var txReadOnlySnapshot = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}

// PutSubscriptions creates or replaces many subscriptions in one
// transaction: all are written or none.
func (db *DB) PutSubscriptions(ctx context.Context, subs []bot.Subscription) error {
	for _, s := range subs {
		if err := checkSubscription(s); err != nil {
			return err
		}
	}
	if err := db.usable(ctx); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, s := range subs {
			b.Queue(upsertSubscription, subArgs(s)...)
		}
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return db.redact(fmt.Errorf("put subscriptions: %w", err))
	}
	return nil
}

// MarkDeliveries writes many ledger entries, as MarkDelivered does each,
// in one implicit transaction and one round trip: all are committed or
// none. Entries for the same (week, channel) apply in order.
func (db *DB) MarkDeliveries(ctx context.Context, ds []bot.Delivery) error {
	for _, d := range ds {
		if err := checkDelivery(d); err != nil {
			return err
		}
	}
	if err := db.usable(ctx); err != nil {
		return err
	}
	b := &pgx.Batch{}
	for _, d := range ds {
		b.Queue(upsertLedger, ledgerArgs(d)...)
	}
	if err := db.pool.SendBatch(ctx, b).Close(); err != nil {
		return db.redact(fmt.Errorf("mark %d deliveries: %w", len(ds), err))
	}
	return nil
}

// Imported counts what Import wrote (Copied) and what it left because the
// database already held it or something newer (Kept).
type Imported struct {
	Subscriptions, Featured, Deliveries struct{ Copied, Kept int }
	Recaps                              struct{ Copied, Kept int }
}

// Import copies another store's contents in one transaction, and can be
// run again with the same input without changing anything (the second run
// copies 0). Beside running replicas, the database's own state wins where
// the two disagree:
//   - a subscription is written when absent or when the imported one was
//     updated later;
//   - a featured week already recorded keeps its talk (first writer wins);
//   - a ledger entry is written when absent, or over a pending entry when
//     the imported one is not pending;
//   - a contributed recap is written when absent or when the imported one
//     was updated later, and replicas are told (RecapsChannel).
func (db *DB) Import(ctx context.Context, subs []bot.Subscription, featured map[string][]bot.Feature, ledger []bot.Delivery, contributed ...bot.Contribution) (Imported, error) {
	var n Imported
	for _, s := range subs {
		if err := checkSubscription(s); err != nil {
			return n, err
		}
	}
	scopes := slices.Sorted(maps.Keys(featured))
	for _, scope := range scopes {
		if err := checkText("scope", scope); err != nil {
			return n, err
		}
		for _, f := range featured[scope] {
			if err := checkWeek(f.Week); err != nil {
				return n, err
			}
			if f.TalkID == "" {
				return n, fmt.Errorf("featured %q week %s: empty talk id", scope, f.Week)
			}
		}
	}
	for _, d := range ledger {
		if err := checkDelivery(d); err != nil {
			return n, err
		}
	}
	bodies := make([][]byte, len(contributed))
	for i, c := range contributed {
		if c.Talk.ID == "" {
			return n, fmt.Errorf("recap: empty id")
		}
		body, err := json.Marshal(c)
		if err != nil {
			return n, fmt.Errorf("encode recap %s: %w", c.Talk.ID, err)
		}
		if err := checkText("recap", string(body)); err != nil {
			return n, err
		}
		bodies[i] = body
	}
	if err := db.usable(ctx); err != nil {
		return n, err
	}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		n = Imported{}
		b := &pgx.Batch{}
		count := func(c *struct{ Copied, Kept int }) func(pgconn.CommandTag) error {
			return func(tag pgconn.CommandTag) error {
				if tag.RowsAffected() > 0 {
					c.Copied++
				} else {
					c.Kept++
				}
				return nil
			}
		}
		for _, s := range subs {
			b.Queue(`INSERT INTO subscriptions (`+subColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
				ON CONFLICT (platform, channel) DO UPDATE SET team = EXCLUDED.team, topics = EXCLUDED.topics,
					by_user = EXCLUDED.by_user, since = EXCLUDED.since, paused = EXCLUDED.paused,
					reason = EXCLUDED.reason, updated = EXCLUDED.updated, lang = EXCLUDED.lang
				WHERE subscriptions.updated < EXCLUDED.updated`, subArgs(s)...).Exec(count(&n.Subscriptions))
		}
		for _, scope := range scopes {
			for _, f := range featured[scope] {
				b.Queue(`INSERT INTO featured (scope, week, talk) VALUES ($1, $2, $3) ON CONFLICT (scope, week) DO NOTHING`,
					scope, int64(f.Week), f.TalkID).Exec(count(&n.Featured))
			}
		}
		for _, d := range ledger {
			b.Queue(`INSERT INTO ledger (`+ledgerColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
				ON CONFLICT (week, platform, channel) DO UPDATE SET team = EXCLUDED.team, talk = EXCLUDED.talk,
					message = EXCLUDED.message, at = EXCLUDED.at, pending = EXCLUDED.pending
				WHERE ledger.pending AND NOT EXCLUDED.pending`, ledgerArgs(d)...).Exec(count(&n.Deliveries))
		}
		for i, c := range contributed {
			b.Queue(`INSERT INTO recaps (id, body, updated) VALUES ($1, $2, now())
				ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body, updated = now()
				WHERE recaps.body->'talk'->>'updated' < EXCLUDED.body->'talk'->>'updated'`, c.Talk.ID, bodies[i]).Exec(count(&n.Recaps))
		}
		if len(contributed) > 0 {
			b.Queue(`SELECT pg_notify(` + recapsChannelSQL + `, '')`)
		}
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return Imported{}, db.redact(fmt.Errorf("import: %w", err))
	}
	return n, nil
}
