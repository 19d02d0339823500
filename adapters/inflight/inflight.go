// Package inflight runs the work a chat adapter does for requests beyond
// the moment it acknowledges them: answers that arrive later, DMs and
// mentions, button presses. Every piece of work belongs to a Group, which
// bounds it in time, recovers and reports its panics, and ends it when
// Close is called at shutdown. Answer is the "answer within the deadline,
// or acknowledge now and deliver later" rule both platforms ask for. It
// imports no adapter and no SDK.
package inflight

import (
	"context"
	"errors"
	"runtime/debug"
	"sync"
	"time"
)

// Errors returned by Go.
var (
	ErrClosed = errors.New("inflight: shutting down")
	ErrBusy   = errors.New("inflight: all workers busy")
)

// DefaultTimeout bounds each piece of work when Options.Timeout is zero.
const DefaultTimeout = time.Minute

// Options configure a Group. The zero value is usable.
type Options struct {
	// Timeout bounds each piece of work; zero means DefaultTimeout.
	Timeout time.Duration
	// Recovered is told about each panic recovered from work, with the
	// goroutine's stack, to log and count it; nil ignores them.
	Recovered func(ctx context.Context, v any, stack []byte)
}

// Group runs and tracks background work. Its methods are safe for
// concurrent use. Work runs with a context that keeps the values of the
// context it was started from (a request's, or Run's) but not its
// cancellation: it ends after the timeout, or when Close stops waiting.
type Group struct {
	opts Options

	mu      sync.Mutex
	closed  bool
	next    uint64
	cancels map[uint64]context.CancelFunc
	jobs    sync.WaitGroup
}

// New returns a Group that takes work until Close.
func New(o Options) *Group {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	return &Group{opts: o, cancels: map[uint64]context.CancelFunc{}}
}

// Go runs f in a new goroutine (see Group for its context). If f panics,
// the panic is recovered and reported, and then failed, when not nil, runs
// with the same context to tell the user. Go returns ErrClosed, and runs
// nothing, once Close has been called.
func (g *Group) Go(ctx context.Context, f, failed func(context.Context)) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return ErrClosed
	}
	jctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), g.opts.Timeout)
	id := g.next
	g.next++
	g.cancels[id] = cancel
	g.jobs.Add(1)
	go func() {
		defer g.done(id)
		if !g.run(jctx, f) && failed != nil {
			g.run(jctx, failed)
		}
	}()
	return nil
}

func (g *Group) done(id uint64) {
	g.mu.Lock()
	cancel := g.cancels[id]
	delete(g.cancels, id)
	g.mu.Unlock()
	cancel()
	g.jobs.Done()
}

// Recover runs f in the caller's goroutine with Go's panic handling: a
// panic is recovered and reported, then failed (when not nil) runs. It is
// for request work that answers synchronously (a platform's own handler
// goroutine); it runs after Close too, and Close does not wait for it.
func (g *Group) Recover(ctx context.Context, f, failed func(context.Context)) {
	if !g.run(ctx, f) && failed != nil {
		g.run(ctx, failed)
	}
}

// run calls f, and reports false if it panicked.
func (g *Group) run(ctx context.Context, f func(context.Context)) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			ok = false
			if g.opts.Recovered != nil {
				g.opts.Recovered(ctx, v, debug.Stack())
			}
		}
	}()
	f(ctx)
	return true
}

// Close refuses new work, gives the work in flight grace to finish, then
// cancels its contexts and waits for it to return. It may be called more
// than once.
func (g *Group) Close(grace time.Duration) {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	finished := make(chan struct{})
	go func() {
		g.jobs.Wait()
		close(finished)
	}()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-finished:
		return
	case <-t.C:
	}
	g.mu.Lock()
	for _, cancel := range g.cancels {
		cancel()
	}
	g.mu.Unlock()
	<-finished
}

// Wait waits until no work is in flight, for tests that check what the
// work did. It does not refuse new work.
func (g *Group) Wait() { g.jobs.Wait() }

// Deferred is an answer that missed its deadline. Release tells it that the
// acknowledgement has gone out, so that the late answer may follow.
type Deferred struct {
	once    sync.Once
	release chan struct{}
}

// Release lets the late answer be delivered. It may be called more than
// once; a Deferred never released is dropped when its work's context ends.
func (d *Deferred) Release() { d.once.Do(func() { close(d.release) }) }

// Answer runs work in g and waits up to wait (not at all when wait <= 0),
// or until ctx ends, for its result. Exactly one of two things happens:
//   - the result comes in time: Answer returns it, with a nil *Deferred;
//   - it does not: Answer returns a *Deferred. The caller acknowledges the
//     request, then calls Release; deliver then gets the result in the
//     background, with work's context.
//
// A panic in work is recovered and reported (see Go), and failed() stands
// in for its result, delivered the same way. Answer returns ErrClosed, and
// runs nothing, once Close has been called.
func Answer[T any](ctx context.Context, g *Group, wait time.Duration, work func(context.Context) T, failed func() T, deliver func(context.Context, T)) (T, *Deferred, error) {
	answer := make(chan T)
	gaveUp := make(chan struct{})
	d := &Deferred{release: make(chan struct{})}
	hand := func(ctx context.Context, v T) {
		select {
		case answer <- v:
			return
		case <-gaveUp:
		}
		select {
		case <-d.release:
			deliver(ctx, v)
		case <-ctx.Done():
		}
	}
	var zero T
	err := g.Go(ctx, func(ctx context.Context) { hand(ctx, work(ctx)) }, func(ctx context.Context) { hand(ctx, failed()) })
	if err != nil {
		return zero, nil, err
	}
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case v := <-answer:
			return v, nil, nil
		case <-t.C:
		case <-ctx.Done():
		}
	}
	close(gaveUp)
	return zero, d, nil
}

// Pool bounds one kind of work in a Group (DMs and mentions, whose
// answers cost CPU): at most workers of it run at once, and at most
// workers+queued are admitted; the rest is turned away with ErrBusy.
type Pool struct {
	g       *Group
	running chan struct{}
	admit   chan struct{}
}

// NewPool returns a pool of g's work with workers (at least 1) running at
// once and up to queued more waiting.
func NewPool(g *Group, workers, queued int) *Pool {
	workers = max(workers, 1)
	return &Pool{g: g, running: make(chan struct{}, workers), admit: make(chan struct{}, workers+max(queued, 0))}
}

// Go is Group.Go for the pool: f waits for a free worker (or the end of
// its context) before it runs; failed runs without one. It returns ErrBusy
// when the pool is full, and ErrClosed once the group is closed.
func (p *Pool) Go(ctx context.Context, f, failed func(context.Context)) error {
	select {
	case p.admit <- struct{}{}:
	default:
		return ErrBusy
	}
	err := p.g.Go(ctx, func(ctx context.Context) {
		defer func() { <-p.admit }()
		select {
		case p.running <- struct{}{}:
		case <-ctx.Done():
			return
		}
		defer func() { <-p.running }()
		f(ctx)
	}, failed)
	if err != nil {
		<-p.admit
	}
	return err
}
