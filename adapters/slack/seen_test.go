package slack

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/talkbot/talkbot/store/postgres"
	"github.com/talkbot/talkbot/store/postgres/pgtest"
)

// retryTo delivers body to e as Slack's first retry of an event.
func retryTo(t *testing.T, e *testEnv, body string) {
	t.Helper()
	h := sign(testSecret, time.Now(), body)
	h.Set("X-Slack-Retry-Num", "1")
	h.Set("X-Slack-Retry-Reason", "http_timeout")
	if status, _ := e.do(t, http.MethodPost, "/slack/events", body, h); status != http.StatusOK {
		t.Errorf("retry status: got %v, want %v", status, http.StatusOK)
	}
}

func answers(envs ...*testEnv) int {
	n := 0
	for _, e := range envs {
		n += len(e.slack.called("chat.postMessage"))
	}
	return n
}

// TestEventRetryToAnotherReplicaPostgres: two adapters (two replicas behind
// a load balancer) share one PostgreSQL store; an event sent to the first
// and retried to the second is answered once, and a new event is answered.
func TestEventRetryToAnotherReplicaPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	envs := []*testEnv{newEnv(t), newEnv(t)}
	for _, e := range envs {
		db, err := postgres.Open(context.Background(), dsn, postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		e.a.ShareSeen(db, func(err error) { t.Errorf("MarkSeen: %v", err) })
	}
	body := eventBody("EvShared1", map[string]any{"type": "message", "channel_type": "im", "channel": "D1", "user": "U1", "text": "kafka", "ts": "1.1"})
	envs[0].post(t, "/slack/events", body)
	retryTo(t, envs[1], body)
	retryTo(t, envs[0], body)
	if n := answers(envs...); n != 1 {
		t.Errorf("answers: got %d, want 1", n)
	}
	envs[1].post(t, "/slack/events", eventBody("EvShared2", map[string]any{"type": "message", "channel_type": "im", "channel": "D1", "user": "U1", "text": "kafka", "ts": "1.2"}))
	if n := answers(envs...); n != 2 {
		t.Errorf("answers after a new event: got %d, want 2", n)
	}
}

// markerFunc is a hand-written EventMarker.
type markerFunc func(id string) (bool, error)

func (f markerFunc) MarkSeen(_ context.Context, id string, _ time.Time, _ time.Duration) (bool, error) {
	return f(id)
}

// TestSharedSeen checks the dedupe's use of a shared EventMarker without
// a database: an id another replica recorded is not answered, this
// replica's own retries do not reach the store, and a failing store
// leaves the event answered and reports the error.
func TestSharedSeen(t *testing.T) {
	s := newSeenSet(16, time.Hour)
	asked := map[string]int{}
	var reported []error
	s.shared = markerFunc(func(id string) (bool, error) {
		asked[id]++
		switch id {
		case "elsewhere":
			return false, nil
		case "down":
			return false, errors.New("database down")
		}
		return true, nil
	})
	s.onErr = func(err error) { reported = append(reported, err) }
	now := time.Now()
	if s.add("elsewhere", now) {
		t.Error("an id recorded by another replica: got new")
	}
	if !s.add("fresh", now) || s.add("fresh", now) {
		t.Error("a fresh id: want new once")
	}
	if asked["fresh"] != 1 {
		t.Errorf("the store was asked %d times about a local retry, want 1", asked["fresh"])
	}
	if !s.add("down", now) || len(reported) != 1 {
		t.Errorf("a failing store: want the event answered and the error reported, got %v", reported)
	}
}
