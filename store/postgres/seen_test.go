package postgres

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestMarkSeen(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	const ttl = time.Hour
	steps := []struct {
		id    string
		at    time.Duration // after t0
		first bool
	}{
		{"Ev1", 0, true},
		{"Ev1", time.Minute, false}, // Slack's retry
		{"Ev2", time.Minute, true},
		{"Ev1", ttl - time.Second, false},
		{"Ev1", ttl, true}, // expired: new again
		{"Ev1", ttl + time.Second, false},
	}
	for _, s := range steps {
		got, err := db.MarkSeen(ctx, s.id, t0.Add(s.at), ttl)
		if err != nil {
			t.Fatalf("MarkSeen(%s, +%s): %v", s.id, s.at, err)
		}
		if got != s.first {
			t.Errorf("MarkSeen(%s, +%s): got %v, want %v", s.id, s.at, got, s.first)
		}
	}
	for _, bad := range []struct {
		id  string
		ttl time.Duration
	}{{"", ttl}, {"Ev3", 0}, {"E\x00", ttl}} {
		if _, err := db.MarkSeen(ctx, bad.id, t0, bad.ttl); err == nil {
			t.Errorf("MarkSeen(%q, %s): got nil error", bad.id, bad.ttl)
		}
	}
	n, err := db.PruneSeen(ctx, t0.Add(ttl))
	if err != nil || n != 1 {
		t.Errorf("PruneSeen: got %d, %v, want 1 (Ev2)", n, err)
	}
}

// TestMarkSeenAcrossReplicas delivers each event to several stores on one
// database at once, as Slack's retries reach several replicas: each event
// is first exactly once.
func TestMarkSeenAcrossReplicas(t *testing.T) {
	dsn := mustOpenDSN(t)
	const replicas, events = 3, 40
	dbs := make([]*DB, replicas)
	for i := range dbs {
		dbs[i] = openDSN(t, dsn)
	}
	firsts := make([]int, events)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, db := range dbs {
		for range 2 { // two deliveries per replica
			wg.Go(func() {
				for e := range events {
					first, err := db.MarkSeen(context.Background(), fmt.Sprintf("Ev%d", e), t0, time.Hour)
					if err != nil {
						t.Error(err)
						return
					}
					if first {
						mu.Lock()
						firsts[e]++
						mu.Unlock()
					}
				}
			})
		}
	}
	wg.Wait()
	for e, n := range firsts {
		if n != 1 {
			t.Errorf("event %d: first %d times, want 1", e, n)
		}
	}
}
