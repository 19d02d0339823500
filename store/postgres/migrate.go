package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// The schema is a short list of versioned SQL files embedded in the binary:
// schema/NNN_name.sql takes the database from version NNN-1 to NNN. Append
// files; never edit or renumber a released one.
//
// Why not a migration library: the list is short and only moves forward,
// PostgreSQL runs DDL inside transactions, and one transaction per start
// that takes an advisory lock, runs the missing files and bumps
// schema_version is all the machinery needed. A library (goose,
// golang-migrate, tern) would add a dependency, its own table and its own
// locking for no behaviour we use.
//
//go:embed schema/*.sql
var schemaFS embed.FS

// ErrSchemaTooNew is returned, wrapped, by Open for a database migrated by a
// newer talkbot whose schema this one does not know.
var ErrSchemaTooNew = errors.New("database schema is newer than this talkbot supports")

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded schema files in version order. Their
// numbers must run 1, 2, 3… without gaps.
func migrations() ([]migration, error) {
	names, err := fs.Glob(schemaFS, "schema/*.sql")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	var ms []migration
	for i, name := range names {
		base := path.Base(name)
		num, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil || v != i+1 {
			return nil, fmt.Errorf("schema file %s: want number %03d", base, i+1)
		}
		b, err := schemaFS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(b)})
	}
	return ms, nil
}

// currentVersion is the schema version this binary migrates to.
func currentVersion() int {
	ms, err := migrations()
	if err != nil {
		return 0
	}
	return len(ms)
}

// lockSQL takes the advisory lock that serialises migrations. Its key is
// derived from the schema the tables live in, so that talkbots sharing a database
// but not a schema do not wait for each other.
const lockSQL = `SELECT pg_advisory_xact_lock(hashtextextended('talkbot migrate ' || current_schema(), 0))`

// migrate brings the schema to the newest version in one transaction under
// a transaction-level advisory lock: of several replicas starting together,
// one migrates and the others, waiting on the lock, then find the work done.
// A failure rolls everything back, leaving the earlier version intact.
func migrate(ctx context.Context, conn interface {
	Begin(context.Context) (pgx.Tx, error)
}, ms []migration) (err error) {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("migrate schema: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if _, err := tx.Exec(ctx, lockSQL); err != nil {
		return fmt.Errorf("migrate schema: lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		one     boolean PRIMARY KEY DEFAULT true CHECK (one),
		version integer NOT NULL
	)`); err != nil {
		return fmt.Errorf("migrate schema: create schema_version: %w", err)
	}
	var v int
	err = tx.QueryRow(ctx, `SELECT version FROM schema_version`).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		v, err = 0, nil
	}
	if err != nil {
		return fmt.Errorf("migrate schema: read version: %w", err)
	}
	want := len(ms)
	if v > want {
		return fmt.Errorf("database has schema version %d, this talkbot knows up to %d; run a newer talkbot: %w", v, want, ErrSchemaTooNew)
	}
	for _, m := range ms[v:] {
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return fmt.Errorf("migrate schema %d to %d (%s): %w", m.version-1, m.version, m.name, err)
		}
	}
	if v < want {
		if _, err := tx.Exec(ctx, `INSERT INTO schema_version (version) VALUES ($1)
			ON CONFLICT (one) DO UPDATE SET version = EXCLUDED.version`, want); err != nil {
			return fmt.Errorf("migrate schema: write version: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("migrate schema: commit: %w", err)
	}
	return nil
}
