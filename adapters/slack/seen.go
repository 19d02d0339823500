package slack

import (
	"container/list"
	"sync"
	"time"
)

// seenSet remembers recently handled ids, so that Slack's retries of an
// event are answered once. It holds at most size ids, each for at most ttl;
// the oldest are forgotten first. It is safe for concurrent use.
type seenSet struct {
	mu    sync.Mutex
	size  int
	ttl   time.Duration
	order *list.List // of seenEntry, oldest at the front
	index map[string]*list.Element
}

type seenEntry struct {
	id string
	at time.Time
}

func newSeenSet(size int, ttl time.Duration) *seenSet {
	return &seenSet{size: size, ttl: ttl, order: list.New(), index: map[string]*list.Element{}}
}

// add records id at time now and reports whether it is new: false means the
// id was recorded less than ttl ago.
func (s *seenSet) add(id string, now time.Time) bool {
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
