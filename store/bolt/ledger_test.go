package bolt

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/talkbot/talkbot/bot"
)

// TestLedgerConcurrentWrites: many workers' ledger writes share commits;
// each returns only once its entry is committed, and every entry, the
// last written for its channel, is there after a reopen.
func TestLedgerConcurrentWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "talkbot.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const workers, perWorker = 32, 20
	w := bot.Week(2900)
	ref := func(i, j int) bot.ChannelRef {
		return bot.ChannelRef{Platform: "slack", Channel: fmt.Sprintf("C%02d-%02d", i, j)}
	}
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			for j := range perWorker {
				ch := ref(i, j)
				at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
				if err := db.MarkDelivered(ctx, bot.Delivery{Week: w, Channel: ch, TalkID: "t", At: at, Pending: true}); err != nil {
					t.Errorf("pending %v: %v", ch, err)
					return
				}
				// Committed before MarkDelivered returned.
				if d, err := db.Delivered(ctx, w, ch); err != nil || !d.Pending {
					t.Errorf("%v right after the pending write: %+v, %v", ch, d, err)
				}
				if err := db.MarkDelivered(ctx, bot.Delivery{Week: w, Channel: ch, TalkID: "t", MessageID: "m", At: at}); err != nil {
					t.Errorf("done %v: %v", ch, err)
				}
			}
		})
	}
	wg.Wait()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := range workers {
		for j := range perWorker {
			if d, err := db.Delivered(ctx, w, ref(i, j)); err != nil || d.Pending || d.MessageID != "m" {
				t.Errorf("%v after reopen: %+v, %v; want done with message m", ref(i, j), d, err)
			}
		}
	}
}
