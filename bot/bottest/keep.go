package bottest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

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
	if err := cmp.Or(s.Err, ctx.Err(), checkKept(key, value)); err != nil {
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

// checkKept refuses what the real stores refuse: an empty or overlong key,
// an overlong value.
func checkKept(key string, value []byte) error {
	switch {
	case key == "" || len(key) > bot.MaxKeptKey:
		return fmt.Errorf("keep: key of %d bytes, want 1 to %d", len(key), bot.MaxKeptKey)
	case !utf8.ValidString(key) || strings.ContainsRune(key, 0):
		return fmt.Errorf("keep: key %q is not valid UTF-8 without NUL", key)
	case len(value) > bot.MaxKept:
		return fmt.Errorf("keep %s: %d bytes, want at most %d", key, len(value), bot.MaxKept)
	}
	return nil
}
