package main

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/recaps"
	"github.com/talkbot/talkbot/store/bolt"
	"github.com/talkbot/talkbot/store/postgres"
	"github.com/talkbot/talkbot/store/postgres/pgtest"
)

// Two recaps shared from chat: one of a shipped conference, one of a
// conference created from chat.
var (
	shippedConfDraft = recaps.Draft{
		Title:      "채팅 메시지를 샤딩한 이야기",
		TitleEN:    "How we sharded chat messages",
		Conference: "deview 2019",
		Speakers:   "홍길동 (Gildong) · 메시징팀",
		Summary:    "DynamoDB 테이블을 채널 id로 나눴다\n핫 파티션은 쓰기 샤딩으로 풀었다\n코끼리 실험도 했다",
		Lessons:    "파티션 키를 먼저 정하라",
		Tags:       "dynamodb",
	}
	newConfDraft = recaps.Draft{
		Title:      "Flamegraphs for the rest of us",
		Conference: "Gopher Seoul Meetup 2026",
		Speakers:   "Kim Lee",
		Summary:    "pprof answers where the time goes\nflamegraphs read bottom up\n#profiling before tuning",
		Link:       "https://example.com/flamegraphs",
	}
)

// contribute saves the two recaps through the core, as a chat form would,
// into the bbolt file at path or the PostgreSQL database dsn, and returns
// their ids in the order above.
func contribute(t *testing.T, st bot.Store) []string {
	t.Helper()
	c, err := recaps.Load(recaps.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	b := bot.New(c, bot.Options{Store: st, Now: func() time.Time { return now }})
	var ids []string
	for i, d := range []recaps.Draft{shippedConfDraft, newConfDraft} {
		_, errs := b.Submit(context.Background(), bot.Submission{
			Request: bot.Request{Platform: "slack", Team: "T1", Channel: "C1", User: "U1"},
			Author:  "Ash", Draft: d, Key: "V" + string(rune('1'+i)),
		})
		if errs != nil {
			t.Fatalf("submit %q: %v", d.Title, errs)
		}
	}
	cs, err := st.Recaps(context.Background())
	if err != nil || len(cs) != 2 {
		t.Fatalf("store holds %d recaps, %v; want 2", len(cs), err)
	}
	for _, d := range []recaps.Draft{shippedConfDraft, newConfDraft} {
		for _, c := range cs {
			if c.Talk.Title == d.Title {
				ids = append(ids, c.Talk.ID)
			}
		}
	}
	return ids
}

func boltWithRecaps(t *testing.T) (path string, ids []string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "talkbot.db")
	db, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ids = contribute(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return path, ids
}

// handle asks b as a stranger in a channel.
func handle(b *bot.Bot, text string) bot.Reply {
	return b.Handle(context.Background(), bot.Request{Platform: "slack", Channel: "C9", User: "U9", Command: bot.ParseCommand(text)})
}

func mentionsTitle(r bot.Reply, title string) bool {
	if strings.Contains(r.Title, title) {
		return true
	}
	for _, it := range r.Items {
		if strings.Contains(it.Text, title) {
			return true
		}
	}
	return false
}

// A restart finds the recaps shared before it; "recaps list" and "recaps
// export" read them with serve down (the file opened read-only); lint
// passes on the export; and a talkbot without a store, with [recaps] dir =
// the export, answers exactly as the one with the store.
func TestRecapsRestartListExportAndReload(t *testing.T) {
	path, ids := boltWithRecaps(t)
	vars := map[string]string{"TALKBOT_STORE_PATH": path}
	before, _ := os.Stat(path)

	out, _, err := runT(t, vars, "", "recaps", "list")
	if err != nil {
		t.Fatalf("recaps list: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") {
		t.Fatalf("recaps list: want a header and two lines, got\n%s", out)
	}
	for i, title := range []string{shippedConfDraft.Title, newConfDraft.Title} {
		for _, want := range []string{ids[i], title, "Ash (slack:U1)", "2026-12-02"} {
			if !strings.Contains(out, want) {
				t.Errorf("recaps list lacks %q:\n%s", want, out)
			}
		}
	}

	dir := filepath.Join(t.TempDir(), "export")
	out, _, err = runT(t, vars, "", "recaps", "export", dir)
	if err != nil || !strings.Contains(out, "exported 2 recaps and 1 conference to ") {
		t.Fatalf("recaps export: %v\n%s", err, out)
	}
	if after, _ := os.Stat(path); !after.ModTime().Equal(before.ModTime()) || after.Size() != before.Size() {
		t.Errorf("list and export wrote to the store file")
	}
	for _, id := range ids {
		matches, _ := filepath.Glob(filepath.Join(dir, "talks", "*", id+".md"))
		if len(matches) != 1 {
			t.Errorf("export: no talks/<conference>/%s.md", id)
		}
	}
	if matches, _ := filepath.Glob(filepath.Join(dir, "talks", "deview-2019", "*.md")); len(matches) != 1 {
		t.Errorf("export: the deview 2019 recap is not under talks/deview-2019: %v", matches)
	}
	if confs, _ := filepath.Glob(filepath.Join(dir, "conferences", "*.md")); len(confs) != 1 {
		t.Errorf("export: want one conference file (the one created from chat), got %v", confs)
	}
	if out, errOut, err := runT(t, nil, "", "lint", dir); err != nil {
		t.Fatalf("lint on the export: %v\n%s%s", err, out, errOut)
	}
	// A second export into the same directory is refused, not merged.
	if _, _, err := runT(t, vars, "", "recaps", "export", dir); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("export into a non-empty directory: got %v, want a refusal", err)
	}

	// Restart: a new app over the file has the recaps.
	cfg := defaultConfig()
	cfg.Store.Path = path
	a, err := env{}.open(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	if err := a.ready(); err != nil {
		t.Errorf("ready after open: %v", err)
	}
	// A fresh talkbot without a store, over the export.
	cfg2 := defaultConfig()
	cfg2.Recaps.Dir = dir
	cfg2.Store.Path = filepath.Join(t.TempDir(), "none.db")
	fresh, err := env{}.oneShotBot(context.Background(), cfg2)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"show " + ids[0], "show " + ids[1], "샤딩", "flamegraphs", "speaker Gildong", "gopher seoul meetup", "profiling"} {
		got, want := handle(fresh, q), handle(a.bot, q)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q: the export answers\n%+v\nthe store answers\n%+v", q, got, want)
		}
	}
	for i, q := range []string{"show " + ids[0], "show " + ids[1]} {
		title := []string{shippedConfDraft.Title, newConfDraft.Title}[i]
		if r := handle(a.bot, q); !mentionsTitle(r, title) {
			t.Errorf("after restart %q: got %q %q, want %q", q, r.Title, r.Intro, title)
		}
	}
	if r := handle(a.bot, "flamegraphs"); !mentionsTitle(r, newConfDraft.Title) {
		t.Errorf("after restart, a word search does not find the recap: %+v", r)
	}
}

func TestRecapsCommandErrors(t *testing.T) {
	path, _ := boltWithRecaps(t)
	vars := map[string]string{"TALKBOT_STORE_PATH": path}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"recaps"}, "usage:"},
		{[]string{"recaps", "delete"}, `unknown recaps command "delete"`},
		{[]string{"recaps", "list", "x"}, "takes no arguments"},
		{[]string{"recaps", "export"}, "takes one directory"},
		{[]string{"recaps", "export", "a", "b"}, "takes one directory"},
	} {
		if _, _, err := runT(t, vars, "", tt.args...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: got %v, want an error containing %q", tt.args, err, tt.want)
		}
	}
	// No store file: say so, create nothing.
	none := filepath.Join(t.TempDir(), "none.db")
	if _, _, err := runT(t, map[string]string{"TALKBOT_STORE_PATH": none}, "", "recaps", "list"); err == nil || !strings.Contains(err.Error(), "no store file") {
		t.Errorf("list without a store: got %v", err)
	}
	if _, err := os.Stat(none); !os.IsNotExist(err) {
		t.Errorf("list created the store file")
	}
	// A file name that is not a file in the export: refused, nothing written.
	db, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PutRecap(context.Background(), bot.Contribution{Talk: recaps.Talk{ID: "../../evil", Conference: "deview-2019", Title: "x"}}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	dir := filepath.Join(t.TempDir(), "out")
	if _, _, err := runT(t, vars, "", "recaps", "export", dir); err == nil || !strings.Contains(err.Error(), "not an id that can name a file") {
		t.Errorf("export of a bad id: got %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "..", "evil.md")); !os.IsNotExist(err) {
		t.Errorf("export wrote outside its directory")
	}
}

// talkbot ask and console answer with the recaps shared from chat too:
// read from the store when serve is not running, and not at all, without
// a word, when there is no store yet. A store held by another process
// that answers on no control socket is said on stderr, and the answer
// comes from the corpus alone.
func TestAskFindsSharedRecaps(t *testing.T) {
	path, ids := boltWithRecaps(t)
	vars := map[string]string{"TALKBOT_STORE_PATH": path}
	out, errOut, err := runT(t, vars, "", "ask", "flamegraphs")
	if err != nil || !strings.Contains(out, newConfDraft.Title) || errOut != "" {
		t.Errorf("ask flamegraphs: %v\n%s\nstderr: %s", err, out, errOut)
	}
	out, _, err = runT(t, vars, "speaker Ash\nshow "+ids[0]+"\n", "console")
	if err != nil || !strings.Contains(out, shippedConfDraft.Title) {
		t.Errorf("console show %s: %v\n%s", ids[0], err, out)
	}

	none := map[string]string{"TALKBOT_STORE_PATH": filepath.Join(t.TempDir(), "none.db")}
	out, errOut, err = runT(t, none, "", "ask", "flamegraphs")
	if err != nil || strings.Contains(out, newConfDraft.Title) || errOut != "" {
		t.Errorf("ask without a store: %v\n%s\nstderr: %s", err, out, errOut)
	}
	if _, err := os.Stat(none["TALKBOT_STORE_PATH"]); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ask created a store file: %v", err)
	}

	held, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	out, errOut, err = runT(t, vars, "", "ask", "sharding")
	if err != nil || !strings.Contains(out, "샤딩") || !strings.Contains(errOut, "answering without the recaps shared from chat") {
		t.Errorf("ask beside a held store: %v\n%s\nstderr: %s", err, out, errOut)
	}
}

// Beside a running serve, which holds the bbolt file, list and export ask
// serve over its control socket (GET /recaps).
func TestRecapsBesideServe(t *testing.T) {
	path, ids := boltWithRecaps(t)
	vars := map[string]string{
		"TALKBOT_STORE_PATH":         path,
		"TALKBOT_STORE_LOCK_TIMEOUT": "100ms",
		"TALKBOT_DIGEST_SCHEDULE":    "0 9 * * FRI",
		"TALKBOT_DIGEST_TIMEZONE":    "UTC",
	}
	_, logs, stop := startServe(t, vars, wednesday)
	defer stop()
	var cs []bot.Contribution
	var err error
	// The socket appears once serve has opened the store; the kernel queues
	// connections only from then.
	deadline := time.Now().Add(10 * time.Second)
	for {
		cs, err = askRecaps(context.Background(), path+".sock")
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil || len(cs) != 2 {
		t.Fatalf("GET /recaps on the control socket: %d, %v\n%s", len(cs), err, logs)
	}
	out, _, err := runT(t, vars, "", "recaps", "list")
	if err != nil || !strings.Contains(out, ids[0]) || !strings.Contains(out, ids[1]) {
		t.Errorf("recaps list beside serve: %v\n%s", err, out)
	}
	dir := filepath.Join(t.TempDir(), "export")
	if out, _, err := runT(t, vars, "", "recaps", "export", dir); err != nil || !strings.Contains(out, "exported 2 recaps") {
		t.Errorf("recaps export beside serve: %v\n%s", err, out)
	}
	if out, errOut, err := runT(t, vars, "", "ask", "flamegraphs"); err != nil || !strings.Contains(out, newConfDraft.Title) || errOut != "" {
		t.Errorf("ask beside serve: %v\n%s\nstderr: %s", err, out, errOut)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// On PostgreSQL, a recap added or removed through one replica is found,
// or no longer found, through another within 2 seconds (issue 14), and the
// commands read the database directly.
func TestRecapsAcrossReplicas(t *testing.T) {
	dsn := pgtest.DSN(t)
	cfg := defaultConfig()
	cfg.Store = StoreConfig{Driver: driverPostgres, DSN: dsn}
	cfg.Store.retry = true
	open := func() *app {
		a, err := env{}.open(cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.close() })
		return a
	}
	a, b := open(), open()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.syncRecaps(ctx) }()
	defer func() { cancel(); <-done }()
	// b is listening once it has loaded (the listener's first signal).
	waitFor(t, 30*time.Second, "b's first load", func() bool { return b.recapsLoaded.Load() && b.ready() == nil })

	rep, errs := a.bot.Submit(context.Background(), bot.Submission{
		Request: bot.Request{Platform: "slack", Channel: "C1", User: "U1"}, Author: "Ash", Draft: newConfDraft, Key: "V1",
	})
	if errs != nil || rep.Outcome != bot.OutcomeOK {
		t.Fatalf("submit through a: %v %q", errs, rep.Intro)
	}
	start := time.Now()
	// Issue 14: a change reaches another replica within 2 seconds.
	waitFor(t, 2*time.Second, "the recap through b", func() bool { return mentionsTitle(handle(b.bot, "flamegraphs"), newConfDraft.Title) })
	t.Logf("searchable through the other replica after %v", time.Since(start))

	cs, err := a.db.Recaps(context.Background())
	if err != nil || len(cs) != 1 {
		t.Fatalf("recaps: %d, %v", len(cs), err)
	}
	id := cs[0].Talk.ID
	vars := map[string]string{"TALKBOT_STORE_DRIVER": "postgres", "TALKBOT_STORE_DSN": dsn}
	out, _, err := runT(t, vars, "", "recaps", "list")
	if err != nil || !strings.Contains(out, id) {
		t.Errorf("recaps list on postgres: %v\n%s", err, out)
	}
	dir := filepath.Join(t.TempDir(), "export")
	if out, _, err := runT(t, vars, "", "recaps", "export", dir); err != nil || !strings.Contains(out, "exported 1 recap and 1 conference to ") {
		t.Errorf("recaps export on postgres: %v\n%s", err, out)
	}

	rm := a.bot.Handle(context.Background(), bot.Request{Platform: "slack", Channel: "C1", User: "U1", Command: bot.ParseCommand("remove " + id)})
	if rm.Outcome != bot.OutcomeOK {
		t.Fatalf("remove through a: %q", rm.Intro)
	}
	waitFor(t, 2*time.Second, "the removal through b", func() bool { return !mentionsTitle(handle(b.bot, "show "+id), newConfDraft.Title) })
}

// store migrate copies the contributed recaps, once, and store check
// counts them on both drivers.
func TestStoreMigrateCopiesRecaps(t *testing.T) {
	dsn := pgtest.DSN(t)
	path, _ := boltWithRecaps(t)
	boltEnv := map[string]string{"TALKBOT_STORE_PATH": path}
	out, _, err := runT(t, boltEnv, "", "store", "check")
	if err != nil || !strings.Contains(out, "\nrecaps: 2\n") {
		t.Fatalf("store check (bolt): %v\n%s", err, out)
	}
	for i, want := range []string{"recaps: 2 copied, 0 already there", "recaps: 0 copied, 2 already there"} {
		out, _, err := runT(t, nil, "", "store", "migrate", "--from", "bolt:"+path, "--to", "postgres:"+dsn)
		if err != nil || !strings.Contains(out, want) {
			t.Errorf("migrate #%d: %v, want %q in\n%s", i+1, err, want, out)
		}
	}
	pgEnv := map[string]string{"TALKBOT_STORE_DRIVER": "postgres", "TALKBOT_STORE_DSN": dsn}
	out, _, err = runT(t, pgEnv, "", "store", "check")
	if err != nil || !strings.Contains(out, "\nrecaps: 2\n") {
		t.Fatalf("store check (postgres): %v\n%s", err, out)
	}
	src, err := bolt.Open(path, bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	want, err := src.Recaps(context.Background())
	src.Close()
	if err != nil {
		t.Fatal(err)
	}
	dst, err := postgres.Open(context.Background(), dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	got, err := dst.Recaps(context.Background())
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("copied recaps differ: %v\ngot  %+v\nwant %+v", err, got, want)
	}
}
