package bolt

import (
	"encoding/binary"
	"errors"
	"fmt"

	"go.etcd.io/bbolt"
)

// A migration moves the file from schema version N to N+1 inside the
// transaction it is given. It must only add to what the file holds, so that
// a crash before the commit leaves version N intact.
type migration func(tx *bbolt.Tx) error

// migrations returns the migration path: element N takes a file from version
// N to N+1, so the current schema version is len(migrations()). Append to it;
// never edit or reorder a released migration.
func migrations() []migration {
	return []migration{
		createBuckets, // 0 → 1
		createRecaps,  // 1 → 2
		createKept,    // 2 → 3
	}
}

// createBuckets is migration 0 → 1: the four top-level buckets.
func createBuckets(tx *bbolt.Tx) error {
	for _, name := range [][]byte{bucketSubscriptions, bucketFeatured, bucketLedger, bucketMeta} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return nil
}

// createRecaps is migration 1 → 2: the bucket of contributed recaps.
func createRecaps(tx *bbolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists(bucketRecaps); err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketRecaps, err)
	}
	return nil
}

// createKept is migration 2 → 3: the buckets of bot.KeepStore.
func createKept(tx *bbolt.Tx) error {
	for _, name := range [][]byte{bucketKept, bucketKeptByTime} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return nil
}

// migrate runs ms from the file's version up to len(ms) in tx and records the
// new version. A fresh file is version 0. A version above len(ms) is an error
// that is ErrSchemaTooNew.
func migrate(tx *bbolt.Tx, ms []migration) error {
	v, err := schemaVersion(tx)
	if err != nil {
		return err
	}
	want := uint64(len(ms))
	if v > want {
		return fmt.Errorf("file has schema version %d, this talkbot knows up to %d; run a newer talkbot: %w", v, want, ErrSchemaTooNew)
	}
	if v == want {
		return nil
	}
	for ; v < want; v++ {
		if err := ms[v](tx); err != nil {
			return fmt.Errorf("migrate schema %d to %d: %w", v, v+1, err)
		}
	}
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return errors.New("migrate schema: no meta bucket after migrations")
	}
	return meta.Put(keySchema, binary.BigEndian.AppendUint64(nil, want))
}

// schemaVersion reads the version key from meta: 0 when there is no meta
// bucket or key yet, an error when the key is malformed.
func schemaVersion(tx *bbolt.Tx) (uint64, error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return 0, nil
	}
	b := meta.Get(keySchema)
	if b == nil {
		return 0, nil
	}
	if len(b) != 8 {
		return 0, fmt.Errorf("read schema version: %d bytes, want 8", len(b))
	}
	return binary.BigEndian.Uint64(b), nil
}

// current checks, for a file opened read-only, that it is at the schema
// version of ms: an older one would need the migration that only a
// writable Open runs.
func current(tx *bbolt.Tx, ms []migration) error {
	v, err := schemaVersion(tx)
	if err != nil {
		return err
	}
	switch want := uint64(len(ms)); {
	case v > want:
		return fmt.Errorf("file has schema version %d, this talkbot knows up to %d; run a newer talkbot: %w", v, want, ErrSchemaTooNew)
	case v < want:
		return fmt.Errorf("file has schema version %d and needs migrating to %d, which a read-only command does not do; run talkbot serve once", v, want)
	}
	return nil
}
