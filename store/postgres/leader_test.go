package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

type change struct {
	who    int
	leader bool
}

// TestLeaderFailover runs two candidates on one database. Exactly one
// leads; when its connection is killed (as when its host dies), the other
// takes over and the first reports the loss; when the new leader stops, the
// first takes over again.
func TestLeaderFailover(t *testing.T) {
	dsn := mustOpenDSN(t)
	changes := make(chan change, 16)
	var leaders [2]*Leader
	var stops [2]context.CancelFunc
	dones := make([]chan error, 2)
	for i := range leaders {
		db := openDSN(t, dsn)
		leaders[i] = db.NewLeader("digest", LeaderOptions{
			Interval: 50 * time.Millisecond,
			OnChange: func(l bool) { changes <- change{i, l} },
		})
		ctx, cancel := context.WithCancel(context.Background())
		stops[i], dones[i] = cancel, make(chan error, 1)
		go func() { dones[i] <- leaders[i].Run(ctx) }()
	}
	defer func() {
		for i := range stops {
			stops[i]()
			<-dones[i]
		}
	}()
	next := func() change {
		t.Helper()
		select {
		case c := <-changes:
			return c
		case <-time.After(20 * time.Second):
			t.Fatalf("no leadership change within 20s")
			return change{}
		}
	}

	first := next()
	if !first.leader {
		t.Fatalf("first change: got %+v, want someone becoming leader", first)
	}
	holder, other := first.who, 1-first.who
	if !leaders[holder].IsLeader() || leaders[other].IsLeader() {
		t.Fatalf("leaders: got %v and %v, want only %d", leaders[0].IsLeader(), leaders[1].IsLeader(), holder)
	}

	// Kill the holder's connection from outside.
	leaders[holder].mu.Lock()
	pid := leaders[holder].pid
	leaders[holder].mu.Unlock()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	killed := time.Now()
	var ok bool
	if err := conn.QueryRow(context.Background(), `SELECT pg_terminate_backend($1)`, int(pid)).Scan(&ok); err != nil || !ok {
		t.Fatalf("terminate backend %d: %v, %v", pid, ok, err)
	}
	got := map[change]bool{next(): true, next(): true}
	want := map[change]bool{{holder, false}: true, {other, true}: true}
	for c := range want {
		if !got[c] {
			t.Errorf("after the kill: got changes %v, want %v", got, want)
		}
	}
	t.Logf("new leader %v after the kill", time.Since(killed).Round(time.Millisecond))

	// The new leader stops cleanly: it reports the loss and the first one,
	// reconnected, takes over.
	stops[other]()
	if err := <-dones[other]; err != nil {
		t.Errorf("Run: got %v, want nil", err)
	}
	dones[other] <- nil // for the deferred cleanup
	got = map[change]bool{next(): true, next(): true}
	want = map[change]bool{{other, false}: true, {holder, true}: true}
	for c := range want {
		if !got[c] {
			t.Errorf("after the stop: got changes %v, want %v", got, want)
		}
	}
}
