package main

import (
	"context"
	"log/slog"
	"sync"

	"github.com/talkbot/talkbot/store/postgres"
)

// leaderName is the role the replicas of one database compete for.
const leaderName = "digest"

// digestLeader says whether this process runs the digest. Every replica
// runs the scheduler; only the leader's runs start. With bbolt the single
// process that holds the file is always the leader. With PostgreSQL the
// leader holds an advisory lock on a connection of its own
// (postgres.Leader): when that connection is lost, or the process dies,
// another replica takes the lock within seconds, and its scheduler runs
// the week's digest at once if it is due (the ledger skips what is done).
// Leadership is advisory: the digest also claims every channel in the
// database before posting, so two leaders by mistake still post once.
type digestLeader struct {
	pg    *postgres.Leader // nil: always the leader
	log   *slog.Logger
	gauge func(float64)

	mu     sync.Mutex
	base   context.Context // serve's; set by run
	ctx    context.Context // live while this replica leads; nil when not
	cancel context.CancelFunc
	// became receives when this replica becomes the leader, for the
	// scheduler to catch up the week.
	became chan struct{}
}

func newDigestLeader(db dataStore, log *slog.Logger, m *metrics) *digestLeader {
	l := &digestLeader{log: log, gauge: m.digestLeader.Set, became: make(chan struct{}, 1)}
	if pg, ok := db.(*postgres.DB); ok {
		l.pg = pg.NewLeader(leaderName, postgres.LeaderOptions{OnChange: l.changed, Log: log})
		l.gauge(0)
	} else {
		l.gauge(1)
	}
	return l
}

// run campaigns for leadership until ctx ends (with PostgreSQL), and
// otherwise just leads under ctx.
func (l *digestLeader) run(ctx context.Context) error {
	l.mu.Lock()
	l.base = ctx
	l.mu.Unlock()
	if l.pg == nil {
		<-ctx.Done()
		return nil
	}
	return l.pg.Run(ctx)
}

// changed is postgres.Leader's OnChange.
func (l *digestLeader) changed(leader bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cancel != nil {
		l.cancel() // a run of the lost term stops and checkpoints
		l.ctx, l.cancel = nil, nil
	}
	if leader {
		l.ctx, l.cancel = context.WithCancel(l.base)
		l.gauge(1)
		l.log.Info("digest leader: this replica runs the digest")
		select {
		case l.became <- struct{}{}:
		default:
		}
		return
	}
	l.gauge(0)
	l.log.Info("digest leader: this replica no longer runs the digest")
}

// current returns the context of this replica's term as the leader, which
// ends when the term ends, or false when another replica leads. Without
// PostgreSQL it is ctx itself.
func (l *digestLeader) current(ctx context.Context) (context.Context, bool) {
	if l.pg == nil {
		return ctx, true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ctx == nil {
		return nil, false
	}
	return l.ctx, true
}

// leading reports whether this replica is the digest leader now.
func (l *digestLeader) leading() bool {
	if l.pg == nil {
		return true
	}
	return l.pg.IsLeader()
}
