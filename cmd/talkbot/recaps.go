package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/i18n"
	"github.com/talkbot/talkbot/recaps"
	"github.com/talkbot/talkbot/store/bolt"
	"github.com/talkbot/talkbot/store/postgres"
)

const recapsUsage = `usage:
  talkbot recaps list [--config PATH]
      print the id, title, author and date of every recap shared from chat
  talkbot recaps export DIR [--config PATH]
      write every recap shared from chat, and each conference created from chat,
      as recap files (recaps/FORMAT.md) under DIR, a new or empty directory`

func (e env) recapsCmd(ctx context.Context, args []string, gconf string) error {
	if len(args) == 0 {
		return errors.New(recapsUsage)
	}
	switch args[0] {
	case "list":
		return e.recapsList(ctx, args[1:], gconf)
	case "export":
		return e.recapsExport(ctx, args[1:], gconf)
	}
	return fmt.Errorf("unknown recaps command %q\n%s", args[0], recapsUsage)
}

func (e env) recapsList(ctx context.Context, args []string, gconf string) error {
	fs, conf := e.flags("recaps list", gconf)
	cfg, rest, l, err := e.outSetup(fs, conf, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("recaps list takes no arguments, not %q\n%s", strings.Join(rest, " "), recapsUsage)
	}
	cs, err := contributions(ctx, cfg)
	if err != nil {
		return err
	}
	if len(cs) == 0 {
		fmt.Fprintln(e.stdout, i18n.T(l, "cli_no_recaps"))
		return nil
	}
	slices.SortFunc(cs, func(a, b bot.Contribution) int {
		return cmp.Or(strings.Compare(a.Talk.Created, b.Talk.Created), strings.Compare(a.Talk.ID, b.Talk.ID))
	})
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, i18n.T(l, "cli_recaps_header"))
	for _, c := range cs {
		t := c.Talk
		author := t.AuthorID
		if t.Author != "" && t.Author != t.AuthorID {
			author = t.Author + " (" + t.AuthorID + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", oneLine(t.ID), oneLine(t.Title), oneLine(author), day(t.Created))
	}
	return tw.Flush()
}

// oneLine keeps a field of a table on its line and its column.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == '\t' }), " ")
}

// day returns the date of an RFC 3339 time, or the text as it is.
func day(s string) string {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC().Format(time.DateOnly)
	}
	return oneLine(s)
}

// safeID matches the ids export uses as file names: recaps.Slug's
// alphabet, so nothing in the store can name a file outside DIR.
var safeID = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N}_-]*$`)

func (e env) recapsExport(ctx context.Context, args []string, gconf string) error {
	fs, conf := e.flags("recaps export", gconf)
	cfg, rest, l, err := e.outSetup(fs, conf, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return fmt.Errorf("recaps export takes one directory\n%s", recapsUsage)
	}
	dir := rest[0]
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return fmt.Errorf("recaps export: %s is not empty; export into a new or empty directory (files of removed recaps would stay otherwise)", dir)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("recaps export: %w", err)
	}
	cs, err := contributions(ctx, cfg)
	if err != nil {
		return err
	}
	files, err := exportFiles(cs, cfg)
	if err != nil {
		return err
	}
	for _, f := range files {
		p := filepath.Join(dir, f.path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("recaps export: %w", err)
		}
		if err := os.WriteFile(p, f.body, 0o644); err != nil {
			return fmt.Errorf("recaps export: %w", err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil { // none to write: still a directory lint and recaps.dir accept
		return fmt.Errorf("recaps export: %w", err)
	}
	confs := 0
	for _, f := range files {
		if strings.HasPrefix(f.path, "conferences") {
			confs++
		}
	}
	fmt.Fprintln(e.stdout, i18n.T(l, "cli_exported", i18n.T(l, "n_recaps", len(files)-confs), i18n.T(l, "n_conferences", confs), dir))
	return nil
}

type exportFile struct {
	path string // relative, with the OS's separators
	body []byte
}

// exportFiles returns the recap files of cs: talks/<conference>/<id>.md for
// each recap, conferences/<id>.md for each conference created from chat.
// A recap of a conference that neither ships with talkbot nor was created
// from chat (one of recaps.dir) takes that conference's file along, so
// that DIR stands on its own.
func exportFiles(cs []bot.Contribution, cfg Config) ([]exportFile, error) {
	embedded, err := recaps.Load(recaps.Embedded())
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, c := range embedded.Conferences {
		known[c.ID] = true
	}
	created := map[string]recaps.Conference{}
	for _, c := range cs {
		if c.Conference != nil {
			created[c.Conference.ID] = *c.Conference
		}
	}
	var files []exportFile
	var local *recaps.Corpus // the configured corpus, loaded if needed
	for _, c := range cs {
		t := c.Talk
		if !safeID.MatchString(t.ID) || !safeID.MatchString(t.Conference) {
			return nil, fmt.Errorf("recaps export: recap %q (conference %q): not an id that can name a file; fix it in the store", t.ID, t.Conference)
		}
		files = append(files, exportFile{filepath.Join("talks", t.Conference, t.ID+".md"), recaps.Format(t)})
		if _, ok := created[t.Conference]; ok || known[t.Conference] {
			continue
		}
		if local == nil {
			if local, err = corpus(cfg); err != nil {
				return nil, err
			}
		}
		for _, cf := range local.Conferences {
			if cf.ID == t.Conference {
				created[cf.ID] = cf
			}
		}
		if _, ok := created[t.Conference]; !ok {
			return nil, fmt.Errorf("recaps export: recap %s: conference %q is not known here (not shipped, not created from chat, not in recaps.dir)", t.ID, t.Conference)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(created)) {
		if !safeID.MatchString(id) {
			return nil, fmt.Errorf("recaps export: conference %q: not an id that can name a file; fix it in the store", id)
		}
		files = append(files, exportFile{filepath.Join("conferences", id+".md"), recaps.FormatConference(created[id])})
	}
	return files, nil
}

// contributions returns the recaps shared from chat in the configured
// store: read directly (a bbolt file opened read-only, so it works while
// serve is down and writes nothing; PostgreSQL beside any replicas), or,
// when a running serve holds the bbolt file, from serve over its control
// socket.
func contributions(ctx context.Context, cfg Config) ([]bot.Contribution, error) {
	db, err := openStore(ctx, cfg.Store, nil, true)
	switch {
	case errors.Is(err, bolt.ErrLocked):
		sock := controlPath(cfg.Store.Path)
		cs, err := askRecaps(ctx, sock)
		if err != nil {
			return nil, fmt.Errorf("the store is held by another talkbot process, and no serve answered on its control socket %s: %w", sock, err)
		}
		return cs, nil
	case err != nil:
		return nil, err
	}
	defer db.Close()
	return db.Recaps(ctx)
}

// askRecaps asks the serve whose control socket is at path for the
// contributed recaps (GET /recaps).
func askRecaps(ctx context.Context, path string) ([]bot.Contribution, error) {
	var cs []bot.Contribution
	return cs, controlGet(ctx, path, http.MethodGet, "/recaps", &cs)
}

// serveRecaps answers GET /recaps on the control socket: every contributed
// recap in the store, as JSON.
func (a *app) serveRecaps(w http.ResponseWriter, r *http.Request) {
	cs, err := a.db.Recaps(r.Context())
	if err != nil {
		http.Error(w, "list recaps: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(cs)
}

// recapsReconcile is how often serve on PostgreSQL reloads the contributed
// recaps whatever the notifications said: a safety net, since the listener
// reloads everything after each reconnection anyway.
const recapsReconcile = 5 * time.Minute

// recapWatcher is a store that announces changes of the contributed recaps
// made by any process (PostgreSQL).
type recapWatcher interface {
	WatchRecaps(ctx context.Context, o postgres.WatchOptions, changed func()) error
}

var _ recapWatcher = (*postgres.DB)(nil)

// syncRecaps keeps serve's contributed recaps in step with a store shared
// by other replicas, until ctx ends: it reloads them when the store
// announces a change (coalescing announcements that come during a load),
// after the listener (re)connects, and every recapsReconcile. A bbolt store
// has one writer, this process, whose Bot already knows its changes: then
// it does nothing.
func (a *app) syncRecaps(ctx context.Context) error {
	w, ok := a.db.(recapWatcher)
	if !ok {
		return nil
	}
	kick := make(chan struct{}, 1)
	signal := func() {
		select {
		case kick <- struct{}{}:
		default: // a load is already due; it will see this change
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.WatchRecaps(ctx, postgres.WatchOptions{Log: a.log}, signal)
	}()
	defer func() { <-done }()
	t := time.NewTicker(recapsReconcile)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-kick:
		case <-t.C:
		}
		if err := a.bot.LoadRecaps(ctx); err != nil {
			if ctx.Err() == nil {
				a.log.Warn("reload contributed recaps", "err", err)
			}
			continue
		}
		a.recapsLoaded.Store(true)
	}
}

// loadRecaps loads the contributed recaps when the app opens, so that a
// restart finds them. serve on PostgreSQL may start before the database
// answers: then syncRecaps loads them once it does, and /readyz says they
// are not loaded until then.
func (a *app) loadRecaps(cfg Config) error {
	err := a.bot.LoadRecaps(context.Background())
	switch {
	case err == nil:
		a.recapsLoaded.Store(true)
		return nil
	case cfg.Store.retry && cfg.Store.Driver == driverPostgres:
		a.log.Warn("contributed recaps not loaded yet; loading them when the database answers", "err", err)
		return nil
	}
	return err
}

// recapsReady is the contributed recaps' part of readiness: nil once they
// are loaded. Until then it loads them itself (one load at a time), so
// that a replica whose database answered after it opened is ready as soon
// as it can answer with every recap.
func (a *app) recapsReady() error {
	if a.recapsLoaded.Load() {
		return nil
	}
	if !a.recapsLoading.TryLock() {
		return errors.New("contributed recaps: loading")
	}
	defer a.recapsLoading.Unlock()
	if a.recapsLoaded.Load() {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.bot.LoadRecaps(ctx); err != nil {
		return fmt.Errorf("contributed recaps not loaded yet: %w", err)
	}
	a.recapsLoaded.Store(true)
	return nil
}
