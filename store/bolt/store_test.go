package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/talkbot/talkbot/bot"
	"go.etcd.io/bbolt"
)

// mustOpen opens a store in a fresh temporary directory and closes it when
// the test ends.
func mustOpen(tb testing.TB) *DB {
	tb.Helper()
	db, err := Open(filepath.Join(tb.TempDir(), "talkbot.db"), Options{})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return db
}

// rawUpdate opens path with bbolt directly, runs fn and closes the file.
func rawUpdate(tb testing.TB, path string, fn func(tx *bbolt.Tx) error) {
	tb.Helper()
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		tb.Fatalf("bbolt.Open: %v", err)
	}
	defer b.Close()
	if err := b.Update(fn); err != nil {
		tb.Fatalf("bbolt.Update: %v", err)
	}
}

var (
	slackGeneral = bot.ChannelRef{Platform: "slack", Team: "T1", Channel: "C1"}
	discordTalks = bot.ChannelRef{Platform: "discord", Channel: "123"}
	t0           = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
)

func TestPersistsAcrossReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "talkbot.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sub := bot.Subscription{ChannelRef: slackGeneral, Since: t0, Updated: t0}
	if err := db.PutSubscription(ctx, sub); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Feature(ctx, "", 5, "a"); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkDelivered(ctx, bot.Delivery{Week: 5, Channel: slackGeneral, TalkID: "a", At: t0}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = Open(path, Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	if got, err := db.Subscription(ctx, slackGeneral); err != nil || !reflect.DeepEqual(got, sub) {
		t.Errorf("subscription: got %+v, %v, want %+v", got, err, sub)
	}
	if got, err := db.Feature(ctx, "", 5, "b"); err != nil || got != "a" {
		t.Errorf("feature: got %v, %v, want a", got, err)
	}
	if _, err := db.Delivered(ctx, 5, slackGeneral); err != nil {
		t.Errorf("delivered: got %v, want nil", err)
	}
}

func TestFileMode(t *testing.T) {
	db := mustOpen(t)
	fi, err := os.Stat(db.Path())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fi.Mode().Perm(), os.FileMode(0o600); got != want {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestSchemaVersionWritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "talkbot.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	err = b.View(func(tx *bbolt.Tx) error {
		got, err := schemaVersion(tx)
		if err != nil {
			return err
		}
		if want := uint64(len(migrations())); got != want {
			t.Errorf("schema version: got %v, want %v", got, want)
		}
		for _, name := range [][]byte{bucketSubscriptions, bucketFeatured, bucketLedger, bucketMeta} {
			if tx.Bucket(name) == nil {
				t.Errorf("bucket %s: got missing, want present", name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "talkbot.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	newer := uint64(len(migrations()) + 1)
	rawUpdate(t, path, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keySchema, binary.BigEndian.AppendUint64(nil, newer))
	})

	db, err = Open(path, Options{})
	if err == nil {
		db.Close()
		t.Fatal("Open of a newer schema: got nil error, want one")
	}
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Errorf("got %v, want %v", err, ErrSchemaTooNew)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("schema version %d", newer)) {
		t.Errorf("error %q does not name the file's version %d", err, newer)
	}
	// The refusal released the lock: the file can be opened again at once.
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("lock not released after refusal: %v", err)
	}
	b.Close()
}

func TestMigrate(t *testing.T) {
	var ran []string
	step := func(name string) migration {
		return func(tx *bbolt.Tx) error {
			ran = append(ran, name)
			_, err := tx.CreateBucketIfNotExists([]byte(name))
			return err
		}
	}
	ms := []migration{createBuckets, step("v2"), step("v3")}
	path := filepath.Join(t.TempDir(), "talkbot.db")

	tests := []struct {
		name    string
		ms      []migration
		wantRan []string
		wantV   uint64
	}{
		{"fresh file to v1", ms[:1], nil, 1},
		{"v1 to v3 runs both steps in order", ms, []string{"v2", "v3"}, 3},
		{"current is a no-op", ms, nil, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ran = nil
			var got uint64
			rawUpdate(t, path, func(tx *bbolt.Tx) error {
				if err := migrate(tx, tt.ms); err != nil {
					return err
				}
				var err error
				got, err = schemaVersion(tx)
				return err
			})
			if got != tt.wantV {
				t.Errorf("version: got %v, want %v", got, tt.wantV)
			}
			if !reflect.DeepEqual(ran, tt.wantRan) {
				t.Errorf("ran: got %v, want %v", ran, tt.wantRan)
			}
		})
	}
}

func TestMigrateFailureRollsBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "talkbot.db")
	boom := errors.New("boom")
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	err = b.Update(func(tx *bbolt.Tx) error {
		return migrate(tx, []migration{createBuckets, func(*bbolt.Tx) error { return boom }})
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want %v", err, boom)
	}
	b.View(func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketMeta) != nil {
			t.Errorf("meta bucket: got present, want rolled back")
		}
		return nil
	})
}

func TestSecondOpenFailsFast(t *testing.T) {
	db := mustOpen(t)
	const timeout = 100 * time.Millisecond

	start := time.Now()
	second, err := Open(db.Path(), Options{Timeout: timeout})
	elapsed := time.Since(start)
	if err == nil {
		second.Close()
		t.Fatal("second Open: got nil error, want ErrLocked")
	}
	if !errors.Is(err, ErrLocked) {
		t.Errorf("got %v, want %v", err, ErrLocked)
	}
	if !errors.Is(err, bbolt.ErrTimeout) {
		t.Errorf("got %v, want it to wrap %v", err, bbolt.ErrTimeout)
	}
	if elapsed > 5*timeout {
		t.Errorf("elapsed: got %v, want at most %v", elapsed, 5*timeout)
	}
	want := fmt.Sprintf("store %s is in use by another talkbot process (lock not acquired within 100ms)", db.Path())
	if err.Error() != want {
		t.Errorf("message: got %q, want %q", err, want)
	}
	// The first DB is unaffected.
	if err := db.Ping(context.Background()); err != nil {
		t.Errorf("Ping of the first DB: %v", err)
	}
}

// TestSecondProcessFailsFast opens the file here and again in a child process
// (this test binary, re-run as the helper below): the child must fail with the
// lock message within the timeout rather than hang.
func TestSecondProcessFailsFast(t *testing.T) {
	db := mustOpen(t)
	exe, err := os.Executable()
	if err != nil {
		t.Skipf("no test executable: %v", err)
	}
	cmd := exec.Command(exe, "-test.run=^TestHelperSecondProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "TALKBOT_STORE_HELPER_PATH="+db.Path())
	start := time.Now()
	out, err := cmd.CombinedOutput()
	elapsed := time.Since(start)
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	want := fmt.Sprintf("store %s is in use by another talkbot process (lock not acquired within 200ms)", db.Path())
	if !strings.Contains(string(out), want) {
		t.Errorf("helper output: got %q, want it to contain %q", out, want)
	}
	// Generous: this includes starting the child process.
	if limit := 5 * time.Second; elapsed > limit {
		t.Errorf("elapsed: got %v, want at most %v", elapsed, limit)
	}
}

// TestHelperSecondProcess is the child of TestSecondProcessFailsFast; it does
// nothing in a normal run.
func TestHelperSecondProcess(t *testing.T) {
	path := os.Getenv("TALKBOT_STORE_HELPER_PATH")
	if path == "" {
		t.Skip("helper process only")
	}
	const timeout = 200 * time.Millisecond
	start := time.Now()
	db, err := Open(path, Options{Timeout: timeout})
	if elapsed := time.Since(start); elapsed > 5*timeout {
		t.Errorf("elapsed: got %v, want at most %v", elapsed, 5*timeout)
	}
	if err == nil {
		db.Close()
		t.Fatal("Open in a second process: got nil error, want ErrLocked")
	}
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("got %v, want %v", err, ErrLocked)
	}
	fmt.Println(err)
}

func TestDefaultTimeoutMessage(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the one-second default")
	}
	db := mustOpen(t)
	_, err := Open(db.Path(), Options{})
	if !errors.Is(err, ErrLocked) || !strings.HasSuffix(err.Error(), "(lock not acquired within 1s)") {
		t.Errorf("got %v, want ErrLocked after 1s", err)
	}
}

func TestPing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "talkbot.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(context.Background()); err != nil {
		t.Errorf("open: got %v, want nil", err)
	}
	db.Close()
	if err := db.Ping(context.Background()); err == nil {
		t.Errorf("closed: got nil, want an error")
	}
}

func TestCheckHealthy(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	for _, s := range []bot.Subscription{
		{ChannelRef: slackGeneral, Since: t0},
		{ChannelRef: discordTalks, Since: t0, Paused: true, Reason: "unknown channel"},
		{ChannelRef: bot.ChannelRef{Platform: "slack", Channel: "C9"}, Since: t0},
	} {
		if err := db.PutSubscription(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []struct {
		scope string
		w     bot.Week
	}{{"", 1}, {"", 2}, {"go", 2}} {
		if _, err := db.Feature(ctx, f.scope, f.w, "a"); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.MarkDelivered(ctx, bot.Delivery{Week: 2, Channel: slackGeneral, TalkID: "a"}); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	if err := db.Check(&out); err != nil {
		t.Fatalf("Check: %v\n%s", err, &out)
	}
	want := fmt.Sprintf("subscriptions: 3 (paused: 1)\nfeatured weeks: 3\ndeliveries: 1\nrecaps: 0\nschema: %d\n", len(migrations()))
	if got := out.String(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestCheckEmpty(t *testing.T) {
	db := mustOpen(t)
	var out bytes.Buffer
	if err := db.Check(&out); err != nil {
		t.Fatalf("Check: %v", err)
	}
	want := fmt.Sprintf("subscriptions: 0 (paused: 0)\nfeatured weeks: 0\ndeliveries: 0\nrecaps: 0\nschema: %d\n", len(migrations()))
	if got := out.String(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestCheckReportsUndecodableValue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "talkbot.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	rawUpdate(t, path, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketSubscriptions).Put([]byte("slack\x00C1"), []byte("{not json"))
	})
	db, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	var out bytes.Buffer
	if err := db.Check(&out); err == nil {
		t.Errorf("Check: got nil error, want one")
	}
	if !strings.Contains(out.String(), "problem: subscription \"slack\\x00C1\"") {
		t.Errorf("output %q does not name the bad subscription", &out)
	}
	if !strings.Contains(out.String(), "subscriptions: 1 (paused: 0)") {
		t.Errorf("output %q lacks the counts", &out)
	}
}

func TestPutSubscriptions(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	subs := []bot.Subscription{
		{ChannelRef: bot.ChannelRef{Platform: "slack", Channel: "C1"}, Topics: []string{"kafka"}},
		{ChannelRef: bot.ChannelRef{Platform: "discord", Channel: "D1"}},
	}
	if err := db.PutSubscriptions(ctx, subs); err != nil {
		t.Fatal(err)
	}
	got, err := db.Subscriptions(ctx)
	if err != nil || len(got) != 2 {
		t.Fatalf("Subscriptions: got %d, %v; want 2", len(got), err)
	}
	// One bad entry writes nothing.
	bad := []bot.Subscription{{ChannelRef: bot.ChannelRef{Platform: "slack", Channel: "C9"}}, {}}
	if err := db.PutSubscriptions(ctx, bad); err == nil {
		t.Error("PutSubscriptions with an empty channel: got nil error")
	}
	if _, err := db.Subscription(ctx, bot.ChannelRef{Platform: "slack", Channel: "C9"}); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("after a refused batch: got %v, want ErrNotFound", err)
	}
}

func TestOpenReadOnly(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.db")
	if _, err := Open(missing, Options{ReadOnly: true}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("read-only open of a missing file: got %v, want fs.ErrNotExist", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("read-only open created %s", missing)
	}
	path := filepath.Join(dir, "talkbot.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ch := bot.ChannelRef{Platform: "slack", Channel: "C1"}
	if err := db.PutSubscription(ctx, bot.Subscription{ChannelRef: ch}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	before, _ := os.ReadFile(path)
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only open: %v", err)
	}
	// Two readers at once.
	ro2, err := Open(path, Options{ReadOnly: true, Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("second read-only open: %v", err)
	}
	ro2.Close()
	if subs, err := ro.Subscriptions(ctx); err != nil || len(subs) != 1 {
		t.Errorf("read-only Subscriptions: got %v, %v", subs, err)
	}
	if _, err := ro.Feature(ctx, "", 100, "some-talk"); err == nil {
		t.Error("read-only Feature: got nil error, want a refusal")
	}
	var out strings.Builder
	if err := ro.Check(&out); err != nil || !strings.Contains(out.String(), "subscriptions: 1") {
		t.Errorf("read-only Check: got %v\n%s", err, out.String())
	}
	ro.Close()
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("the read-only open changed the file")
	}
}

func TestOpenErrorSaysThePathOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no-such-dir", "talkbot.db")
	_, err := Open(path, Options{})
	if err == nil || strings.Count(err.Error(), path) != 1 || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("got %v, want one mention of %s and fs.ErrNotExist", err, path)
	}
}

func TestContents(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	subs := []bot.Subscription{
		{ChannelRef: bot.ChannelRef{Platform: "discord", Channel: "123"}, Since: t0, Updated: t0},
		{ChannelRef: bot.ChannelRef{Platform: "slack", Team: "T1", Channel: "C1"}, Topics: []string{"go"}, Since: t0, Updated: t0},
	}
	if err := db.PutSubscriptions(ctx, subs); err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		scope string
		w     bot.Week
		id    string
	}{{"", 2, "b"}, {"", 1, "a"}, {"go", 1, "c"}} {
		if _, err := db.Feature(ctx, f.scope, f.w, f.id); err != nil {
			t.Fatal(err)
		}
	}
	ds := []bot.Delivery{
		{Week: 1, Channel: subs[1].ChannelRef, TalkID: "c", MessageID: "m", At: t0},
		{Week: 2, Channel: subs[0].ChannelRef, TalkID: "b", At: t0, Pending: true},
	}
	for _, d := range ds {
		if err := db.MarkDelivered(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.Contents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := Contents{
		Subscriptions: subs,
		Featured: map[string][]bot.Feature{
			"":   {{Week: 1, TalkID: "a"}, {Week: 2, TalkID: "b"}},
			"go": {{Week: 1, TalkID: "c"}},
		},
		Deliveries: ds,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}
