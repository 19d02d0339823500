package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/recaps"
)

// WatchRecaps signals once when it listens, then on every committed change
// of the recaps by any connection: put, delete, import. A failed change
// signals nothing.
func TestWatchRecaps(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	db := mustOpen(t)
	signals := make(chan struct{}, 10)
	done := make(chan error, 1)
	go func() { done <- db.WatchRecaps(ctx, WatchOptions{}, func() { signals <- struct{}{} }) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("WatchRecaps: %v", err)
		}
	}()
	wait := func(what string) {
		t.Helper()
		select {
		case <-signals:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: no signal", what)
		}
	}
	wait("listening")
	c := bot.Contribution{Talk: recaps.Talk{ID: "x-talk", Conference: "x", Title: "X", Updated: "2026-12-02T08:00:00Z"}}
	if err := db.PutRecap(ctx, c); err != nil {
		t.Fatal(err)
	}
	wait("put")
	if err := db.DeleteRecap(ctx, "x-talk"); err != nil {
		t.Fatal(err)
	}
	wait("delete")
	if err := db.DeleteRecap(ctx, "x-talk"); err == nil {
		t.Fatal("second delete: got nil, want ErrNotFound")
	}
	n, err := db.Import(ctx, nil, nil, nil, c)
	if err != nil || n.Recaps.Copied != 1 {
		t.Fatalf("import: %+v, %v", n, err)
	}
	wait("import")
	// The failed delete sent nothing: no signal is left over.
	select {
	case <-signals:
		t.Error("a signal too many")
	default:
	}
}
