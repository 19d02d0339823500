package slack

import (
	"context"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/talkbot/talkbot/adapters/webapi"
	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/i18n"
)

// How long a user's language is remembered: a locale, found with
// users.info, for a day; a failed lookup for a minute, so that a broken
// users.info costs one call a minute per user, not one per request.
const (
	langTTL     = 24 * time.Hour
	langFailTTL = time.Minute
	maxLangs    = 1 << 16
)

// langCache remembers each user's language, so that only a user's first
// request (a day) asks users.info.
type langCache struct {
	mu sync.Mutex
	m  map[string]langEntry
}

type langEntry struct {
	lang  i18n.Lang // "" when the user has no locale or the lookup failed
	until time.Time
}

func (c *langCache) get(user string, now time.Time) (i18n.Lang, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[user]
	if !ok || now.After(e.until) {
		return "", false
	}
	return e.lang, true
}

func (c *langCache) put(user string, l i18n.Lang, until time.Time, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]langEntry{}
	}
	if _, ok := c.m[user]; !ok && len(c.m) >= maxLangs {
		for u, e := range c.m {
			if now.After(e.until) {
				delete(c.m, u)
			}
		}
		if len(c.m) >= maxLangs {
			clear(c.m) // every entry live: start over rather than grow
		}
	}
	c.m[user] = langEntry{l, until}
}

// userInfo asks users.info about user (with include_locale, which
// slack-go sends by default) and remembers the user's language.
func (a *Adapter) userInfo(ctx context.Context, user string) (*slackapi.User, error) {
	u, err := a.api.GetUserInfoContext(ctx, user, slackapi.GetUserInfoOptionIncludeLocale(true))
	now := a.now()
	if err != nil {
		a.langs.put(user, "", now.Add(langFailTTL), now)
		return nil, err
	}
	var l i18n.Lang
	if u.Locale != "" {
		l = i18n.FromLocale(u.Locale)
	}
	a.langs.put(user, l, now.Add(langTTL), now)
	return u, nil
}

// userLang returns the language of user's Slack locale: from the cache,
// or else from users.info. "" (the Bot's default) when it is unknown.
func (a *Adapter) userLang(ctx context.Context, user string) i18n.Lang {
	if user == "" {
		return ""
	}
	if l, ok := a.langs.get(user, a.now()); ok {
		return l
	}
	if _, err := a.userInfo(ctx, user); err != nil {
		a.log.WarnContext(ctx, "users.info failed; answering in the default language", "user", user, "err", webapi.Redact(err))
	}
	l, _ := a.langs.get(user, a.now())
	return l
}

// noticeLang returns the language of a notice the adapter writes without
// having looked user up (restarting, busy, and failed, which may come
// before the lookup): the user's cached locale; else Korean when the
// Bot's language is "auto" and text (what the user wrote: the command's
// argument, the DM) is Hangul, as the core decides; else the Bot's
// default. It never calls users.info: these notices are written by a
// process that is stopping or overloaded.
func (a *Adapter) noticeLang(user, text string) i18n.Lang {
	l, _ := a.langs.get(user, a.now())
	return a.bot.LangOf(bot.Request{Lang: l, Command: bot.Command{Arg: text}})
}
