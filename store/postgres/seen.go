package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// pruneEvery is how many MarkSeen calls pass between deletions of expired
// ids, so the table stays about one ttl's worth of events.
const pruneEvery = 256

// MarkSeen records the event id at now and reports whether this call is the
// first to record it within ttl: true means handle the event, false means
// some replica already did (a retry). The decision is one conditional
// upsert, so of concurrent callers from any replicas exactly one gets true.
// An id last recorded ttl or more before now counts as new again.
func (db *DB) MarkSeen(ctx context.Context, id string, now time.Time, ttl time.Duration) (bool, error) {
	if id == "" {
		return false, errors.New("mark seen: empty id")
	}
	if ttl <= 0 {
		return false, fmt.Errorf("mark seen: ttl %s must be positive", ttl)
	}
	if err := checkText("event id", id); err != nil {
		return false, err
	}
	if err := db.usable(ctx); err != nil {
		return false, err
	}
	var first bool
	err := db.pool.QueryRow(ctx, `INSERT INTO seen_events (id, at) VALUES ($1, $2)
		ON CONFLICT (id) DO UPDATE SET at = EXCLUDED.at WHERE seen_events.at <= $3
		RETURNING true`, id, now, now.Add(-ttl)).Scan(&first)
	if errors.Is(err, pgx.ErrNoRows) {
		first, err = false, nil
	}
	if err != nil {
		return false, db.redact(fmt.Errorf("mark event %s seen: %w", id, err))
	}
	if db.seenCalls.Add(1)%pruneEvery == 0 {
		if _, err := db.PruneSeen(ctx, now.Add(-ttl)); err != nil {
			return first, err
		}
	}
	return first, nil
}

// PruneSeen forgets the event ids recorded before cutoff and returns how
// many it removed.
func (db *DB) PruneSeen(ctx context.Context, cutoff time.Time) (int64, error) {
	if err := db.usable(ctx); err != nil {
		return 0, err
	}
	tag, err := db.pool.Exec(ctx, `DELETE FROM seen_events WHERE at < $1`, cutoff)
	if err != nil {
		return 0, db.redact(fmt.Errorf("prune seen events: %w", err))
	}
	return tag.RowsAffected(), nil
}
