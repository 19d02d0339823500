package main

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const benchSecret = "8f742231b10e8888abcd99yyyzzz85a5"

// slashBody is a Slack slash-command form body for /talk sharding.
var slashBody = url.Values{
	"token": {"x"}, "team_id": {"T1"}, "channel_id": {"C1"}, "user_id": {"U1"}, "user_name": {"dev"},
	"command": {"/talk"}, "text": {"sharding"}, "response_url": {"http://127.0.0.1:9/hooks"}, "trigger_id": {"1.2.3"},
}.Encode()

// signSlack returns the v0 signature headers Slack would send for body.
func signSlack(body string, now time.Time) http.Header {
	return signSlackSecret(benchSecret, body, now)
}

// signSlackSecret signs body with secret as Slack does (v0 HMAC-SHA256 over
// "v0:timestamp:body").
func signSlackSecret(secret, body string, now time.Time) http.Header {
	ts := strconv.FormatInt(now.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	io.WriteString(mac, "v0:"+ts+":"+body)
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", ts)
	h.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	return h
}

// load sends n requests from c concurrent clients and returns the elapsed
// time. Every answer must be 200 with a non-empty body.
func load(b *testing.B, client *http.Client, target string, headers http.Header, body string, n, c int) time.Duration {
	b.Helper()
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range c {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(body))
				req.Header = headers.Clone()
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				k, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || k == 0 {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	d := time.Since(start)
	if f := failed.Load(); f > 0 {
		b.Fatalf("%d of %d requests to %s failed", f, n, target)
	}
	return d
}

// BenchmarkSlackVsBare serves the signed Slack slash-command endpoint
// (verification, search, Block Kit rendering, JSON) and two bare net/http
// handlers that write a fixed body, all on loopback in the same run: one
// writes the same bytes as the real answer (so both move the same data and
// the ratio isolates talkbot's own work), the other a 45-byte body (the
// floor of net/http). It reports each one's throughput and both ratios.
// Each b.N iteration is a round of 2,000 requests to each, interleaved so
// all see the same machine.
func BenchmarkSlackVsBare(b *testing.B) {
	cfg := defaultConfig()
	cfg.Store.Path = filepath.Join(b.TempDir(), "talkbot.db")
	cfg.Slack = SlackConfig{BotToken: "xoxb-bench", SigningSecret: benchSecret, APIURL: "http://127.0.0.1:9/api/"}
	a, err := env{}.open(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	defer a.close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	serve := func(h http.Handler) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		srv := &http.Server{Handler: h}
		go srv.Serve(ln)
		b.Cleanup(func() { srv.Close() })
		return "http://" + ln.Addr().String()
	}
	fixed := func(body []byte) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.Write(body)
		})
	}
	talk := serve(a.routes()) + "/slack/commands"
	go a.platforms["slack"].Run(ctx)

	const n, conc = 2000, 32
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: conc * 4, MaxIdleConnsPerHost: conc * 4}}
	// One real answer, to serve its bytes from the same-size bare handler.
	req, _ := http.NewRequest(http.MethodPost, talk, strings.NewReader(slashBody))
	req.Header = signSlack(slashBody, time.Now())
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(answer), "blocks") {
		b.Fatalf("slash command: %d %s", resp.StatusCode, answer)
	}
	same := serve(fixed(answer)) + "/"
	tiny := serve(fixed([]byte(`{"response_type":"ephemeral","text":"hello"}`))) + "/"
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	// Warm up connections and caches.
	for _, u := range []string{same, tiny} {
		load(b, client, u, form, slashBody, 200, conc)
	}
	load(b, client, talk, signSlack(slashBody, time.Now()), slashBody, 200, conc)
	var tSame, tTiny, tTalk time.Duration
	b.ResetTimer()
	for range b.N {
		tSame += load(b, client, same, form, slashBody, n, conc)
		tTalk += load(b, client, talk, signSlack(slashBody, time.Now()), slashBody, n, conc)
		tTiny += load(b, client, tiny, form, slashBody, n, conc)
	}
	b.StopTimer()
	rps := func(d time.Duration) float64 { return float64(n*b.N) / d.Seconds() }
	b.ReportMetric(rps(tTalk), "slack-req/s")
	b.ReportMetric(rps(tSame), "bare-req/s")
	b.ReportMetric(rps(tTiny), "bare45B-req/s")
	b.ReportMetric(rps(tTalk)/rps(tSame), "ratio")
	b.ReportMetric(rps(tTalk)/rps(tTiny), "ratio-45B")
	b.ReportMetric(float64(len(answer)), "answer-B")
}

// BenchmarkStartup builds talkbot, starts "talkbot serve" with the embedded
// corpus and a fresh store, and measures the time from process start to the
// first 200 from /readyz. It reports the median and the worst of b.N starts.
func BenchmarkStartup(b *testing.B) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "talkbot")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = filepath.Dir(testdata) // TestMain moved the working directory
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	addrRE := regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`)
	var times []time.Duration
	client := &http.Client{Timeout: time.Second}
	b.ResetTimer()
	for i := range b.N {
		cmd := exec.Command(bin, "serve")
		cmd.Env = append(os.Environ(), "TALKBOT_HTTP_ADDR=127.0.0.1:0", "TALKBOT_STORE_PATH="+filepath.Join(dir, fmt.Sprintf("s%d.db", i)))
		stderr, _ := cmd.StderrPipe()
		start := time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		sc := bufio.NewScanner(stderr)
		addr := ""
		for addr == "" && sc.Scan() {
			if m := addrRE.FindStringSubmatch(sc.Text()); m != nil {
				addr = m[1]
			}
		}
		go io.Copy(io.Discard, stderr)
		if addr == "" {
			cmd.Process.Kill()
			b.Fatal("serve never logged its address")
		}
		for {
			resp, err := client.Get("http://" + addr + "/readyz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					break
				}
			}
			if time.Since(start) > 10*time.Second {
				cmd.Process.Kill()
				b.Fatal("not ready after 10s")
			}
		}
		times = append(times, time.Since(start))
		cmd.Process.Signal(os.Interrupt)
		if err := cmd.Wait(); err != nil {
			b.Fatalf("serve exit after SIGINT: %v, want 0", err)
		}
	}
	b.StopTimer()
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(times[len(times)-1].Microseconds())/1000, "max-ms")
}
