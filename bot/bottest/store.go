package bottest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/talkbot/talkbot/bot"
)

// Store is an in-memory bot.Store. It is safe for concurrent use. Err, when
// set, is returned by every method, to simulate a failing store.
type Store struct {
	mu       sync.Mutex
	subs     map[bot.ChannelRef]bot.Subscription
	featured map[string][]bot.Feature
	ledger   map[ledgerKey]bot.Delivery
	recaps   map[string]bot.Contribution
	kept     map[string]kept
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
		recaps:   map[string]bot.Contribution{},
	}
}

// Recaps implements bot.Store.
func (s *Store) Recaps(ctx context.Context) ([]bot.Contribution, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := cmp.Or(s.Err, ctx.Err()); err != nil {
		return nil, err
	}
	cs := make([]bot.Contribution, 0, len(s.recaps))
	for _, c := range s.recaps {
		cs = append(cs, c)
	}
	slices.SortFunc(cs, func(a, b bot.Contribution) int { return strings.Compare(a.Talk.ID, b.Talk.ID) })
	return cs, nil
}

// PutRecap implements bot.Store.
func (s *Store) PutRecap(ctx context.Context, c bot.Contribution) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := cmp.Or(s.Err, ctx.Err()); err != nil {
		return err
	}
	if c.Talk.ID == "" {
		return errors.New("put recap: empty id")
	}
	s.recaps[c.Talk.ID] = c
	return nil
}

// DeleteRecap implements bot.Store.
func (s *Store) DeleteRecap(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := cmp.Or(s.Err, ctx.Err()); err != nil {
		return err
	}
	if _, ok := s.recaps[id]; !ok {
		return fmt.Errorf("recap %s: %w", id, bot.ErrNotFound)
	}
	delete(s.recaps, id)
	return nil
}

func key(ch bot.ChannelRef) bot.ChannelRef { ch.Team = ""; return ch }

// check refuses what the real stores refuse: a canceled context, a channel
// without platform or channel (or a NUL in the platform), a negative week.
func check(ctx context.Context, chs []bot.ChannelRef, weeks ...bot.Week) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, ch := range chs {
		if ch.Platform == "" || ch.Channel == "" || strings.ContainsRune(ch.Platform, 0) {
			return fmt.Errorf("channel %q: platform and channel are required, without NUL", ch)
		}
	}
	for _, w := range weeks {
		if w < 0 {
			return fmt.Errorf("week %d: before 1970-01-05", int64(w))
		}
	}
	return nil
}

func one(ch bot.ChannelRef) []bot.ChannelRef { return []bot.ChannelRef{ch} }

// Subscription implements bot.Store.
func (s *Store) Subscription(ctx context.Context, ch bot.ChannelRef) (bot.Subscription, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return bot.Subscription{}, s.Err
	}
	if err := check(ctx, one(ch)); err != nil {
		return bot.Subscription{}, err
	}
	sub, ok := s.subs[key(ch)]
	if !ok {
		return sub, bot.ErrNotFound
	}
	sub.Topics = slices.Clone(sub.Topics)
	return sub, nil
}

// PutSubscription implements bot.Store.
func (s *Store) PutSubscription(ctx context.Context, sub bot.Subscription) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	if err := check(ctx, one(sub.ChannelRef)); err != nil {
		return err
	}
	sub.Topics = slices.Clone(sub.Topics)
	if len(sub.Topics) == 0 {
		sub.Topics = nil
	}
	s.subs[key(sub.ChannelRef)] = sub
	return nil
}

// DeleteSubscription implements bot.Store.
func (s *Store) DeleteSubscription(ctx context.Context, ch bot.ChannelRef) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	if err := check(ctx, one(ch)); err != nil {
		return err
	}
	if _, ok := s.subs[key(ch)]; !ok {
		return bot.ErrNotFound
	}
	delete(s.subs, key(ch))
	return nil
}

// Subscriptions implements bot.Store, in channel order.
func (s *Store) Subscriptions(ctx context.Context) ([]bot.Subscription, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, s.Err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []bot.Subscription
	for _, sub := range s.subs {
		sub.Topics = slices.Clone(sub.Topics)
		out = append(out, sub)
	}
	slices.SortFunc(out, func(a, b bot.Subscription) int {
		return cmp.Or(cmp.Compare(a.Platform, b.Platform), cmp.Compare(a.Channel, b.Channel))
	})
	return out, nil
}

// Featured implements bot.Store.
func (s *Store) Featured(ctx context.Context, scope string) ([]bot.Feature, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, s.Err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return slices.Clone(s.featured[scope]), nil
}

// Feature implements bot.Store.
func (s *Store) Feature(ctx context.Context, scope string, w bot.Week, id string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return "", s.Err
	}
	if id == "" {
		return "", errors.New("feature talk: empty talk id")
	}
	if err := check(ctx, nil, w); err != nil {
		return "", err
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
func (s *Store) Delivered(ctx context.Context, w bot.Week, ch bot.ChannelRef) (bot.Delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return bot.Delivery{}, s.Err
	}
	if err := check(ctx, one(ch), w); err != nil {
		return bot.Delivery{}, err
	}
	d, ok := s.ledger[ledgerKey{w, key(ch)}]
	if !ok {
		return d, bot.ErrNotFound
	}
	return d, nil
}

// MarkDelivered implements bot.Store.
func (s *Store) MarkDelivered(ctx context.Context, d bot.Delivery) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	if err := check(ctx, one(d.Channel), d.Week); err != nil {
		return err
	}
	s.ledger[ledgerKey{d.Week, key(d.Channel)}] = d
	return nil
}

// ClaimDelivery writes d, which must be pending, unless a delivered entry
// or a pending one written at or after staleBefore stands; it reports
// whether it wrote d, or else returns the standing entry. It is the
// in-memory form of the real stores' ledger claim.
func (s *Store) ClaimDelivery(ctx context.Context, d bot.Delivery, staleBefore time.Time) (bool, bot.Delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return false, bot.Delivery{}, s.Err
	}
	if !d.Pending {
		return false, bot.Delivery{}, errors.New("claim delivery: the entry must be pending")
	}
	if err := check(ctx, one(d.Channel), d.Week); err != nil {
		return false, bot.Delivery{}, err
	}
	k := ledgerKey{d.Week, key(d.Channel)}
	if cur, ok := s.ledger[k]; ok && (!cur.Pending || !cur.At.Before(staleBefore)) {
		return false, cur, nil
	}
	s.ledger[k] = d
	return true, d, nil
}
