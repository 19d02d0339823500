package bot

import (
	"context"
	"testing"
)

// gateStore is a Store whose Recaps waits for gate after saying so on
// entered; the test uses no other method.
type gateStore struct {
	Store
	entered, gate chan struct{}
}

func (g *gateStore) Recaps(ctx context.Context) ([]Contribution, error) {
	close(g.entered)
	<-g.gate
	return nil, nil
}

// LoadRecaps reads the store under mu, the lock Submit takes: a Submit
// between its read and its change would otherwise be undone by the
// change (the recap saved, then dropped by a reload that read the store
// before it).
func TestLoadRecapsReadsUnderTheLock(t *testing.T) {
	g := &gateStore{entered: make(chan struct{}), gate: make(chan struct{})}
	b := New(mustCorpus(t), Options{Store: g})
	done := make(chan error, 1)
	go func() { done <- b.LoadRecaps(context.Background()) }()
	<-g.entered
	locked := !b.mu.TryLock()
	if !locked {
		b.mu.Unlock()
	}
	close(g.gate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !locked {
		t.Error("LoadRecaps reads the store without holding mu: a Submit meanwhile would be undone by its change")
	}
}
