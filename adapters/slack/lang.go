package slack

import (
	"context"
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
)

// userInfo asks users.info about user (with include_locale, which
// slack-go sends by default) and remembers the user's language.
func (a *Adapter) userInfo(ctx context.Context, user string) (*slackapi.User, error) {
	u, err := a.api.GetUserInfoContext(ctx, user, slackapi.GetUserInfoOptionIncludeLocale(true))
	now := a.now()
	if err != nil {
		a.langs.Put(user, "", now.Add(langFailTTL), now)
		return nil, err
	}
	var l i18n.Lang
	if u.Locale != "" {
		l = i18n.FromLocale(u.Locale)
	}
	a.langs.Put(user, l, now.Add(langTTL), now)
	return u, nil
}

// userLang returns the language of user's Slack locale: from the cache,
// or else from users.info. "" (the Bot's default) when it is unknown.
func (a *Adapter) userLang(ctx context.Context, user string) i18n.Lang {
	if user == "" {
		return ""
	}
	if l, ok := a.langs.Get(user, a.now()); ok {
		return l
	}
	if _, err := a.userInfo(ctx, user); err != nil {
		a.log.WarnContext(ctx, "users.info failed; answering in the default language", "user", user, "err", webapi.Redact(err))
	}
	l, _ := a.langs.Get(user, a.now())
	return l
}

// noticeLang returns the language of a notice the adapter writes about
// r without having looked its user up (restarting, busy, and failed,
// which may come before the lookup): what bot.Bot.LangOf chooses for r,
// with the user's cached locale when r has none. It never calls
// users.info: these notices are written by a process that is stopping or
// overloaded.
func (a *Adapter) noticeLang(r bot.Request) i18n.Lang {
	if r.Lang == "" {
		r.Lang, _ = a.langs.Get(r.User, a.now())
	}
	return a.bot.LangOf(r)
}
