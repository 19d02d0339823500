package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/store/postgres"
	"github.com/talkbot/talkbot/store/postgres/pgtest"
)

// envReplicaChild marks a re-executed test binary that runs
// "talkbot serve" as a child process of TestReplicasKillLeader.
const envReplicaChild = "TALKBOT_TEST_REPLICA_CHILD"

// TestReplicaChildProcess is not a test: in a child started by
// TestReplicasKillLeader it runs "talkbot serve" as main does, with the
// TALKBOT_* environment, until SIGTERM or SIGKILL.
func TestReplicaChildProcess(t *testing.T) {
	if os.Getenv(envReplicaChild) != "1" {
		t.Skip("runs only as a child process of TestReplicasKillLeader")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, []string{"serve"}, os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitStatus(err, os.Stderr))
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// replica is a "talkbot serve" child process.
type replica struct {
	name string
	cmd  *exec.Cmd
	base string
	logs *syncBuffer
	dead bool
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startReplica(t *testing.T, name string, vars map[string]string) *replica {
	t.Helper()
	addr := freeAddr(t)
	r := &replica{name: name, base: "http://" + addr, logs: &syncBuffer{}}
	r.cmd = exec.Command(os.Args[0], "-test.run=^TestReplicaChildProcess$")
	r.cmd.Env = append(os.Environ(), envReplicaChild+"=1", "TALKBOT_HTTP_ADDR="+addr)
	for k, v := range vars {
		r.cmd.Env = append(r.cmd.Env, k+"="+v)
	}
	r.cmd.Stdout, r.cmd.Stderr = r.logs, r.logs
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if r.dead {
			return
		}
		r.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- r.cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s exited with %v; its log:\n%s", name, err, r.logs)
			}
		case <-time.After(30 * time.Second):
			r.cmd.Process.Kill()
			t.Errorf("%s did not stop within 30s of SIGTERM; its log:\n%s", name, r.logs)
		}
	})
	return r
}

// state returns /readyz's status and whether the replica says it leads;
// code 0 when it does not answer.
func (r *replica) state() (code int, leads bool) {
	resp, err := http.Get(r.base + "/readyz")
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.HasSuffix(string(body), "\ndigest leader: yes\n")
}

// waitFor polls cond every 20 ms (not a timing assertion) until it holds or
// limit passes.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

const e2eSecret = "e2e-signing-secret"

// slackPOST sends a signed Slack request to a replica and returns the
// status.
func slackPOST(t *testing.T, r *replica, path, contentType, body string, retry int) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, r.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = signSlackSecret(e2eSecret, body, time.Now())
	req.Header.Set("Content-Type", contentType)
	if retry > 0 {
		req.Header.Set("X-Slack-Retry-Num", fmt.Sprint(retry))
		req.Header.Set("X-Slack-Retry-Reason", "http_timeout")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s%s: %v", r.name, path, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestReplicasKillLeader is issue 14's end-to-end test: three "talkbot
// serve" processes on one PostgreSQL database and a slow fake Slack API.
// 200 channels subscribe through one replica; the leader's scheduler
// starts the week's digest; the leader is killed with SIGKILL mid-run;
// another replica becomes the leader and finishes the week: every channel
// gets one post. A Slack event retried to a second replica is answered
// once, and "talkbot digest --now" beside the replicas posts nothing more.
func TestReplicasKillLeader(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three serve processes")
	}
	dsn := pgtest.DSN(t)
	const channels, latency, killAfter = 200, 100 * time.Millisecond, 40
	fake, api := newFakePlatforms(t)
	var digestPosts atomic.Int64
	killNow := make(chan struct{})
	fake.script = func(platform, ch string, attempt int) string {
		time.Sleep(latency) // the slow API; the post is recorded after
		return ""
	}
	fake.onPost = func() {
		if digestPosts.Add(1) == killAfter {
			close(killNow)
		}
	}
	vars := map[string]string{
		"TALKBOT_STORE_DRIVER":         "postgres",
		"TALKBOT_STORE_DSN":            dsn,
		"TALKBOT_SLACK_BOT_TOKEN":      "xoxb-e2e",
		"TALKBOT_SLACK_SIGNING_SECRET": e2eSecret,
		"TALKBOT_SLACK_API_URL":        api.URL + "/api/",
		"TALKBOT_SLACK_ADMINS":         "UADMIN",
		// Due all week, and the leader's scheduler looks every 2 s, so the
		// run starts once the channels are subscribed.
		"TALKBOT_DIGEST_SCHEDULE": "@every 2s",
		"TALKBOT_DIGEST_WORKERS":  "4",
		"TALKBOT_LOG_LEVEL":       "info",
	}
	var rs []*replica
	for i := range 3 {
		rs = append(rs, startReplica(t, fmt.Sprintf("replica%d", i+1), vars))
	}
	dumpLogs := func() {
		if t.Failed() {
			for _, r := range rs {
				t.Logf("---- %s log:\n%s", r.name, r.logs)
			}
		}
	}
	defer dumpLogs()
	leader := func() []*replica {
		var out []*replica
		for _, r := range rs {
			if code, yes := r.state(); !r.dead && code == 200 && yes {
				out = append(out, r)
			}
		}
		return out
	}
	waitFor(t, 60*time.Second, "three ready replicas, one of them the leader", func() bool {
		for _, r := range rs {
			if code, _ := r.state(); code != 200 {
				return false
			}
		}
		return len(leader()) == 1
	})
	first := leader()[0]
	via := rs[0]
	if via == first {
		via = rs[1]
	}

	// Subscribe the channels through one (non-leader) replica.
	for i := range channels {
		form := url.Values{
			"token": {"legacy"}, "team_id": {"T1"}, "team_domain": {"acme"},
			"channel_id": {fmt.Sprintf("C%03d", i)}, "channel_name": {"general"},
			"user_id": {"UADMIN"}, "user_name": {"admin"}, "command": {"/talk"},
			"text": {"subscribe"}, "response_url": {api.URL + "/hooks/1"}, "trigger_id": {"1.2.3"},
			"api_app_id": {"A1"},
		}.Encode()
		if code := slackPOST(t, via, "/slack/commands", "application/x-www-form-urlencoded", form, 0); code != 200 {
			t.Fatalf("subscribe C%03d through %s: status %d", i, via.name, code)
		}
	}
	db, err := postgres.Open(context.Background(), dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// A slow answer goes through the response_url: the request's 200
	// does not wait for it.
	waitFor(t, 60*time.Second, "200 subscriptions in the database", func() bool {
		subs, err := db.Subscriptions(context.Background())
		return err == nil && len(subs) == channels
	})

	// Kill the leader mid-run.
	select {
	case <-killNow:
	case <-time.After(60 * time.Second):
		t.Fatal("the leader did not start the digest within 60s")
	}
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	first.cmd.Wait()
	first.dead = true
	atKill := digestPosts.Load()
	var next *replica
	waitFor(t, 30*time.Second, "a new leader", func() bool {
		if l := leader(); len(l) == 1 {
			next = l[0]
			return true
		}
		return false
	})
	toLeader := time.Since(killed)

	// The new leader finishes the week from the ledger.
	week := bot.WeekOf(time.Now(), time.FixedZone("KST", 9*3600))
	delivered := func() int {
		n := 0
		for i := range channels {
			d, err := db.Delivered(context.Background(), week, bot.ChannelRef{Platform: "slack", Channel: fmt.Sprintf("C%03d", i)})
			if err == nil && !d.Pending {
				n++
			}
		}
		return n
	}
	waitFor(t, 90*time.Second, "every channel delivered", func() bool { return delivered() == channels })
	toDone := time.Since(killed)

	posts, dups, misses := 0, 0, 0
	for i := range channels {
		switch n := fake.count(fmt.Sprintf("slack:C%03d", i)); {
		case n == 0:
			misses++
		case n > 1:
			dups += n - 1
			posts += n
		default:
			posts += n
		}
	}
	t.Logf("killed %s (the leader) after %d posts; %s took over in %s and the week was done %s after the kill",
		first.name, atKill, next.name, toLeader.Round(time.Millisecond), toDone.Round(time.Millisecond))
	t.Logf("posts %d, duplicates %d, misses %d (channels %d)", posts, dups, misses, channels)
	for _, l := range strings.Split(next.logs.String(), "\n") {
		if strings.Contains(l, `msg="digest run"`) && !strings.Contains(l, "sent=0 skipped=0 recovered=0") {
			t.Logf("%s: %s", next.name, l)
		}
	}
	if dups != 0 || misses != 0 || posts != channels {
		t.Errorf("posts %d, duplicates %d, misses %d; want %d, 0, 0", posts, dups, misses, channels)
	}
	if toLeader > 10*time.Second {
		t.Errorf("new leader after %s; want within seconds", toLeader)
	}

	// A Slack event, then Slack's retry of it to another replica.
	other := rs[0]
	for _, r := range rs {
		if !r.dead && r != next {
			other = r
		}
	}
	event := func(id string) string {
		js, _ := json.Marshal(map[string]any{
			"token": "legacy", "team_id": "T1", "api_app_id": "A1", "type": "event_callback", "event_id": id, "event_time": time.Now().Unix(),
			"event": map[string]any{"type": "message", "channel_type": "im", "channel": "D1", "user": "U1", "text": "kafka", "ts": "1.1"},
		})
		return string(js)
	}
	if code := slackPOST(t, next, "/slack/events", "application/json", event("EvE2E1"), 0); code != 200 {
		t.Fatalf("event: status %d", code)
	}
	waitFor(t, 30*time.Second, "the event's answer", func() bool { return fake.count("slack:D1") == 1 })
	if code := slackPOST(t, other, "/slack/events", "application/json", event("EvE2E1"), 1); code != 200 {
		t.Fatalf("retried event: status %d", code)
	}
	// The dedupe decides before the event is acknowledged, so the other
	// replica has logged why it does not answer by the retry's 200; the
	// line reaches this process through its stderr pipe a little later.
	waitFor(t, 10*time.Second, other.name+" ignoring the retried event", func() bool {
		return strings.Contains(other.logs.String(), "ignoring a repeated event")
	})

	// "talkbot digest --now" works on the database directly, beside the
	// replicas, and the ledger has the week done.
	out, _, err := runT(t, vars, "", "digest", "--now")
	if err != nil {
		t.Fatalf("digest --now: %v\n%s", err, out)
	}
	if !strings.Contains(out, fmt.Sprintf("sent 0, already delivered %d,", channels)) {
		t.Errorf("digest --now beside the replicas: %q", out)
	}
	if n := fake.count("slack:D1"); n != 1 {
		t.Errorf("answers to the event: %d, want 1", n)
	}
	var total int
	for i := range channels {
		total += fake.count(fmt.Sprintf("slack:C%03d", i))
	}
	if total != channels {
		t.Errorf("posts after digest --now: %d, want %d", total, channels)
	}
	if errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
}
