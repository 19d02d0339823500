// Package userlang remembers chat users' languages, for the adapters: a
// Slack user's locale from users.info, a Discord user's from their last
// interaction, so that a later request that carries none (a DM) is
// answered in it without asking the platform again.
package userlang

import (
	"sync"
	"time"

	"github.com/talkbot/talkbot/bot/i18n"
)

// Max bounds a Cache: when it is full of live entries it starts over,
// rather than grow.
const Max = 1 << 16

// Cache remembers each user's language until a time. The zero value is an
// empty cache; it is safe for concurrent use.
type Cache struct {
	mu sync.Mutex
	m  map[string]entry
}

type entry struct {
	lang  i18n.Lang // "" when the user has no known language
	until time.Time
}

// Get returns user's language and whether it is remembered at now.
func (c *Cache) Get(user string, now time.Time) (i18n.Lang, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[user]
	if !ok || now.After(e.until) {
		return "", false
	}
	return e.lang, true
}

// Put remembers l as user's language until until ("" remembers that it is
// unknown). When the cache holds Max users, the expired ones go first.
func (c *Cache) Put(user string, l i18n.Lang, until, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]entry{}
	}
	if _, ok := c.m[user]; !ok && len(c.m) >= Max {
		for u, e := range c.m {
			if now.After(e.until) {
				delete(c.m, u)
			}
		}
		if len(c.m) >= Max {
			clear(c.m) // every entry live: start over rather than grow
		}
	}
	c.m[user] = entry{l, until}
}
