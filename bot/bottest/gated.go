package bottest

import (
	"context"

	"github.com/talkbot/talkbot/bot"
)

// GatedStore is a Store whose Subscription waits until Gate is closed (or
// its context ends), then panics with Panic or fails with Err if set: it
// holds an answer past an adapter's deadline for as long as a test needs,
// without timing, and stands for a bug in the core.
type GatedStore struct {
	*Store
	Gate  chan struct{}
	Err   error
	Panic any
}

// NewGatedStore returns a GatedStore over an empty Store, its gate open
// or shut.
func NewGatedStore(open bool) *GatedStore {
	s := &GatedStore{Store: NewStore(), Gate: make(chan struct{})}
	if open {
		close(s.Gate)
	}
	return s
}

// Subscription implements bot.Store.
func (s *GatedStore) Subscription(ctx context.Context, ch bot.ChannelRef) (bot.Subscription, error) {
	select {
	case <-s.Gate:
	case <-ctx.Done():
		return bot.Subscription{}, ctx.Err()
	}
	if s.Panic != nil {
		panic(s.Panic)
	}
	if s.Err != nil {
		return bot.Subscription{}, s.Err
	}
	return s.Store.Subscription(ctx, ch)
}
