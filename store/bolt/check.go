package bolt

import (
	"fmt"
	"io"

	"github.com/talkbot/talkbot/bot"
)

// Check verifies the file and writes a report to w: one "problem: …" line per
// inconsistency found, then, if the pages are consistent, the counts
//
//	subscriptions: N (paused: M)
//	featured weeks: N
//	deliveries: N
//	recaps: N
//	schema: V
//
// Page-level problems come from bbolt's consistency check; values that do
// not decode are problems too. It returns an error if any problem was found.
//
// Check runs in a writable transaction that it rolls back, because bbolt's
// check is only safe beside other writers from a writable transaction; it
// therefore blocks writers while it runs and writes nothing. On a DB opened
// read-only no process can write, and Check runs in a read transaction.
func (db *DB) Check(w io.Writer) error {
	tx, err := db.bolt.Begin(!db.bolt.IsReadOnly())
	if err != nil {
		return fmt.Errorf("check store %s: %w", db.Path(), err)
	}
	defer tx.Rollback()

	var problems int
	report := func(err error) {
		problems++
		fmt.Fprintf(w, "problem: %v\n", err)
	}
	for err := range tx.Check() {
		report(err)
	}
	if problems > 0 {
		// Walking corrupt pages could panic; report what bbolt found and stop.
		return fmt.Errorf("check store %s: %d problems", db.Path(), problems)
	}

	var subs, paused, featured, deliveries int
	if b := tx.Bucket(bucketSubscriptions); b != nil {
		b.ForEach(func(k, v []byte) error {
			subs++
			var s bot.Subscription
			if err := decode(v, &s); err != nil {
				report(fmt.Errorf("subscription %q: %w", k, err))
			} else if s.Paused {
				paused++
			}
			return nil
		})
	} else {
		report(fmt.Errorf("bucket %s missing", bucketSubscriptions))
	}
	if b := tx.Bucket(bucketFeatured); b != nil {
		b.ForEachBucket(func(scope []byte) error {
			b.Bucket(scope).ForEach(func(k, v []byte) error {
				featured++
				var f bot.Feature
				if err := decode(v, &f); err != nil {
					report(fmt.Errorf("featured %q week %x: %w", scope, k, err))
				}
				return nil
			})
			return nil
		})
	} else {
		report(fmt.Errorf("bucket %s missing", bucketFeatured))
	}
	if b := tx.Bucket(bucketLedger); b != nil {
		b.ForEach(func(k, v []byte) error {
			deliveries++
			var d bot.Delivery
			if err := decode(v, &d); err != nil {
				report(fmt.Errorf("delivery %x: %w", k, err))
			}
			return nil
		})
	} else {
		report(fmt.Errorf("bucket %s missing", bucketLedger))
	}
	var contributed int
	if b := tx.Bucket(bucketRecaps); b != nil {
		b.ForEach(func(k, v []byte) error {
			contributed++
			var c bot.Contribution
			if err := decode(v, &c); err != nil {
				report(fmt.Errorf("recap %q: %w", k, err))
			}
			return nil
		})
	}
	version, err := schemaVersion(tx)
	if err != nil {
		report(err)
	}

	fmt.Fprintf(w, "subscriptions: %d (paused: %d)\nfeatured weeks: %d\ndeliveries: %d\nrecaps: %d\nschema: %d\n",
		subs, paused, featured, deliveries, contributed, version)
	if problems > 0 {
		return fmt.Errorf("check store %s: %d problems", db.Path(), problems)
	}
	return nil
}
