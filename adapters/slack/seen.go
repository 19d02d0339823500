package slack

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// EventMarker records platform event ids in a store shared by replicas
// (store/postgres.DB implements it). MarkSeen reports whether this call is
// the first to record id within ttl, across every process sharing the
// store.
type EventMarker interface {
	MarkSeen(ctx context.Context, id string, now time.Time, ttl time.Duration) (bool, error)
}

// sharedSeenTimeout bounds one MarkSeen call; the event has been
// acknowledged already, so the wait delays only its answer.
const sharedSeenTimeout = 2 * time.Second

// ShareSeen makes the event_id dedupe also ask m, so that a retry Slack
// sends to another replica behind the load balancer is still answered
// once. The in-memory set stays in front of it (this replica's own
// retries cost no round trip); when m fails, the event is answered rather
// than dropped, and onErr, if set, is told. Call it before the adapter
// serves.
func (a *Adapter) ShareSeen(m EventMarker, onErr func(error)) {
	a.seen.mu.Lock()
	defer a.seen.mu.Unlock()
	a.seen.shared, a.seen.onErr = m, onErr
}

// seenSet remembers recently handled ids, so that Slack's retries of an
// event are answered once. It holds at most size ids, each for at most ttl;
// the oldest are forgotten first. With a shared EventMarker it also
// records each new id there, for the other replicas. It is safe for
// concurrent use.
type seenSet struct {
	mu    sync.Mutex
	size  int
	ttl   time.Duration
	order *list.List // of seenEntry, oldest at the front
	index map[string]*list.Element

	shared EventMarker // nil: this process only
	onErr  func(error)
}

type seenEntry struct {
	id string
	at time.Time
}

func newSeenSet(size int, ttl time.Duration) *seenSet {
	return &seenSet{size: size, ttl: ttl, order: list.New(), index: map[string]*list.Element{}}
}

// add records id at time now and reports whether it is new: false means the
// id was recorded less than ttl ago, here or, with a shared EventMarker,
// by any replica.
func (s *seenSet) add(id string, now time.Time) bool {
	if !s.addLocal(id, now) {
		return false
	}
	s.mu.Lock()
	shared, onErr := s.shared, s.onErr
	s.mu.Unlock()
	if shared == nil {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), sharedSeenTimeout)
	defer cancel()
	first, err := shared.MarkSeen(ctx, id, now, s.ttl)
	if err != nil {
		if onErr != nil {
			onErr(err)
		}
		return true // better a rare double answer than none
	}
	return first
}

// addLocal is add on the in-memory set alone.
func (s *seenSet) addLocal(id string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for e := s.order.Front(); e != nil && now.Sub(e.Value.(seenEntry).at) >= s.ttl; e = s.order.Front() {
		s.remove(e)
	}
	if _, ok := s.index[id]; ok {
		return false
	}
	for s.order.Len() >= s.size {
		s.remove(s.order.Front())
	}
	s.index[id] = s.order.PushBack(seenEntry{id: id, at: now})
	return true
}

func (s *seenSet) remove(e *list.Element) {
	delete(s.index, e.Value.(seenEntry).id)
	s.order.Remove(e)
}
