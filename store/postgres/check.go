package postgres

import (
	"context"
	"fmt"
	"io"
)

// Check verifies the database and writes a report to w in the bbolt store's
// format: one "problem: …" line per inconsistency, then the counts
//
//	subscriptions: N (paused: M)
//	featured weeks: N
//	deliveries: N
//	recaps: N
//	schema: V
//
// It reads in one repeatable-read transaction, so the counts are of one
// moment even beside running replicas, and writes nothing. It returns an
// error if any problem was found.
func (db *DB) Check(ctx context.Context, w io.Writer) error {
	if err := db.usable(ctx); err != nil {
		return err
	}
	tx, err := db.pool.BeginTx(ctx, txReadOnlySnapshot)
	if err != nil {
		return db.redact(fmt.Errorf("check store: %w", err))
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var subs, paused, featured, deliveries, pending, contributed, version int
	err = tx.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM subscriptions),
		(SELECT count(*) FROM subscriptions WHERE paused),
		(SELECT count(*) FROM featured),
		(SELECT count(*) FROM ledger),
		(SELECT count(*) FROM ledger WHERE pending),
		(SELECT count(*) FROM recaps),
		(SELECT coalesce(max(version), 0) FROM schema_version)`).Scan(&subs, &paused, &featured, &deliveries, &pending, &contributed, &version)
	if err != nil {
		return db.redact(fmt.Errorf("check store: %w", err))
	}
	problems := 0
	if want := currentVersion(); version != want {
		problems++
		fmt.Fprintf(w, "problem: schema version %d, want %d\n", version, want)
	}
	fmt.Fprintf(w, "subscriptions: %d (paused: %d)\nfeatured weeks: %d\ndeliveries: %d\nrecaps: %d\nschema: %d\n",
		subs, paused, featured, deliveries, contributed, version)
	if problems > 0 {
		return fmt.Errorf("check store: %d problems", problems)
	}
	return nil
}
