package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"
	"golang.org/x/sync/errgroup"
	"golang.org/x/time/rate"

	"github.com/talkbot/talkbot/adapters/slack"
	"github.com/talkbot/talkbot/bot"
)

// platform is what serve needs of a chat adapter.
type platform interface {
	bot.Sender
	Handler() http.Handler // its HTTP endpoints under /<name>/
	Run(ctx context.Context) error
	Ready() bool
}

// app is a running talkbot: the core, its store and what serve starts.
type app struct {
	cfg       Config
	log       *slog.Logger
	db        dataStore
	bot       *bot.Bot
	digest    *bot.Digest
	schedule  cron.Schedule
	platforms map[string]platform
	metrics   *metrics
	leader    *digestLeader // whether this replica runs the digest
	digestMu  sync.Mutex    // held by the digest run in progress
	// control, when set, is the Unix socket on which serve answers
	// "talkbot digest"; serve closes it.
	control net.Listener
	// life ends when serve begins to shut down; nil outside serve.
	life context.Context
	// recapsLoaded is set once the contributed recaps are loaded.
	recapsLoaded  atomic.Bool
	recapsLoading sync.Mutex // held by recapsReady's load
}

// open builds the app from cfg: corpus, store, core, adapters. The caller
// must call close.
func (e env) open(cfg Config, log *slog.Logger) (*app, error) {
	return e.openApp(cfg, log, false)
}

// openApp is open with the store opened read-only if readOnly is set; the
// configuration is checked before the store is touched.
func (e env) openApp(cfg Config, log *slog.Logger, readOnly bool) (_ *app, err error) {
	sched, err := cfg.Schedule()
	if err != nil {
		return nil, err
	}
	pc, err := checkPlatforms(cfg)
	if err != nil {
		return nil, err
	}
	c, err := corpus(cfg)
	if err != nil {
		return nil, err
	}
	db, err := openStore(context.Background(), cfg.Store, log, readOnly)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			db.Close()
		}
	}()
	a := &app{cfg: cfg, log: log, db: db, schedule: sched, metrics: newMetrics()}
	a.leader = newDigestLeader(db, log, a.metrics)
	a.bot, err = e.newBot(cfg, c, log, bot.Options{
		Store:      botStore(db, a.metrics),
		NextDigest: sched.Next,
		Observer:   a.metrics,
	})
	if err != nil {
		return nil, err
	}
	if err := a.loadRecaps(cfg); err != nil {
		return nil, err
	}
	if a.platforms, err = pc.build(a.bot); err != nil {
		return nil, err
	}
	senders := map[string]bot.Sender{}
	for name, p := range a.platforms {
		senders[name] = p
		// Slack retries an event to whichever replica the balancer picks:
		// with a shared store, its event ids are recorded there.
		if s, ok := p.(interface {
			ShareSeen(slack.EventMarker, func(error))
		}); ok {
			if m, ok := db.(slack.EventMarker); ok {
				s.ShareSeen(m, func(err error) { log.Warn("slack: shared event dedupe failed; answering anyway", "err", err) })
			}
		}
	}
	a.digest, err = a.bot.NewDigest(bot.DigestOptions{
		Senders: senders,
		Workers: cfg.Digest.Workers,
		// Discord allows 50 requests a second per bot in all and discordgo
		// does not pace itself; Slack answers 429 with Retry-After, which
		// the digest honours.
		Rates:     map[string]rate.Limit{"discord": 40},
		Delivered: a.metrics.Delivered,
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

func (a *app) close() error { return a.db.Close() }

// ready reports whether the store answers and every adapter is connected.
func (a *app) ready() error {
	if err := pingStore(a.db); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := a.recapsReady(); err != nil {
		return err
	}
	for name, p := range a.platforms {
		if !p.Ready() {
			return fmt.Errorf("%s: not connected", name)
		}
	}
	return nil
}

// routes returns the HTTP handler of serve: health, metrics and the
// adapters' endpoints. The digest is not triggered here: see
// controlRoutes.
func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		// The status says whether to send requests here; the body also
		// says whether this replica runs the digest.
		leader := "digest leader: no\n"
		if a.leader.leading() {
			leader = "digest leader: yes\n"
		}
		if err := a.ready(); err != nil {
			http.Error(w, "not ready: "+err.Error()+"\n"+strings.TrimSuffix(leader, "\n"), http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ready\n"+leader)
	})
	mux.Handle("GET /metrics", a.metrics.handler())
	for name, p := range a.platforms {
		mux.Handle("/"+name+"/", p.Handler())
	}
	return mux
}

// controlRoutes returns the handler of the control socket, where
// "talkbot digest" reaches a running serve: only the operator, who owns
// the socket file, can connect.
func (a *app) controlRoutes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /digest/run", a.serveDigestRun)
	mux.HandleFunc("GET /digest/plan", a.serveDigestPlan)
	mux.HandleFunc("GET /recaps", a.serveRecaps)
	return mux
}

// checkServe checks, before serve does any I/O, what the configuration
// check leaves to serve: the platform keys, http.addr's form and where
// the store and its control socket go. It returns every problem at once.
func checkServe(cfg Config) error {
	_, errs := platformConfigsOf(cfg)
	if _, _, err := net.SplitHostPort(cfg.HTTP.Addr); err != nil {
		errs = append(errs, fmt.Errorf("http.addr %q must be host:port, like 127.0.0.1:8080 or :8080: %w", cfg.HTTP.Addr, err))
	}
	if dir := filepath.Dir(cfg.Store.Path); dir != "." && cfg.Store.Driver != driverPostgres {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			errs = append(errs, fmt.Errorf("store.path %s: directory %s does not exist", cfg.Store.Path, dir))
		}
	}
	if cfg.Store.Driver == driverPostgres {
		return problems(errs) // no store file, no control socket
	}
	if err := checkSocketPath(controlPath(cfg.Store.Path)); err != nil {
		errs = append(errs, fmt.Errorf("store.path: %w", err))
	}
	return problems(errs)
}

func (e env) serve(ctx context.Context, args []string, gconf string) error {
	// The listener is closed on every path: at shutdown by the HTTP
	// server, on an early error here (a second Close does nothing).
	ln := e.listener
	defer func() {
		if ln != nil {
			ln.Close()
		}
	}()
	fs, conf := e.flags("serve", gconf)
	cfg, rest, err := e.setup(fs, conf, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("serve takes no arguments, not %q", strings.Join(rest, " "))
	}
	if err := checkServe(cfg); err != nil {
		return err
	}
	log := e.logger(cfg)
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.HTTP.Addr); err != nil {
			return fmt.Errorf("http.addr: %w", err)
		}
	}
	cfg.Store.retry = true // wait for PostgreSQL rather than crash-loop; /readyz says why
	a, err := e.open(cfg, log)
	if err != nil {
		return err
	}
	// The store's lock is held: a socket file left by a serve that died
	// is stale. With PostgreSQL there is no lock file: "talkbot digest"
	// works on the database directly, and replicas need no socket.
	if cfg.Store.Driver != driverPostgres {
		if a.control, err = listenControl(controlPath(cfg.Store.Path)); err != nil {
			a.close()
			return fmt.Errorf("digest control socket: %w", err)
		}
	}
	err = a.serve(ctx, ln, a.routes())
	if cerr := a.close(); cerr != nil && err == nil {
		err = fmt.Errorf("close store: %w", cerr)
	}
	if err == nil {
		log.Info("stopped")
	}
	return err
}

// serve runs everything until ctx ends, then shuts down: the HTTP server
// stops accepting and drains in-flight requests, adapters disconnect, a
// running digest checkpoints. The caller closes the store afterwards.
func (a *app) serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	names := make([]string, 0, len(a.platforms))
	for n := range a.platforms {
		names = append(names, n)
	}
	if len(names) == 0 {
		a.log.Info("no chat platform configured: serving health, metrics and the digest scheduler only (set [slack] or [discord] keys to connect)")
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	g, gctx := errgroup.WithContext(ctx)
	a.life = gctx
	g.Go(func() error {
		a.log.Info("http server started", "addr", ln.Addr().String(), "platforms", strings.Join(names, ","))
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("http server: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(gctx), a.cfg.HTTP.ShutdownTimeout.Duration)
		defer cancel()
		a.log.Info("shutting down", "grace", a.cfg.HTTP.ShutdownTimeout.Duration)
		if err := srv.Shutdown(sctx); err != nil {
			return fmt.Errorf("http shutdown: %w", err)
		}
		return nil
	})
	if a.control != nil {
		ctl := &http.Server{
			Handler:           a.controlRoutes(),
			ReadHeaderTimeout: 10 * time.Second,
			ErrorLog:          srv.ErrorLog,
		}
		g.Go(func() error {
			a.log.Info("digest control socket open", "path", a.control.Addr().String())
			if err := ctl.Serve(a.control); !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("digest control socket: %w", err)
			}
			return nil
		})
		g.Go(func() error {
			<-gctx.Done()
			sctx, cancel := context.WithTimeout(context.WithoutCancel(gctx), a.cfg.HTTP.ShutdownTimeout.Duration)
			defer cancel()
			if err := ctl.Shutdown(sctx); err != nil {
				return fmt.Errorf("digest control socket shutdown: %w", err)
			}
			return nil
		})
	}
	for name, p := range a.platforms {
		g.Go(func() error {
			a.log.Info("adapter started", "platform", name)
			if err := p.Run(gctx); err != nil && !errors.Is(err, context.Canceled) {
				return fmt.Errorf("%s: %w", name, err)
			}
			return nil
		})
	}
	g.Go(func() error { return a.leader.run(gctx) })
	g.Go(func() error { return a.runScheduler(gctx) })
	g.Go(func() error { return a.syncRecaps(gctx) })
	return g.Wait()
}

// runScheduler runs the digest on its cron schedule until ctx ends, and
// once when this week's run is due but not done (a missed run, or a
// leader that died mid-run): at start with bbolt, and whenever this
// replica becomes the digest leader with PostgreSQL. Only the leader's
// runs start; a run stops and checkpoints when leadership is lost.
func (a *app) runScheduler(ctx context.Context) error {
	loc := a.bot.Location()
	job := func(why string) {
		lctx, ok := a.leader.current(ctx)
		if !ok {
			a.log.Debug("digest: not the leader; another replica runs it", "trigger", why)
			return
		}
		w, due := a.bot.Due(a.schedule, a.bot.Now())
		if !due {
			return
		}
		if _, err := a.runDigest(lctx, w, why); err != nil && !errors.Is(err, context.Canceled) {
			a.log.Error("digest run failed", "week", w.String(), "trigger", why, "err", err)
		}
	}
	c := cron.New(
		cron.WithLocation(loc),
		cron.WithChain(cron.Recover(cronLogger{a.log})),
		cron.WithLogger(cronLogger{a.log}),
	)
	c.Schedule(a.schedule, cron.FuncJob(func() { job("schedule") }))
	c.Start()
	a.log.Info("digest scheduler started", "schedule", a.cfg.Digest.Schedule, "timezone", loc.String(), "next", a.schedule.Next(a.bot.Now()).In(loc).Format(time.RFC3339))
	// Catch up a run missed while talkbot was down, or left unfinished by
	// a leader that died; the ledger skips the channels that were done.
	if a.leader.pg == nil {
		job("catch-up")
	}
	for stop := false; !stop; {
		select {
		case <-a.leader.became:
			job("catch-up as new leader")
		case <-ctx.Done():
			stop = true
		}
	}
	<-c.Stop().Done() // waits for a running digest to checkpoint
	return nil
}

// errDigestRunning is returned by runDigest while another run is going.
var errDigestRunning = errors.New("a digest run is already in progress")

// runDigest runs week w's digest unless a run is in progress (then it
// returns errDigestRunning at once): the scheduler, the catch-up and
// "talkbot digest --now" share it.
func (a *app) runDigest(ctx context.Context, w bot.Week, why string) (bot.Report, error) {
	if !a.digestMu.TryLock() {
		a.log.Warn("digest still running; skipping this trigger", "trigger", why)
		return bot.Report{}, errDigestRunning
	}
	defer a.digestMu.Unlock()
	a.log.Info("digest starting", "week", w.String(), "trigger", why)
	return a.digest.Run(ctx, w)
}

// serveDigestRun runs this week's digest now and answers with the report.
func (a *app) serveDigestRun(w http.ResponseWriter, r *http.Request) {
	// A run to many channels outlasts the server's write timeout; its
	// report must still reach "talkbot digest --now".
	if err := http.NewResponseController(w).SetWriteDeadline(time.Time{}); err != nil {
		a.log.Warn("digest run: cannot lift the write deadline", "err", err)
	}
	// At shutdown the run stops taking channels and checkpoints, like the
	// scheduler's, before the store closes; other requests are drained.
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	if a.life != nil {
		defer context.AfterFunc(a.life, cancel)()
	}
	week := bot.WeekOf(a.bot.Now(), a.bot.Location())
	rep, err := a.runDigest(ctx, week, "http")
	if errors.Is(err, errDigestRunning) {
		http.Error(w, err.Error(), http.StatusConflict)
		return
	}
	writeReport(w, digestResult{Week: week.String(), Report: rep, Err: errString(err)})
}

// serveDigestPlan answers with this week's plan, recording nothing.
func (a *app) serveDigestPlan(w http.ResponseWriter, r *http.Request) {
	week := bot.WeekOf(a.bot.Now(), a.bot.Location())
	plan, err := a.digest.Preview(r.Context(), week)
	if err != nil {
		http.Error(w, "plan digest: "+err.Error(), http.StatusInternalServerError)
		return
	}
	rows := a.planRows(plan)
	writeReport(w, digestResult{Week: week.String(), Rows: rows, Plan: planLines(rows)})
}

// cronLogger adapts slog to cron's logger.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "err", err)...)
}
