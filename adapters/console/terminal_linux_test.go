package console

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestTerminalHelper is not a test: TestTerminalOnAPTY runs the test binary
// with this test selected on a pseudo-terminal, where it runs Terminal.
func TestTerminalHelper(t *testing.T) {
	if os.Getenv("TALKBOT_CONSOLE_HELPER") != "1" {
		t.Skip("run by TestTerminalOnAPTY")
	}
	// As main does: SIGINT (Ctrl-C while an answer is written) ends ctx.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := Terminal(ctx, newBot(t), os.Stdout)
	fmt.Printf("\r\nterminal returned: %v\r\n", err)
	os.Exit(0)
}

// openPTY returns the controller and the terminal end of a new
// pseudo-terminal.
func openPTY(t *testing.T) (ptm, pts *os.File) {
	t.Helper()
	ptm, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(ptm.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(ptm.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	pts, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	// A terminal of no size is one liner does not edit on.
	if err := unix.IoctlSetWinsize(int(ptm.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 40, Col: 120}); err != nil {
		t.Fatal(err)
	}
	return ptm, pts
}

// screen collects what the terminal shows and lets a test wait for it.
type screen struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{}
}

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	s.b.Write(p)
	s.mu.Unlock()
	select {
	case s.changed <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor waits until the screen shows want after the nth showing of
// after ("" for the start); the deadline only guards against a hang.
func (s *screen) waitFor(t *testing.T, after string, n int, want string) {
	t.Helper()
	guard := time.After(20 * time.Second)
	shown := func() bool {
		text := s.String()
		for range n {
			i := strings.Index(text, after)
			if i < 0 {
				return false
			}
			text = text[i+len(after):]
		}
		return strings.Contains(text, want)
	}
	for !shown() {
		select {
		case <-s.changed:
		case <-guard:
			t.Fatalf("the terminal never showed %q after %q %d times:\n%q", want, after, n, s.String())
		}
	}
}

// TestTerminalOnAPTY types at the console through a pseudo-terminal: arrow
// keys edit the line and recall the last one, and Ctrl-C leaves at once,
// without Enter.
func TestTerminalOnAPTY(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	ptm, pts := openPTY(t)
	defer ptm.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestTerminalHelper$")
	cmd.Env = append(os.Environ(), "TALKBOT_CONSOLE_HELPER=1", "TERM=xterm")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = pts, pts, pts
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pts.Close()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-exited
		}
	}()
	scr := &screen{changed: make(chan struct{}, 1)}
	go io.Copy(scr, ptm) // ends when the terminal closes

	answer := "Best of 3 talks for “sharding”"
	scr.waitFor(t, "", 0, Prompt)
	// "shardng", two steps left, "i": "sharding".
	io.WriteString(ptm, "shardng\x1b[D\x1b[Di\r")
	scr.waitFor(t, answer, 1, Prompt)
	// Up recalls the last line.
	io.WriteString(ptm, "\x1b[A\r")
	scr.waitFor(t, answer, 2, Prompt)
	// Ctrl-C in the middle of a line: no Enter.
	io.WriteString(ptm, "kaf\x03")
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("console exited with %v, want 0\n%q", err, scr.String())
		}
	case <-time.After(20 * time.Second): // a hang guard, not a timing assertion
		t.Fatalf("Ctrl-C did not end the console:\n%q", scr.String())
	}
	// The process has exited; what it wrote last may still be on its way
	// through the pseudo-terminal.
	scr.waitFor(t, "", 0, "terminal returned: <nil>")
	if strings.Contains(scr.String(), "[D") && strings.Contains(scr.String(), "“shardng") {
		t.Errorf("the arrow keys reached the query:\n%q", scr.String())
	}
}
