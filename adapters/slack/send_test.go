package slack

import (
	"context"
	"errors"
	"testing"

	"github.com/talkbot/talkbot/bot"
)

func TestJoin(t *testing.T) {
	tests := []struct {
		channel     string
		wantErr     error // nil, bot.ErrNotInvited or bot.ErrChannelGone
		wantJoin    int   // conversations.join calls
		wantHistory int   // conversations.history calls
	}{
		{"CPUB", nil, 1, 0},                   // public, not a member: joined
		{"CPRIVIN", nil, 1, 1},                // private, a member: history readable
		{"CPRIVOUT", bot.ErrNotInvited, 1, 1}, // private, not a member: invite me first
		{"CGONE", bot.ErrNotInvited, 1, 1},    // not found at all: same answer
	}
	for _, tt := range tests {
		t.Run(tt.channel, func(t *testing.T) {
			e := newEnv(t)
			e.slack.outside = map[string]bool{"CPUB": true}
			ch := bot.ChannelRef{Platform: Platform, Channel: tt.channel}
			err := e.a.Join(context.Background(), ch)
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Join: got %v, want %v", err, tt.wantErr)
			}
			if n := len(e.slack.called("conversations.join")); n != tt.wantJoin {
				t.Errorf("conversations.join calls: got %d, want %d", n, tt.wantJoin)
			}
			if n := len(e.slack.called("conversations.history")); n != tt.wantHistory {
				t.Errorf("conversations.history calls: got %d, want %d", n, tt.wantHistory)
			}
		})
	}
}

// TestFindAfterJoin: in a public channel the bot posts to without being a
// member, Find fails with not_in_channel (ErrChannelGone), and works once
// the bot joined.
func TestFindAfterJoin(t *testing.T) {
	e := newEnv(t)
	e.slack.outside = map[string]bool{"CPUB": true}
	e.slack.history = []map[string]any{
		{"type": "message", "ts": "2.2", "text": "digest", "metadata": map[string]any{"event_type": "talkbot_digest", "event_payload": map[string]any{"key": "w1"}}},
	}
	ch := bot.ChannelRef{Platform: Platform, Channel: "CPUB"}
	if _, _, err := e.a.Find(context.Background(), ch, "w1"); !errors.Is(err, bot.ErrChannelGone) {
		t.Fatalf("Find before joining: got %v, want not_in_channel as ErrChannelGone", err)
	}
	if err := e.a.Join(context.Background(), ch); err != nil {
		t.Fatal(err)
	}
	if ts, found, err := e.a.Find(context.Background(), ch, "w1"); err != nil || !found || ts != "2.2" {
		t.Errorf("Find after joining: got %q, %v, %v; want 2.2, true, nil", ts, found, err)
	}
}
