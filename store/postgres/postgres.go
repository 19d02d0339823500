// Package postgres is the PostgreSQL implementation of bot.Store, for
// several talkbot replicas sharing one database. It uses pgx's pool; the
// schema is migrated at open from SQL embedded in the binary.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/i18n"
)

// ErrNotReady is returned, wrapped with the reason, by every method of a DB
// from OpenRetrying while it has not yet connected and migrated.
var ErrNotReady = errors.New("database not ready")

// Options configures Open and OpenRetrying. The zero value is the default.
type Options struct {
	// Log receives OpenRetrying's failed attempts; nil discards them.
	Log *slog.Logger
	// MaxBackoff caps the wait between OpenRetrying's attempts. Zero means
	// 30 seconds.
	MaxBackoff time.Duration
}

// DB is a bot.Store over a PostgreSQL connection pool. It is safe for
// concurrent use; every method is one statement or one transaction,
// committed before it returns. Times are kept to the microsecond and read
// back in UTC.
type DB struct {
	pool     *pgxpool.Pool
	password string // redacted from errors

	mu      sync.Mutex
	err     error // nil once connected and migrated
	ready   chan struct{}
	cancel  context.CancelFunc
	done    chan struct{}
	closed  bool
	attempt int

	seenCalls atomic.Uint64 // MarkSeen calls, to prune now and then
	ledger    groupCommit   // MarkDelivered and ClaimDelivery, sent together
}

var _ bot.Store = (*DB)(nil)

// Open connects to the database dsn names, migrates its schema and returns
// the DB, or an error if the database cannot be reached or migrated. The
// error never contains the DSN's password. The caller must Close the DB.
func Open(ctx context.Context, dsn string, o Options) (*DB, error) {
	db, err := newDB(dsn)
	if err != nil {
		return nil, err
	}
	close(db.done)
	if err := db.connect(ctx); err != nil {
		db.pool.Close()
		return nil, err
	}
	return db, nil
}

// OpenRetrying returns at once and connects in the background, retrying
// with exponential backoff (from 250ms up to o.MaxBackoff) until the
// database answers and is migrated, or until Close. Until then Ping and
// every method return an error that is ErrNotReady and says why; Ready is
// closed when the DB becomes usable. Its only error is a malformed DSN.
func OpenRetrying(dsn string, o Options) (*DB, error) {
	db, err := newDB(dsn)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	db.cancel = cancel
	go db.retry(ctx, o)
	return db, nil
}

func newDB(dsn string) (*DB, error) {
	if err := CheckDSN(dsn); err != nil {
		// pgx's parse errors redact passwords only on a best-effort basis,
		// and the URL parser's errors quote the input: say nothing of it.
		return nil, fmt.Errorf("parse postgres dsn: %w", err)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, err // unreachable: CheckDSN parsed it
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg) // connects lazily
	if err != nil {
		return nil, fmt.Errorf("postgres pool: %w", redact(err, cfg.ConnConfig.Password))
	}
	return &DB{
		pool:     pool,
		password: cfg.ConnConfig.Password,
		err:      fmt.Errorf("%w: first connection to %s in progress", ErrNotReady, describe(cfg)),
		ready:    make(chan struct{}),
		done:     make(chan struct{}),
	}, nil
}

// describe names the database without secrets, for errors.
func describe(cfg *pgxpool.Config) string {
	c := cfg.ConnConfig
	return fmt.Sprintf("postgres database %q on %s:%d as %q", c.Database, c.Host, c.Port, c.User)
}

func (db *DB) connect(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	c, err := db.pool.Acquire(ctx)
	if err != nil {
		return db.redact(fmt.Errorf("connect to %s: %w", describe(db.pool.Config()), err))
	}
	defer c.Release()
	if err := migrate(ctx, c, ms); err != nil {
		return db.redact(err)
	}
	db.mu.Lock()
	db.err = nil
	close(db.ready)
	db.mu.Unlock()
	return nil
}

func (db *DB) retry(ctx context.Context, o Options) {
	defer close(db.done)
	maxWait := o.MaxBackoff
	if maxWait <= 0 {
		maxWait = 30 * time.Second
	}
	wait := 250 * time.Millisecond
	for {
		err := db.connect(ctx)
		if err == nil {
			if o.Log != nil {
				o.Log.Info("store: connected to postgres", "attempts", db.attempt+1)
			}
			return
		}
		if ctx.Err() != nil {
			return
		}
		db.mu.Lock()
		db.attempt++
		db.err = fmt.Errorf("%w: attempt %d failed, retrying in %s: %w", ErrNotReady, db.attempt, wait, err)
		n := db.attempt
		db.mu.Unlock()
		if o.Log != nil {
			o.Log.Warn("store: postgres not reachable, retrying", "attempt", n, "in", wait, "err", err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, maxWait)
	}
}

// Ready is closed once the DB has connected and migrated.
func (db *DB) Ready() <-chan struct{} { return db.ready }

// Close stops a background connection attempt and closes the pool, waiting
// for connections in use to be released.
func (db *DB) Close() error {
	db.mu.Lock()
	if db.closed {
		db.mu.Unlock()
		return nil
	}
	db.closed = true
	db.mu.Unlock()
	if db.cancel != nil {
		db.cancel()
	}
	<-db.done
	db.pool.Close()
	return nil
}

// Ping reports whether the database answers. It is cheap enough for
// readiness probes; before OpenRetrying has connected it returns why not.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.usable(ctx); err != nil {
		return err
	}
	if err := db.pool.Ping(ctx); err != nil {
		return db.redact(fmt.Errorf("ping postgres: %w", err))
	}
	return nil
}

// usable returns ctx's error, or why the DB cannot be used yet.
func (db *DB) usable(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed {
		return errors.New("postgres store is closed")
	}
	return db.err
}

// Subscription returns the channel's subscription, or an error that is
// bot.ErrNotFound.
func (db *DB) Subscription(ctx context.Context, ch bot.ChannelRef) (bot.Subscription, error) {
	if err := checkChannel(ch); err != nil {
		return bot.Subscription{}, err
	}
	if err := db.usable(ctx); err != nil {
		return bot.Subscription{}, err
	}
	row := db.pool.QueryRow(ctx, `SELECT `+subColumns+` FROM subscriptions WHERE platform = $1 AND channel = $2`, ch.Platform, ch.Channel)
	s, err := scanSubscription(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, fmt.Errorf("subscription of %s: %w", ch, bot.ErrNotFound)
	}
	if err != nil {
		return s, db.redact(fmt.Errorf("subscription of %s: %w", ch, err))
	}
	return s, nil
}

const subColumns = `platform, channel, team, topics, by_user, since, paused, reason, updated, lang`

const upsertSubscription = `INSERT INTO subscriptions (` + subColumns + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
	ON CONFLICT (platform, channel) DO UPDATE SET team = EXCLUDED.team, topics = EXCLUDED.topics,
		by_user = EXCLUDED.by_user, since = EXCLUDED.since, paused = EXCLUDED.paused,
		reason = EXCLUDED.reason, updated = EXCLUDED.updated, lang = EXCLUDED.lang`

func subArgs(s bot.Subscription) []any {
	topics := s.Topics
	if topics == nil {
		topics = []string{}
	}
	return []any{s.Platform, s.Channel, s.Team, topics, s.By, s.Since, s.Paused, s.Reason, s.Updated, string(s.Lang)}
}

func scanSubscription(row pgx.Row) (bot.Subscription, error) {
	var s bot.Subscription
	var lang string
	err := row.Scan(&s.Platform, &s.Channel, &s.Team, &s.Topics, &s.By, &s.Since, &s.Paused, &s.Reason, &s.Updated, &lang)
	s.Lang = i18n.Lang(lang)
	if len(s.Topics) == 0 {
		s.Topics = nil
	}
	s.Since, s.Updated = s.Since.UTC(), s.Updated.UTC()
	return s, err
}

// PutSubscription creates or replaces the subscription of s.ChannelRef.
func (db *DB) PutSubscription(ctx context.Context, s bot.Subscription) error {
	if err := checkSubscription(s); err != nil {
		return err
	}
	if err := db.usable(ctx); err != nil {
		return err
	}
	if _, err := db.pool.Exec(ctx, upsertSubscription, subArgs(s)...); err != nil {
		return db.redact(fmt.Errorf("put subscription of %s: %w", s.ChannelRef, err))
	}
	return nil
}

// DeleteSubscription removes the channel's subscription, or returns an error
// that is bot.ErrNotFound. Its featured history and ledger entries stay.
func (db *DB) DeleteSubscription(ctx context.Context, ch bot.ChannelRef) error {
	if err := checkChannel(ch); err != nil {
		return err
	}
	if err := db.usable(ctx); err != nil {
		return err
	}
	tag, err := db.pool.Exec(ctx, `DELETE FROM subscriptions WHERE platform = $1 AND channel = $2`, ch.Platform, ch.Channel)
	if err != nil {
		return db.redact(fmt.Errorf("delete subscription of %s: %w", ch, err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("subscription of %s: %w", ch, bot.ErrNotFound)
	}
	return nil
}

// Subscriptions lists every subscription, ordered by platform then channel
// (bytewise).
func (db *DB) Subscriptions(ctx context.Context) ([]bot.Subscription, error) {
	if err := db.usable(ctx); err != nil {
		return nil, err
	}
	rows, err := db.pool.Query(ctx, `SELECT `+subColumns+` FROM subscriptions ORDER BY platform, channel`)
	if err != nil {
		return nil, db.redact(fmt.Errorf("list subscriptions: %w", err))
	}
	subs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (bot.Subscription, error) { return scanSubscription(r) })
	if err != nil {
		return nil, db.redact(fmt.Errorf("list subscriptions: %w", err))
	}
	return subs, nil
}

// Featured returns the talks featured for scope, oldest week first; none
// (and no error) for a scope never featured.
func (db *DB) Featured(ctx context.Context, scope string) ([]bot.Feature, error) {
	if err := checkText("scope", scope); err != nil {
		return nil, err
	}
	if err := db.usable(ctx); err != nil {
		return nil, err
	}
	rows, err := db.pool.Query(ctx, `SELECT week, talk FROM featured WHERE scope = $1 ORDER BY week`, scope)
	if err != nil {
		return nil, db.redact(fmt.Errorf("featured %q: %w", scope, err))
	}
	fs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (f bot.Feature, err error) {
		err = r.Scan(&f.Week, &f.TalkID)
		return f, err
	})
	if err != nil {
		return nil, db.redact(fmt.Errorf("featured %q: %w", scope, err))
	}
	return fs, nil
}

// Feature records talkID as scope's talk of week w unless one is already
// recorded, and returns the recorded id: talkID on the first call for
// (scope, w), the earlier id on every later one, from any replica. The
// insert is conditional (ON CONFLICT DO NOTHING); a caller that loses the
// race reads the winner's row in a later statement, which sees it
// committed.
func (db *DB) Feature(ctx context.Context, scope string, w bot.Week, talkID string) (string, error) {
	if talkID == "" {
		return "", errors.New("feature talk: empty talk id")
	}
	if err := checkWeek(w); err != nil {
		return "", err
	}
	if err := checkText("scope", scope); err != nil {
		return "", err
	}
	if err := checkText("talk id", talkID); err != nil {
		return "", err
	}
	if err := db.usable(ctx); err != nil {
		return "", err
	}
	var id string
	err := db.pool.QueryRow(ctx, `INSERT INTO featured (scope, week, talk) VALUES ($1, $2, $3)
		ON CONFLICT (scope, week) DO NOTHING RETURNING talk`, scope, int64(w), talkID).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		err = db.pool.QueryRow(ctx, `SELECT talk FROM featured WHERE scope = $1 AND week = $2`, scope, int64(w)).Scan(&id)
	}
	if err != nil {
		return "", db.redact(fmt.Errorf("feature %q week %s: %w", scope, w, err))
	}
	return id, nil
}

// Delivered returns the ledger entry for (w, ch), or an error that is
// bot.ErrNotFound.
func (db *DB) Delivered(ctx context.Context, w bot.Week, ch bot.ChannelRef) (bot.Delivery, error) {
	if err := checkWeek(w); err != nil {
		return bot.Delivery{}, err
	}
	if err := checkChannel(ch); err != nil {
		return bot.Delivery{}, err
	}
	if err := db.usable(ctx); err != nil {
		return bot.Delivery{}, err
	}
	row := db.pool.QueryRow(ctx, `SELECT `+ledgerColumns+` FROM ledger WHERE week = $1 AND platform = $2 AND channel = $3`,
		int64(w), ch.Platform, ch.Channel)
	d, err := scanDelivery(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, fmt.Errorf("delivery of week %s to %s: %w", w, ch, bot.ErrNotFound)
	}
	if err != nil {
		return d, db.redact(fmt.Errorf("delivery of week %s to %s: %w", w, ch, err))
	}
	return d, nil
}

const ledgerColumns = `week, platform, channel, team, talk, message, at, pending`

const upsertLedger = `INSERT INTO ledger (` + ledgerColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
	ON CONFLICT (week, platform, channel) DO UPDATE SET team = EXCLUDED.team, talk = EXCLUDED.talk,
		message = EXCLUDED.message, at = EXCLUDED.at, pending = EXCLUDED.pending`

func ledgerArgs(d bot.Delivery) []any {
	return []any{int64(d.Week), d.Channel.Platform, d.Channel.Channel, d.Channel.Team, d.TalkID, d.MessageID, d.At, d.Pending}
}

func scanDelivery(row pgx.Row) (bot.Delivery, error) {
	var d bot.Delivery
	err := row.Scan(&d.Week, &d.Channel.Platform, &d.Channel.Channel, &d.Channel.Team, &d.TalkID, &d.MessageID, &d.At, &d.Pending)
	d.At = d.At.UTC()
	return d, err
}

// MarkDelivered writes the ledger entry for (d.Week, d.Channel), replacing
// any earlier one. Concurrent calls (and claims) share one round trip
// (see groupCommit); each returns once its own entry is committed.
func (db *DB) MarkDelivered(ctx context.Context, d bot.Delivery) error {
	if err := checkDelivery(d); err != nil {
		return err
	}
	if err := db.usable(ctx); err != nil {
		return err
	}
	w := &ledgerWrite{d: d}
	db.ledger.write(db, w)
	if w.err != nil {
		return fmt.Errorf("mark delivery of week %s to %s: %w", d.Week, d.Channel, w.err)
	}
	return nil
}

// checkChannel refuses what the bbolt store refuses (no platform or channel,
// NUL in the platform) and what PostgreSQL text cannot hold.
func checkChannel(ch bot.ChannelRef) error {
	if ch.Platform == "" || ch.Channel == "" {
		return fmt.Errorf("channel %q: platform and channel are required", ch)
	}
	for _, f := range []struct{ name, v string }{{"platform", ch.Platform}, {"channel", ch.Channel}, {"team", ch.Team}} {
		if err := checkText(f.name, f.v); err != nil {
			return fmt.Errorf("channel %q: %w", ch, err)
		}
	}
	return nil
}

func checkSubscription(s bot.Subscription) error {
	if err := checkChannel(s.ChannelRef); err != nil {
		return err
	}
	for _, t := range append([]string{s.By, s.Reason, string(s.Lang)}, s.Topics...) {
		if err := checkText("subscription field", t); err != nil {
			return fmt.Errorf("subscription of %s: %w", s.ChannelRef, err)
		}
	}
	return nil
}

func checkDelivery(d bot.Delivery) error {
	if err := checkWeek(d.Week); err != nil {
		return err
	}
	if err := checkChannel(d.Channel); err != nil {
		return err
	}
	for _, t := range []string{d.TalkID, d.MessageID} {
		if err := checkText("delivery field", t); err != nil {
			return err
		}
	}
	return nil
}

// checkText refuses strings PostgreSQL's text type cannot store: NUL bytes
// and invalid UTF-8.
func checkText(what, s string) error {
	if strings.ContainsRune(s, 0) {
		return fmt.Errorf("%s contains NUL", what)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s is not valid UTF-8", what)
	}
	return nil
}

func checkWeek(w bot.Week) error {
	if w < 0 {
		return fmt.Errorf("week %d: before 1970-01-05", int64(w))
	}
	return nil
}

// redact removes the DSN's password from err's text, should a lower layer
// have quoted it. The result still wraps err for errors.Is and errors.As.
func (db *DB) redact(err error) error { return redact(err, db.password) }

func redact(err error, password string) error {
	if err == nil || password == "" || !strings.Contains(err.Error(), password) {
		return err
	}
	return &redacted{msg: strings.ReplaceAll(err.Error(), password, "xxxxx"), err: err}
}

type redacted struct {
	msg string
	err error
}

func (r *redacted) Error() string { return r.msg }
func (r *redacted) Unwrap() error { return r.err }

// String names the database without secrets: database, host, port, user.
func (db *DB) String() string { return describe(db.pool.Config()) }

// CheckDSN reports whether dsn parses as a PostgreSQL connection string,
// without connecting. Its error never quotes the DSN.
func CheckDSN(dsn string) error {
	if _, err := pgxpool.ParseConfig(dsn); err != nil {
		return errors.New("not a valid postgres:// URL or key=value connection string")
	}
	return nil
}
