package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/talkbot/talkbot/bot"
)

// groupTimeout bounds one shared round trip. Callers' contexts are checked
// before their write joins a batch; the batch itself is not cancelled by
// one of them leaving.
const groupTimeout = 30 * time.Second

// ledgerWrite is one MarkDelivered (claim false) or ClaimDelivery (claim
// true) waiting in a batch, and its result.
type ledgerWrite struct {
	d     bot.Delivery
	claim bool
	stale time.Time // claim: a pending entry written before this is taken over

	claimed bool         // claim: d was written
	cur     bot.Delivery // claim, when not claimed: the entry that stands
	err     error
}

// ledgerBatch is the writes that share one round trip.
type ledgerBatch struct {
	writes []*ledgerWrite
	lead   chan struct{} // receives the turn to send, once
	done   chan struct{} // closed when every write has its result
}

// groupCommit sends concurrent ledger writes to PostgreSQL together: a
// digest run makes a claim and a delivery record per channel from many
// workers, and a round trip and commit each bounds the run by the pool (4
// connections by default), not by the database. As in the bbolt store, a
// writer that finds a free lane (fewer batches in flight than half the
// pool) sends at once; writers that arrive while every lane is busy join
// the next batch, which one of them sends as soon as a batch in flight
// has its answers. Nobody waits for a timer.
//
// A batch is one pipeline of statements ended by one Sync, which
// PostgreSQL runs as one implicit transaction, so one write's failure
// fails all. Then each write is retried alone, so that it gets its own
// result: an upsert twice is the same upsert, and a claim that did commit
// before the failure was seen finds itself standing and reports not
// claimed, which the digest treats as another run's pending entry (it
// looks for the post once that entry's post can no longer land). Every
// claim still is one conditional statement, so exactly-once holds
// between processes as it does for single calls.
type groupCommit struct {
	mu     sync.Mutex
	next   *ledgerBatch // collecting while batches are in flight; nil if none
	busy   int          // batches in flight or their turns handed over
	lanes  int          // most batches in flight at once
	setMax sync.Once
}

// write adds w to a batch and returns once w has its result.
func (g *groupCommit) write(db *DB, w *ledgerWrite) {
	g.setMax.Do(func() {
		// Half the pool: PostgreSQL shares a WAL flush among commits that
		// arrive together, and the rest of the pool serves the requests.
		g.lanes = max(1, int(db.pool.Config().MaxConns)/2)
	})
	g.mu.Lock()
	if g.next == nil {
		g.next = &ledgerBatch{lead: make(chan struct{}, 1), done: make(chan struct{})}
	}
	b := g.next
	b.writes = append(b.writes, w)
	if g.busy < g.lanes {
		g.busy++
		g.next = nil // b is closed: later writers start a new batch
		g.mu.Unlock()
		g.send(db, b)
		return
	}
	g.mu.Unlock()
	select {
	case <-b.done:
	case <-b.lead:
		g.send(db, b)
	}
}

// send runs b, then hands the turn to the batch that gathered meanwhile,
// if any. The caller holds a lane (busy), and b takes no more writes.
func (g *groupCommit) send(db *DB, b *ledgerBatch) {
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	if err := db.sendLedger(ctx, b.writes); err != nil {
		if len(b.writes) == 1 {
			b.writes[0].err = err
		} else {
			for _, w := range b.writes {
				w.err = db.sendLedger(ctx, []*ledgerWrite{w})
			}
		}
	}
	cancel()
	close(b.done)
	g.mu.Lock()
	if g.next != nil {
		g.next.lead <- struct{}{} // stays busy: the turn passes on
		g.next = nil              // closed: later writers start a new batch
	} else {
		g.busy--
	}
	g.mu.Unlock()
}

// claimLedger is ClaimDelivery's conditional upsert, answering in the same
// statement whether it wrote and, if not, the entry that stood (as of the
// statement's snapshot: found is false when that entry was committed by
// another transaction meanwhile, and must be read again).
const claimLedger = `WITH c AS (
	INSERT INTO ledger (` + ledgerColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
	ON CONFLICT (week, platform, channel) DO UPDATE SET team = EXCLUDED.team, talk = EXCLUDED.talk,
		message = EXCLUDED.message, at = EXCLUDED.at, pending = EXCLUDED.pending
	WHERE ledger.pending AND ledger.at < $9
	RETURNING 1)
SELECT EXISTS (SELECT 1 FROM c), l.week IS NOT NULL,
	COALESCE(l.week, 0), COALESCE(l.platform, ''), COALESCE(l.channel, ''), COALESCE(l.team, ''),
	COALESCE(l.talk, ''), COALESCE(l.message, ''), COALESCE(l.at, 'epoch'), COALESCE(l.pending, false)
FROM (VALUES (1)) AS one (x)
LEFT JOIN ledger l ON l.week = $1 AND l.platform = $2 AND l.channel = $3`

// sendLedger runs ws in one round trip and sets each claim's result. It
// returns the batch's error, if any, with no result set.
func (db *DB) sendLedger(ctx context.Context, ws []*ledgerWrite) error {
	// Rows are locked in key order, the same in every batch of every
	// replica, so two batches never wait for each other in a cycle (a
	// deadlock, which PostgreSQL breaks by failing one after a second).
	// The sort is stable: writes to one key keep their order.
	ws = slices.Clone(ws)
	slices.SortStableFunc(ws, func(a, b *ledgerWrite) int {
		return cmp.Or(cmp.Compare(a.d.Week, b.d.Week),
			strings.Compare(a.d.Channel.Platform, b.d.Channel.Platform),
			strings.Compare(a.d.Channel.Channel, b.d.Channel.Channel))
	})
	b := &pgx.Batch{}
	var reread []*ledgerWrite
	for _, w := range ws {
		if !w.claim {
			b.Queue(upsertLedger, ledgerArgs(w.d)...)
			continue
		}
		b.Queue(claimLedger, append(ledgerArgs(w.d), w.stale)...).QueryRow(func(row pgx.Row) error {
			var found bool
			c := &w.cur
			err := row.Scan(&w.claimed, &found, &c.Week, &c.Channel.Platform, &c.Channel.Channel, &c.Channel.Team, &c.TalkID, &c.MessageID, &c.At, &c.Pending)
			c.At = c.At.UTC()
			if err == nil && !w.claimed && !found {
				reread = append(reread, w)
			}
			return err
		})
	}
	if err := db.pool.SendBatch(ctx, b).Close(); err != nil {
		return db.redact(fmt.Errorf("ledger: %d writes: %w", len(ws), err))
	}
	for _, w := range reread {
		cur, err := db.Delivered(ctx, w.d.Week, w.d.Channel)
		if err != nil {
			w.err = fmt.Errorf("read the standing entry: %w", err)
		}
		w.cur = cur
	}
	return nil
}
