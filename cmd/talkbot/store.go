package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/store/bolt"
	"github.com/talkbot/talkbot/store/postgres"
)

// dataStore is what talkbot's commands need of a store beside bot.Store.
// Both drivers implement it.
type dataStore interface {
	bot.Store
	// PutSubscriptions writes many subscriptions in one transaction.
	PutSubscriptions(ctx context.Context, subs []bot.Subscription) error
	// Ping reports whether the store answers; /readyz shows its error.
	Ping(ctx context.Context) error
	Close() error
}

var (
	_ dataStore = (*bolt.DB)(nil)
	_ dataStore = (*postgres.DB)(nil)
)

// Store drivers: the public values of store.driver.
const (
	driverBolt     = "bolt"
	driverPostgres = "postgres"
)

// pgConnectTimeout bounds a one-shot command's wait for PostgreSQL.
const pgConnectTimeout = 10 * time.Second

// errNoStore is returned, wrapped, by openStore for a read-only command
// when there is no store file.
var errNoStore = errors.New("no store file")

// openStore opens the store c configures. A bbolt store fails at once when
// another process holds the file (bolt.ErrLocked); read-only, it neither
// creates nor migrates the file, and says so when there is none. A PostgreSQL store
// fails when the database cannot be reached, except when c.retry is set
// (serve): then it is returned anyway, connects in the background with
// backoff, and Ping says why it is not ready yet. Errors never quote
// store.dsn.
func openStore(ctx context.Context, c StoreConfig, log *slog.Logger, readOnly bool) (dataStore, error) {
	switch c.Driver {
	case driverPostgres:
		if c.retry {
			db, err := postgres.OpenRetrying(c.DSN, postgres.Options{Log: log})
			if err != nil {
				return nil, fmt.Errorf("store.dsn: %w", err)
			}
			return db, nil
		}
		ctx, cancel := context.WithTimeout(ctx, pgConnectTimeout)
		defer cancel()
		db, err := postgres.Open(ctx, c.DSN, postgres.Options{})
		if err != nil {
			return nil, fmt.Errorf("store.dsn: %w", err)
		}
		return db, nil
	default:
		if readOnly {
			if _, err := os.Stat(c.Path); errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("%w at %s (store.path): talkbot serve creates it; run this command where serve runs, or set store.path (env TALKBOT_STORE_PATH)", errNoStore, c.Path)
			}
		}
		db, err := bolt.Open(c.Path, bolt.Options{Timeout: c.LockTimeout.Duration, ReadOnly: readOnly})
		if err != nil {
			return nil, fmt.Errorf("store.path: %w", err)
		}
		return db, nil
	}
}

const storeUsage = `usage:
  talkbot store check [--config PATH]
      verify the configured store (store.driver) and print counts
  talkbot store migrate --from bolt:PATH --to postgres[:DSN] [--config PATH]
      copy a bbolt store into PostgreSQL (DSN default: store.dsn); safe to repeat`

func (e env) storeCmd(ctx context.Context, args []string, gconf string) error {
	if len(args) == 0 {
		return errors.New(storeUsage)
	}
	switch args[0] {
	case "check":
		return e.storeCheck(ctx, args[1:], gconf)
	case "migrate":
		return e.storeMigrate(ctx, args[1:], gconf)
	}
	return fmt.Errorf("unknown store command %q\n%s", args[0], storeUsage)
}

func (e env) storeCheck(ctx context.Context, args []string, gconf string) error {
	fs, conf := e.flags("store check", gconf)
	cfg, rest, err := e.setup(fs, conf, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("store check takes no arguments, not %q", strings.Join(rest, " "))
	}
	db, err := openStore(ctx, cfg.Store, nil, true)
	if err != nil {
		return err
	}
	defer db.Close()
	switch db := db.(type) {
	case *bolt.DB:
		fmt.Fprintf(e.stdout, "store: %s\n", db.Path())
		return db.Check(e.stdout)
	case *postgres.DB:
		fmt.Fprintf(e.stdout, "store: %s\n", db)
		return db.Check(ctx, e.stdout)
	}
	return fmt.Errorf("store check: unsupported store %T", db)
}

func (e env) storeMigrate(ctx context.Context, args []string, gconf string) error {
	fs, conf := e.flags("store migrate", gconf)
	from := fs.String("from", "", "source store: bolt:PATH")
	to := fs.String("to", "", "target store: postgres:DSN, or postgres for store.dsn")
	cfg, rest, err := e.setup(fs, conf, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("store migrate: unexpected argument %q\n%s", rest[0], storeUsage)
	}
	path, ok := strings.CutPrefix(*from, driverBolt+":")
	if !ok || path == "" {
		return fmt.Errorf("store migrate: --from must be bolt:PATH\n%s", storeUsage)
	}
	dsn, ok := strings.CutPrefix(*to, driverPostgres+":")
	if *to == driverPostgres {
		dsn, ok = cfg.Store.DSN, cfg.Store.DSN != ""
	}
	if !ok || dsn == "" {
		return fmt.Errorf("store migrate: --to must be postgres:DSN, or postgres with store.dsn set\n%s", storeUsage)
	}
	if err := postgres.CheckDSN(dsn); err != nil {
		return fmt.Errorf("store migrate: --to: %w", err)
	}

	src, err := openStore(ctx, StoreConfig{Driver: driverBolt, Path: path, LockTimeout: cfg.Store.LockTimeout}, nil, true)
	if err != nil {
		return err
	}
	defer src.Close()
	contents, err := src.(*bolt.DB).Contents(ctx)
	if err != nil {
		return err
	}
	dst, err := openStore(ctx, StoreConfig{Driver: driverPostgres, DSN: dsn}, nil, false)
	if err != nil {
		return err
	}
	defer dst.Close()
	pg := dst.(*postgres.DB)
	n, err := pg.Import(ctx, contents.Subscriptions, contents.Featured, contents.Deliveries, contents.Recaps...)
	if err != nil {
		return fmt.Errorf("store migrate: %w", err)
	}
	fmt.Fprintf(e.stdout, "copied bolt:%s to %s\n", path, pg)
	for _, c := range []struct {
		what string
		n    struct{ Copied, Kept int }
	}{{"subscriptions", n.Subscriptions}, {"featured weeks", n.Featured}, {"deliveries", n.Deliveries}, {"recaps", n.Recaps}} {
		fmt.Fprintf(e.stdout, "%s: %d copied, %d already there\n", c.what, c.n.Copied, c.n.Kept)
	}
	return nil
}

// pingStore is the store part of readiness.
func pingStore(db dataStore) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return db.Ping(ctx)
}
