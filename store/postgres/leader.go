package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// LeaderOptions configures NewLeader. The zero value is the default.
type LeaderOptions struct {
	// Interval is how often a follower tries to take the lock and the
	// leader checks its connection. Zero means 2 seconds. A dead leader's
	// lock is released when PostgreSQL notices its connection is gone;
	// another replica takes over within one Interval after that.
	Interval time.Duration
	// OnChange, if set, is called from Run with every change of
	// leadership: true when this replica becomes the leader, false when it
	// stops being one. Calls are sequential and must not block for long.
	OnChange func(leader bool)
	// Log receives connection failures; nil discards them.
	Log *slog.Logger
}

// Leader elects one leader among the replicas that share a database: the
// holder of a session-level advisory lock, taken on a connection of its
// own outside the pool, so that losing the connection loses the lock.
//
// Leadership is advisory: between a leader losing its connection and
// noticing (up to one Interval), two replicas may both believe they lead.
// Work done by the leader must therefore still be claimed in the database
// (as the ledger's conditional writes do), never trusted to the lock alone.
type Leader struct {
	db   *DB
	name string
	o    LeaderOptions

	mu     sync.Mutex
	leader bool
	pid    uint32 // backend of the current connection, for tests
}

// NewLeader returns a Leader for the role name (for example "digest").
// Replicas using the same name and database schema compete for one lock.
func (db *DB) NewLeader(name string, o LeaderOptions) *Leader {
	if o.Interval <= 0 {
		o.Interval = 2 * time.Second
	}
	return &Leader{db: db, name: name, o: o}
}

// IsLeader reports whether this replica holds the lock as of the last
// check.
func (l *Leader) IsLeader() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.leader
}

const leaderKeySQL = `hashtextextended('talkbot leader ' || current_schema() || ' ' || $1, 0)`

// Run campaigns until ctx ends: it connects, tries to take the lock every
// Interval, and while holding it checks the connection every Interval; a
// failed connection means leadership lost, and Run reconnects and
// campaigns again. On return the lock is released and OnChange(false) has
// been called if this replica was the leader. It returns nil when ctx
// ends.
func (l *Leader) Run(ctx context.Context) error {
	t := time.NewTicker(l.o.Interval)
	defer t.Stop()
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			conn.Close(context.Background()) // releases the lock
		}
	}()
	defer l.set(false) // runs first: stop acting as leader, then release
	for {
		if err := l.db.usable(ctx); err != nil && ctx.Err() == nil {
			l.logf("leader %s: store not ready: %v", l.name, err)
		} else if ctx.Err() == nil {
			if err := l.step(ctx, &conn); err != nil {
				l.set(false)
				if conn != nil {
					conn.Close(context.Background())
					conn = nil
				}
				if ctx.Err() == nil {
					l.logf("leader %s: %v", l.name, err)
				}
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// step connects if need be, then either checks the held lock's connection
// or tries to take the lock.
func (l *Leader) step(ctx context.Context, conn **pgx.Conn) error {
	if *conn == nil {
		cfg := l.db.pool.Config().ConnConfig.Copy()
		cfg.RuntimeParams["application_name"] = "talkbot leader " + l.name
		c, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			return l.db.redact(fmt.Errorf("connect: %w", err))
		}
		*conn = c
		l.mu.Lock()
		l.pid = c.PgConn().PID()
		l.mu.Unlock()
	}
	if l.IsLeader() {
		// The lock lives as long as the session: a live connection means
		// it is still held.
		if err := (*conn).Ping(ctx); err != nil {
			return fmt.Errorf("lost connection holding the lock: %w", err)
		}
		return nil
	}
	var got bool
	if err := (*conn).QueryRow(ctx, `SELECT pg_try_advisory_lock(`+leaderKeySQL+`)`, l.name).Scan(&got); err != nil {
		return fmt.Errorf("try lock: %w", err)
	}
	l.set(got)
	return nil
}

func (l *Leader) set(leader bool) {
	l.mu.Lock()
	changed := l.leader != leader
	l.leader = leader
	l.mu.Unlock()
	if changed && l.o.OnChange != nil {
		l.o.OnChange(leader)
	}
}

func (l *Leader) logf(format string, args ...any) {
	if l.o.Log != nil {
		l.o.Log.Warn(fmt.Sprintf(format, args...))
	}
}
