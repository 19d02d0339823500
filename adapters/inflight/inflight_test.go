package inflight

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// waitClosing starts no work of its own: it calls Go with a no-op until
// the group refuses, which tells that Close has begun.
func waitClosing(t *testing.T, g *Group) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second) // a hang guard, not a timing assertion
	for g.Go(context.Background(), func(context.Context) {}, nil) == nil {
		if time.Now().After(deadline) {
			t.Fatal("Close did not begin")
		}
	}
}

// TestCloseWaitsForWorkInFlight: Close refuses new work at once, but lets
// the work in flight finish within the grace period, uncancelled.
func TestCloseWaitsForWorkInFlight(t *testing.T) {
	g := New(Options{})
	gate := make(chan struct{})
	var err error
	if e := g.Go(context.Background(), func(ctx context.Context) {
		<-gate
		err = ctx.Err()
	}, nil); e != nil {
		t.Fatal(e)
	}
	closed := make(chan struct{})
	go func() {
		g.Close(time.Minute) // longer than the test: Close must wait, not cancel
		close(closed)
	}()
	waitClosing(t, g)
	if got := g.Go(context.Background(), func(context.Context) { t.Error("work ran after Close") }, nil); !errors.Is(got, ErrClosed) {
		t.Errorf("Go after Close: got %v, want %v", got, ErrClosed)
	}
	select {
	case <-closed:
		t.Fatal("Close returned with work in flight")
	default:
	}
	close(gate)
	<-closed
	if err != nil {
		t.Errorf("work's context: got %v, want it still live within the grace period", err)
	}
}

// TestCloseCancelsAfterGrace: work still running when the grace period
// ends is cancelled, and Close returns once it has.
func TestCloseCancelsAfterGrace(t *testing.T) {
	g := New(Options{})
	var err error
	if e := g.Go(context.Background(), func(ctx context.Context) {
		<-ctx.Done()
		err = ctx.Err()
	}, nil); e != nil {
		t.Fatal(e)
	}
	g.Close(time.Millisecond)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("work's context: got %v, want %v", err, context.Canceled)
	}
	g.Close(time.Millisecond) // a second Close is harmless
}

type key struct{}

// TestWorkContext: work keeps the values of the context it was started
// from, not its cancellation, and ends after the timeout.
func TestWorkContext(t *testing.T) {
	g := New(Options{Timeout: time.Millisecond})
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "v"))
	cancel() // the request is over; its work goes on
	var val any
	var err error
	if e := g.Go(parent, func(ctx context.Context) {
		val = ctx.Value(key{})
		<-ctx.Done()
		err = ctx.Err()
	}, nil); e != nil {
		t.Fatal(e)
	}
	g.Wait()
	if val != "v" {
		t.Errorf("value: got %v, want %v", val, "v")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("end: got %v, want %v", err, context.DeadlineExceeded)
	}
}

// TestPanicRecovered: a panic in work is reported with its stack, the
// failure path tells the user, and the group goes on.
func TestPanicRecovered(t *testing.T) {
	var got []string
	var mu sync.Mutex
	g := New(Options{Recovered: func(_ context.Context, v any, stack []byte) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, v.(string))
		if !strings.Contains(string(stack), "inflight.TestPanicRecovered") {
			t.Errorf("stack does not show where the panic was:\n%s", stack)
		}
	}})
	told := false
	if err := g.Go(context.Background(), func(context.Context) { panic("boom") }, func(context.Context) { told = true }); err != nil {
		t.Fatal(err)
	}
	g.Wait()
	if !told {
		t.Error("failed did not run after the panic")
	}
	if err := g.Go(context.Background(), func(context.Context) { panic("again") }, func(context.Context) { panic("and in failed") }); err != nil {
		t.Fatal(err)
	}
	g.Wait()
	if want := []string{"boom", "again", "and in failed"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("recovered: got %v, want %v", got, want)
	}
	g.Close(time.Minute)
}

func TestRecover(t *testing.T) {
	var n atomic.Int32
	g := New(Options{Recovered: func(context.Context, any, []byte) { n.Add(1) }})
	g.Close(time.Minute)
	told := false
	g.Recover(context.Background(), func(context.Context) { panic("boom") }, func(context.Context) { told = true })
	if !told || n.Load() != 1 {
		t.Errorf("got told %v and %d panics, want the failure told and one panic", told, n.Load())
	}
}

func TestAnswerInTime(t *testing.T) {
	g := New(Options{})
	defer g.Close(time.Minute)
	v, d, err := Answer(context.Background(), g, time.Minute,
		func(context.Context) string { return "answer" },
		func() string { return "failed" },
		func(context.Context, string) { t.Error("delivered an answer given in time") })
	if v != "answer" || d != nil || err != nil {
		t.Errorf("got %q, %v, %v, want the answer inline", v, d, err)
	}
}

// TestAnswerLate: an answer that misses its deadline is delivered once,
// after Release.
func TestAnswerLate(t *testing.T) {
	for _, wait := range []time.Duration{0, time.Millisecond} {
		g := New(Options{})
		gate := make(chan struct{})
		var delivered []string
		v, d, err := Answer(context.Background(), g, wait,
			func(context.Context) string { <-gate; return "late" },
			func() string { return "failed" },
			func(_ context.Context, s string) { delivered = append(delivered, s) })
		if v != "" || d == nil || err != nil {
			t.Fatalf("wait %v: got %q, %v, %v, want a deferral", wait, v, d, err)
		}
		close(gate)
		d.Release()
		d.Release()
		g.Close(time.Minute)
		if len(delivered) != 1 || delivered[0] != "late" {
			t.Errorf("wait %v: delivered %v, want [late]", wait, delivered)
		}
	}
}

// TestAnswerNeverReleased: a deferral whose acknowledgement never went out
// is dropped when its work ends, not delivered.
func TestAnswerNeverReleased(t *testing.T) {
	g := New(Options{Timeout: time.Millisecond})
	_, d, err := Answer(context.Background(), g, 0,
		func(context.Context) string { return "late" },
		func() string { return "failed" },
		func(context.Context, string) { t.Error("delivered without Release") })
	if d == nil || err != nil {
		t.Fatalf("got %v, %v, want a deferral", d, err)
	}
	g.Close(time.Minute)
}

func TestAnswerPanic(t *testing.T) {
	var n atomic.Int32
	g := New(Options{Recovered: func(context.Context, any, []byte) { n.Add(1) }})
	defer g.Close(time.Minute)
	v, d, err := Answer(context.Background(), g, time.Minute,
		func(context.Context) string { panic("boom") },
		func() string { return "failed" },
		func(context.Context, string) { t.Error("delivered an answer given in time") })
	if v != "failed" || d != nil || err != nil || n.Load() != 1 {
		t.Errorf("got %q, %v, %v and %d panics, want the failure answered inline and one panic", v, d, err, n.Load())
	}
}

func TestAnswerClosed(t *testing.T) {
	g := New(Options{})
	g.Close(time.Minute)
	_, d, err := Answer(context.Background(), g, time.Minute,
		func(context.Context) string { t.Error("work ran after Close"); return "" },
		func() string { return "failed" },
		func(context.Context, string) {})
	if d != nil || !errors.Is(err, ErrClosed) {
		t.Errorf("got %v, %v, want %v", d, err, ErrClosed)
	}
}

// TestPool: one worker and one place in the queue: a third piece of work
// is turned away, and no two run at once.
func TestPool(t *testing.T) {
	g := New(Options{})
	p := NewPool(g, 1, 1)
	gate := make(chan struct{})
	var running, most atomic.Int32
	work := func(context.Context) {
		n := running.Add(1)
		if n > most.Load() {
			most.Store(n)
		}
		<-gate
		running.Add(-1)
	}
	for i := range 2 {
		if err := p.Go(context.Background(), work, nil); err != nil {
			t.Fatalf("work %d: got %v, want it admitted", i, err)
		}
	}
	if err := p.Go(context.Background(), work, nil); !errors.Is(err, ErrBusy) {
		t.Errorf("third: got %v, want %v", err, ErrBusy)
	}
	close(gate)
	g.Wait()
	if most.Load() != 1 {
		t.Errorf("most at once: got %d, want 1", most.Load())
	}
	if err := p.Go(context.Background(), func(context.Context) {}, nil); err != nil {
		t.Errorf("after the pool drained: got %v, want it admitted", err)
	}
	g.Close(time.Minute)
	if err := p.Go(context.Background(), work, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: got %v, want %v", err, ErrClosed)
	}
}

// BenchmarkAnswer measures what Answer adds to a request whose answer is
// ready at once: a goroutine, a timer and the bookkeeping of the group.
func BenchmarkAnswer(b *testing.B) {
	g := New(Options{})
	defer g.Close(time.Minute)
	ctx := context.Background()
	work := func(context.Context) int { return 1 }
	failed := func() int { return 0 }
	deliver := func(context.Context, int) {}
	b.ReportAllocs()
	for b.Loop() {
		if v, _, _ := Answer(ctx, g, time.Minute, work, failed, deliver); v != 1 {
			b.Fatal("late")
		}
	}
}
