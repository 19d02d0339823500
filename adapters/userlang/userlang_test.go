package userlang

import (
	"strconv"
	"testing"
	"time"

	"github.com/talkbot/talkbot/bot/i18n"
)

func TestCache(t *testing.T) {
	var c Cache
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	if _, ok := c.Get("u1", now); ok {
		t.Error("an empty cache knows u1")
	}
	c.Put("u1", i18n.KO, now.Add(time.Hour), now)
	c.Put("u2", "", now.Add(time.Minute), now)
	if l, ok := c.Get("u1", now.Add(time.Hour)); !ok || l != i18n.KO {
		t.Errorf("u1 until its time: %q, %v; want ko", l, ok)
	}
	if l, ok := c.Get("u2", now); !ok || l != "" {
		t.Errorf("u2, remembered as unknown: %q, %v", l, ok)
	}
	if _, ok := c.Get("u1", now.Add(time.Hour+time.Nanosecond)); ok {
		t.Error("u1 after its time is still known")
	}
}

// A full cache drops its expired entries first, and starts over when all
// are live: it never holds more than Max.
func TestCacheBounded(t *testing.T) {
	var c Cache
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	for i := range Max {
		until := now.Add(time.Hour)
		if i%2 == 0 {
			until = now.Add(-time.Second) // expired
		}
		c.Put("u"+strconv.Itoa(i), i18n.EN, until, now)
	}
	c.Put("new", i18n.KO, now.Add(time.Hour), now)
	if n := len(c.m); n != Max/2+1 {
		t.Errorf("after a Put into a full cache: %d entries, want the %d live ones and the new one", n, Max/2+1)
	}
	for i := len(c.m); i < Max; i++ {
		c.Put("more"+strconv.Itoa(i), i18n.EN, now.Add(time.Hour), now)
	}
	c.Put("last", i18n.KO, now.Add(time.Hour), now)
	if n := len(c.m); n != 1 {
		t.Errorf("a Put into a cache full of live entries: %d entries, want 1 (started over)", n)
	}
	if l, ok := c.Get("last", now); !ok || l != i18n.KO {
		t.Errorf("last: %q, %v", l, ok)
	}
}
