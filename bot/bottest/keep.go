package bottest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/talkbot/talkbot/bot"
)

type kept struct {
	value []byte
	until time.Time
}

// Keep implements bot.KeepStore.
func (s *Store) Keep(ctx context.Context, key string, value []byte, now, until time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := cmp.Or(s.Err, ctx.Err(), bot.CheckKept(key, value)); err != nil {
		return err
	}
	if s.kept == nil {
		s.kept = map[string]kept{}
	}
	for k, v := range s.kept {
		if !now.Before(v.until) {
			delete(s.kept, k)
		}
	}
	s.kept[key] = kept{slices.Clone(value), until}
	return nil
}

// Kept implements bot.KeepStore.
func (s *Store) Kept(ctx context.Context, key string, now time.Time) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := cmp.Or(s.Err, ctx.Err()); err != nil {
		return nil, err
	}
	v, ok := s.kept[key]
	if !ok || !now.Before(v.until) {
		return nil, fmt.Errorf("kept %q: %w", key, bot.ErrNotFound)
	}
	return slices.Clone(v.value), nil
}
