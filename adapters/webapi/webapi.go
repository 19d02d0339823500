// Package webapi holds what the chat adapters share about calling a
// platform's web API: checking a configured or received URL, keeping the
// secrets some URLs carry out of logs, and the bot's own user id, asked for
// once. It imports no adapter and no SDK.
package webapi

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
)

// HTTPURL reports whether s is an absolute http or https URL with a host.
func HTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// secretAfter lists the path segments that a secret follows, one segment
// later: Discord's /interactions/{id}/{token}/callback and
// /webhooks/{app}/{token}/…, Slack's response_urls
// /commands/{team}/{id}/{secret} and /actions/{team}/{id}/{secret}, and
// incoming webhooks /services/{team}/{bot}/{secret}.
var secretAfter = map[string]bool{"interactions": true, "webhooks": true, "commands": true, "actions": true, "services": true}

// RedactURL returns u as scheme://host and its path up to, not including,
// the segment after the id that follows a secret-bearing segment (see
// secretAfter); query, fragment and user information are dropped. An
// unparsable u becomes "(unparsable URL)".
func RedactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable URL)"
	}
	segs := strings.Split(p.EscapedPath(), "/")
	for i, s := range segs {
		if secretAfter[s] && i+2 < len(segs) {
			segs = segs[:i+2]
			break
		}
	}
	return p.Scheme + "://" + p.Host + strings.Join(segs, "/")
}

// Redact returns err with the URL of the *url.Error it holds redacted (see
// RedactURL): net/http and the SDKs quote a failed request's URL whole, and
// a response_url or interaction URL lets anyone answer as the app. A
// *url.Error at the top is copied with its URL redacted; one deeper in the
// chain is redacted in the message, and errors.Is and errors.As still see
// the chain. Errors without a URL come back unchanged.
func Redact(err error) error {
	if ue, ok := err.(*url.Error); ok {
		c := *ue
		c.URL = RedactURL(ue.URL)
		return &c
	}
	ue, ok := errors.AsType[*url.Error](err)
	if !ok || ue.URL == "" {
		return err
	}
	return &redacted{msg: strings.ReplaceAll(err.Error(), ue.URL, RedactURL(ue.URL)), err: err}
}

type redacted struct {
	msg string
	err error
}

func (r *redacted) Error() string { return r.msg }
func (r *redacted) Unwrap() error { return r.err }

// Identity is the bot's own user id, learned once: from an event that
// carries it (Set) or from the platform's API the first time it is needed
// (Get). The zero value knows nothing yet. It is safe for concurrent use.
type Identity struct {
	mu sync.Mutex
	id string
}

// Set records id, when the platform tells it unasked.
func (i *Identity) Set(id string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.id = id
}

// Known returns the id, or "" before it is known. It never asks the API.
func (i *Identity) Known() string {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.id
}

// Get returns the id, calling ask the first time (one caller at a time). A
// failed or empty answer is returned as an error and asked again next
// time.
func (i *Identity) Get(ctx context.Context, ask func(context.Context) (string, error)) (string, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.id != "" {
		return i.id, nil
	}
	id, err := ask(ctx)
	if err != nil {
		return "", err
	}
	if id == "" {
		return "", errors.New("the platform did not say the bot's user id")
	}
	i.id = id
	return id, nil
}
