package bottest

import (
	"cmp"
	"context"
	"slices"
	"sync"

	"github.com/talkbot/talkbot/bot"
)

// Store is an in-memory bot.Store. It is safe for concurrent use. Err, when
// set, is returned by every method, to simulate a failing store.
type Store struct {
	mu       sync.Mutex
	subs     map[bot.ChannelRef]bot.Subscription
	featured map[string][]bot.Feature
	ledger   map[ledgerKey]bot.Delivery
	Err      error
}

type ledgerKey struct {
	w  bot.Week
	ch bot.ChannelRef
}

var _ bot.Store = (*Store)(nil)

// NewStore returns an empty Store.
func NewStore() *Store {
	return &Store{
		subs:     map[bot.ChannelRef]bot.Subscription{},
		featured: map[string][]bot.Feature{},
		ledger:   map[ledgerKey]bot.Delivery{},
	}
}

func key(ch bot.ChannelRef) bot.ChannelRef { ch.Team = ""; return ch }

// Subscription implements bot.Store.
func (s *Store) Subscription(_ context.Context, ch bot.ChannelRef) (bot.Subscription, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return bot.Subscription{}, s.Err
	}
	sub, ok := s.subs[key(ch)]
	if !ok {
		return sub, bot.ErrNotFound
	}
	sub.Topics = slices.Clone(sub.Topics)
	return sub, nil
}

// PutSubscription implements bot.Store.
func (s *Store) PutSubscription(_ context.Context, sub bot.Subscription) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	sub.Topics = slices.Clone(sub.Topics)
	s.subs[key(sub.ChannelRef)] = sub
	return nil
}

// DeleteSubscription implements bot.Store.
func (s *Store) DeleteSubscription(_ context.Context, ch bot.ChannelRef) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	if _, ok := s.subs[key(ch)]; !ok {
		return bot.ErrNotFound
	}
	delete(s.subs, key(ch))
	return nil
}

// Subscriptions implements bot.Store, in channel order.
func (s *Store) Subscriptions(context.Context) ([]bot.Subscription, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, s.Err
	}
	var out []bot.Subscription
	for _, sub := range s.subs {
		out = append(out, sub)
	}
	slices.SortFunc(out, func(a, b bot.Subscription) int {
		return cmp.Or(cmp.Compare(a.Platform, b.Platform), cmp.Compare(a.Channel, b.Channel))
	})
	return out, nil
}

// Featured implements bot.Store.
func (s *Store) Featured(_ context.Context, scope string) ([]bot.Feature, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, s.Err
	}
	return slices.Clone(s.featured[scope]), nil
}

// Feature implements bot.Store.
func (s *Store) Feature(_ context.Context, scope string, w bot.Week, id string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return "", s.Err
	}
	for _, f := range s.featured[scope] {
		if f.Week == w {
			return f.TalkID, nil
		}
	}
	h := append(s.featured[scope], bot.Feature{Week: w, TalkID: id})
	slices.SortFunc(h, func(a, b bot.Feature) int { return cmp.Compare(a.Week, b.Week) })
	s.featured[scope] = h
	return id, nil
}

// Delivered implements bot.Store.
func (s *Store) Delivered(_ context.Context, w bot.Week, ch bot.ChannelRef) (bot.Delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return bot.Delivery{}, s.Err
	}
	d, ok := s.ledger[ledgerKey{w, key(ch)}]
	if !ok {
		return d, bot.ErrNotFound
	}
	return d, nil
}

// MarkDelivered implements bot.Store.
func (s *Store) MarkDelivered(_ context.Context, d bot.Delivery) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	s.ledger[ledgerKey{d.Week, key(d.Channel)}] = d
	return nil
}
