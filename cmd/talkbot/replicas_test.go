package main

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/talkbot/talkbot/store/postgres/pgtest"
)

// served is an app serving on loopback until stop.
type served struct {
	a    *app
	base string
	stop func() error
}

func serveApp(t *testing.T, cfg Config) *served {
	t.Helper()
	a, err := env{}.open(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.serve(ctx, ln, a.routes()) }()
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		err := <-done
		a.close()
		return err
	}
	t.Cleanup(func() { stop() })
	return &served{a: a, base: "http://" + ln.Addr().String(), stop: stop}
}

// leads reads /readyz and /metrics: whether the replica says it is the
// digest leader, after checking that both agree. Leadership may change
// between the two reads (a replica becomes leader while it is asked), so
// /readyz is read before and after /metrics, and a change is read again.
func (s *served) leads(t *testing.T) bool {
	t.Helper()
	readyz := func() (bool, string) {
		code, body := get(t, s.base+"/readyz")
		yes := strings.HasSuffix(body, "\ndigest leader: yes\n")
		if (code != 200 && code != 503) || !yes && !strings.HasSuffix(body, "\ndigest leader: no\n") {
			t.Fatalf("/readyz: %d %q, want 200 or 503 and whether this replica leads", code, body)
		}
		return yes, body
	}
	for {
		yes, body := readyz()
		_, metrics := get(t, s.base+"/metrics")
		if again, _ := readyz(); again != yes {
			continue // it changed while asked: ask again
		}
		gauge := "talkbot_digest_leader 0\n"
		if yes {
			gauge = "talkbot_digest_leader 1\n"
		}
		if !strings.Contains(metrics, gauge) {
			t.Fatalf("/readyz says %q but /metrics has no %q", body, gauge)
		}
		return yes
	}
}

// waitLeader waits up to 20 s for exactly one of rs to lead and returns it.
func waitLeader(t *testing.T, rs ...*served) *served {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var leaders []*served
		for _, r := range rs {
			if r.leads(t) {
				leaders = append(leaders, r)
			}
		}
		if len(leaders) == 1 {
			return leaders[0]
		}
		if len(leaders) > 1 {
			t.Fatalf("%d replicas say they lead", len(leaders))
		}
		if time.Now().After(deadline) {
			t.Fatal("no digest leader within 20s")
		}
		time.Sleep(50 * time.Millisecond) // polling, not a timing assertion
	}
}

func TestReadyzLeaderBolt(t *testing.T) {
	s := serveApp(t, testConfig(t))
	if !s.leads(t) {
		t.Error("with bbolt the single process must be the digest leader")
	}
}

// TestReplicasOneDigestLeader serves two replicas on one database:
// exactly one says it is the digest leader (/readyz and the gauge), and
// when it stops the other takes over.
func TestReplicasOneDigestLeader(t *testing.T) {
	dsn := pgtest.DSN(t)
	var rs []*served
	for range 2 {
		cfg := testConfig(t)
		cfg.Store.Driver, cfg.Store.DSN, cfg.Store.retry = driverPostgres, dsn, true
		rs = append(rs, serveApp(t, cfg))
	}
	first := waitLeader(t, rs...)
	other := rs[0]
	if other == first {
		other = rs[1]
	}
	start := time.Now()
	if err := first.stop(); err != nil {
		t.Fatalf("stop the leader: %v", err)
	}
	if waitLeader(t, other) != other {
		t.Fatal("unreachable")
	}
	t.Logf("new leader after %s", time.Since(start).Round(time.Millisecond))
}
