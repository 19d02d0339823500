package console

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

// signalWriter records what is written and closes seen when it first
// contains want.
type signalWriter struct {
	mu   sync.Mutex
	b    strings.Builder
	want string
	seen chan struct{}
	once sync.Once
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b.Write(p)
	if strings.Contains(w.b.String(), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return len(p), nil
}

// TestREPLLeavesAtOnceWhenCancelled: Ctrl-C (SIGINT, which cancels the
// context) ends the REPL while it waits for a line, without Enter.
func TestREPLLeavesAtOnceWhenCancelled(t *testing.T) {
	in, typing := io.Pipe() // nobody types
	defer typing.Close()
	out := &signalWriter{want: Prompt, seen: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- REPL(ctx, newBot(t), in, out) }()
	<-out.seen // waiting for a line
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("cancelled REPL: got %v, want nil", err)
		}
	case <-time.After(10 * time.Second): // a hang guard, not a timing assertion
		t.Fatal("REPL still waiting for Enter after its context ended")
	}
}

// fakeLines is a lineReader that hands out lines, then err.
type fakeLines struct {
	lines   []string
	err     error
	prompts int
}

func (f *fakeLines) readLine(prompt string) (string, error) {
	f.prompts++
	if len(f.lines) == 0 {
		return "", f.err
	}
	l := f.lines[0]
	f.lines = f.lines[1:]
	return l, nil
}

// TestREPLStopsAtInterrupt: Ctrl-C from the line editor leaves at once,
// with lines still to come unread.
func TestREPLStopsAtInterrupt(t *testing.T) {
	lr := &fakeLines{lines: []string{"sharding"}, err: errInterrupt}
	var out strings.Builder
	if err := repl(context.Background(), newBot(t), lr, &out); err != nil {
		t.Fatalf("got %v, want nil at Ctrl-C", err)
	}
	if lr.prompts != 2 || !strings.Contains(out.String(), "“sharding”") {
		t.Errorf("got %d prompts and\n%s\nwant the answer to sharding, then the end", lr.prompts, out.String())
	}
	lr = &fakeLines{err: io.ErrUnexpectedEOF}
	if err := repl(context.Background(), newBot(t), lr, io.Discard); err != io.ErrUnexpectedEOF {
		t.Errorf("a read error: got %v, want it returned", err)
	}
}
