package main

import (
	"context"
	"io"
	"io/fs"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/i18n"
	"github.com/talkbot/talkbot/store/bolt"
)

// TestDigestTriggerIsOnTheControlSocketOnly: the TCP listener, which a
// same-host proxy, a port forward or a browser page can reach, does not
// run or list the digest; the control socket beside the store, of mode
// 0600, does.
func TestDigestTriggerIsOnTheControlSocketOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "talkbot.db")
	db, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ch := bot.ChannelRef{Platform: "slack", Channel: "C1"}
	if err := db.PutSubscription(context.Background(), bot.Subscription{ChannelRef: ch}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	vars := map[string]string{
		"TALKBOT_STORE_PATH":         path,
		"TALKBOT_STORE_LOCK_TIMEOUT": "100ms",
		// Not due yet on the clock's Wednesday: no catch-up run to wait for.
		"TALKBOT_DIGEST_SCHEDULE": "0 9 * * FRI",
		"TALKBOT_DIGEST_TIMEZONE": "UTC",
	}
	addr, logs, stop := startServe(t, vars, wednesday)
	defer stop()

	// The TCP listener: loopback, no proxy header, as the old check let in.
	for _, tt := range []struct{ method, path string }{
		{http.MethodPost, "/digest/run"},
		{http.MethodGet, "/digest/plan"},
	} {
		req, _ := http.NewRequest(tt.method, "http://"+addr+tt.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", tt.method, tt.path, err, logs)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("TCP %s %s: got %d %q, want 404 or 405", tt.method, tt.path, resp.StatusCode, body)
		}
	}

	sock := path + ".sock"
	fi, err := os.Lstat(sock)
	if err != nil {
		t.Fatalf("control socket: %v\n%s", err, logs)
	}
	if fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Errorf("control socket %s: mode %v, want a socket of mode 0600", sock, fi.Mode())
	}
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".talkbot-*")); len(leftovers) > 0 {
		t.Errorf("private socket directory left behind: %v", leftovers)
	}
	res, err := askServe(context.Background(), sock, true)
	if err != nil || res.Week != "2026-11-23" || len(res.Plan) != 1 || !strings.HasPrefix(res.Plan[0], "slack:C1\t") {
		t.Errorf("plan over the socket: got %+v, %v", res, err)
	}
	if len(res.Rows) != 1 || res.Rows[0].Channel != "slack:C1" || res.Rows[0].State != "cli_plan_no_platform" || res.Plan[0] != res.Rows[0].line(i18n.EN) {
		t.Errorf("plan rows over the socket: got %+v, want slack:C1 with no platform, the same as the English line", res.Rows)
	}
	res, err = askServe(context.Background(), sock, false)
	// Slack is not configured here: the run reaches the channel and fails it.
	if err != nil || res.Week != "2026-11-23" || res.Report.Failed != 1 {
		t.Errorf("run over the socket: got %+v, %v; want the week's run, its one channel failed", res, err)
	}
	// The commands find it through the store path.
	out, _, err := runT(t, vars, "", "digest", "--dry-run")
	if err != nil || !strings.Contains(out, "digest for the week of 2026-11-23 (1 channel)\nslack:C1\t") || !strings.HasSuffix(out, "\tplatform not configured\n") {
		t.Errorf("digest --dry-run beside serve: got %v\n%s", err, out)
	}
	// In Korean, by --lang or by the locale.
	for _, args := range [][]string{{"digest", "--dry-run", "--lang", "ko"}, {"digest", "--dry-run"}} {
		vars := maps.Clone(vars)
		if len(args) == 2 {
			vars["LANG"] = "ko_KR.UTF-8"
		}
		out, _, err := runT(t, vars, "", args...)
		if err != nil || !strings.Contains(out, "2026-11-23 주의 다이제스트 (채널 1개)\nslack:C1\t") || !strings.HasSuffix(out, "\t플랫폼이 설정되지 않음\n") {
			t.Errorf("%v beside serve, in Korean: got %v\n%s", args, err, out)
		}
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(sock); !os.IsNotExist(err) {
		t.Errorf("control socket still there after shutdown: %v", err)
	}
}

func TestListenControl(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "talkbot.db.sock")
	// A socket left by a serve that died is replaced.
	stale, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	stale.(*net.UnixListener).SetUnlinkOnClose(false)
	stale.Close()
	ln, err := listenControl(sock)
	if err != nil {
		t.Fatalf("over a stale socket: %v", err)
	}
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hi") }))
	c, err := net.DialTimeout("unix", sock, 5*time.Second)
	if err != nil {
		t.Fatalf("dial the new socket: %v", err)
	}
	c.Close()
	ln.Close()
	if _, err := os.Lstat(sock); !os.IsNotExist(err) {
		t.Errorf("socket file left after Close: %v", err)
	}
	// Any other file is the operator's: refused, and kept.
	os.WriteFile(sock, []byte("mine"), 0o600)
	if _, err := listenControl(sock); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("over a regular file: got %v, want a refusal", err)
	}
	if b, _ := os.ReadFile(sock); string(b) != "mine" {
		t.Error("listenControl replaced a regular file")
	}
}

func TestSocketPathTooLong(t *testing.T) {
	long := "/" + strings.Repeat("d", 120) + "/talkbot.db"
	cfg := defaultConfig()
	cfg.Store.Path = long
	err := checkServe(cfg)
	if err == nil || !strings.Contains(err.Error(), "too long for a Unix socket") {
		t.Errorf("got %v, want a too-long socket path error", err)
	}
}

// askServe to a socket nobody listens on fails with the socket's name.
func TestDigestWithoutServe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "talkbot.db")
	holder, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	vars := map[string]string{"TALKBOT_STORE_PATH": path, "TALKBOT_STORE_LOCK_TIMEOUT": "50ms"}
	_, _, err = runT(t, vars, "", "digest", "--now")
	if err == nil || !strings.Contains(err.Error(), path+".sock") {
		t.Errorf("digest --now beside a holder that is not serve: got %v, want an error naming the socket", err)
	}
}

// A second Close (http.Server.Serve closes its listener too) must not
// remove a file that has since taken the socket's place.
func TestControlListenerClosesOnce(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "talkbot.db.sock")
	ln, err := listenControl(sock)
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	if err := os.WriteFile(sock, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	ln.Close()
	if b, err := os.ReadFile(sock); err != nil || string(b) != "mine" {
		t.Errorf("the second Close removed the file now at %s: %v", sock, err)
	}
}
