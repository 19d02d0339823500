package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/talkbot/talkbot/bot"
)

// Keep stores value under key until until (bucket kept: the until, as
// 8 bytes of Unix nanoseconds, then the value), indexed by time in
// kept_by_time (until, then key), and forgets up to bot.KeepSweep values whose
// time ended before now.
func (db *DB) Keep(ctx context.Context, key string, value []byte, now, until time.Time) error {
	if err := bot.CheckKept(key, value); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		kept, byTime := tx.Bucket(bucketKept), tx.Bucket(bucketKeptByTime)
		if old := kept.Get([]byte(key)); len(old) >= 8 {
			if err := byTime.Delete(timeKey(old[:8], key)); err != nil {
				return err
			}
		}
		at := binary.BigEndian.AppendUint64(nil, uint64(until.UnixNano()))
		if err := kept.Put([]byte(key), append(at, value...)); err != nil {
			return err
		}
		if err := byTime.Put(timeKey(at, key), nil); err != nil {
			return err
		}
		end := binary.BigEndian.AppendUint64(nil, uint64(now.UnixNano()))
		c := byTime.Cursor()
		for range bot.KeepSweep {
			k, _ := c.First()
			if k == nil || bytes.Compare(k[:8], end) >= 0 {
				break
			}
			if err := kept.Delete(k[8:]); err != nil {
				return err
			}
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("keep %s: %w", key, err)
	}
	return nil
}

// Kept returns the value under key while now is before its until.
func (db *DB) Kept(ctx context.Context, key string, now time.Time) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var v []byte
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketKept)
		if b == nil { // a read-only open of a file from before schema 3
			return nil
		}
		if got := b.Get([]byte(key)); len(got) >= 8 && int64(binary.BigEndian.Uint64(got[:8])) > now.UnixNano() {
			v = bytes.Clone(got[8:])
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("kept %s: %w", key, err)
	}
	if v == nil {
		return nil, fmt.Errorf("kept %q: %w", key, bot.ErrNotFound)
	}
	return v, nil
}

// timeKey is a kept_by_time key: the until, then the key.
func timeKey(at []byte, key string) []byte {
	return append(bytes.Clone(at), key...)
}
