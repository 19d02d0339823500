// Package discord connects talkbot to Discord: the /talk application command
// with autocomplete, its buttons and direct messages, over the gateway (a bot
// token) or the HTTP interactions endpoint (the application's public key),
// and the digest's channel posts. discordgo is used behind the unexported
// session interface; every message the adapter sends suppresses mentions.
package discord

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/talkbot/talkbot/adapters/inflight"
	"github.com/talkbot/talkbot/adapters/userlang"
	"github.com/talkbot/talkbot/adapters/webapi"
	"github.com/talkbot/talkbot/bot"
)

// DefaultAPIURL is Discord's REST API base, used when Config.APIURL is empty.
const DefaultAPIURL = "https://discord.com/api/v10/"

// platform is the Request.Platform and ChannelRef.Platform of Discord.
const platform = "discord"

// Config configures the adapter. Discord is enabled when BotToken or
// PublicKey is set (see Enabled).
type Config struct {
	BotToken  string // gateway, command registration, posts
	Gateway   bool   // connect to the gateway when BotToken is set (the config default is true)
	PublicKey string // hex Ed25519 public key, for the HTTP interactions endpoint
	AppID     string
	GuildID   string // register commands in one guild instead of globally
	APIURL    string // override of https://discord.com/api/v10/ (tests, proxies)
}

// Enabled reports whether the config asks for Discord at all.
func (c Config) Enabled() bool { return c.BotToken != "" || c.PublicKey != "" }

// Validate reports every problem in c, each naming its key as written in
// the config file. A bot token needs an app id (to register commands); a
// public key alone serves the HTTP interactions endpoint and needs nothing
// else, since every interaction carries its application id.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !c.Enabled() {
		bad("discord.bot_token (env TALKBOT_DISCORD_BOT_TOKEN) or discord.public_key (env TALKBOT_DISCORD_PUBLIC_KEY) is required")
	}
	if c.PublicKey != "" {
		if _, err := parsePublicKey(c.PublicKey); err != nil {
			errs = append(errs, err)
		}
	}
	if strings.ContainsAny(strings.TrimPrefix(c.BotToken, "Bot "), " \t\r\n") {
		bad("discord.bot_token must not contain spaces (env TALKBOT_DISCORD_BOT_TOKEN)")
	}
	if c.BotToken != "" && c.AppID == "" {
		bad("discord.app_id is required to register commands")
	}
	if c.AppID != "" && !isSnowflake(c.AppID) {
		bad("discord.app_id must be a numeric application id")
	}
	if c.GuildID != "" {
		if c.BotToken == "" {
			bad("discord.guild_id needs discord.bot_token: commands are registered with the bot token")
		}
		if !isSnowflake(c.GuildID) {
			bad("discord.guild_id must be a numeric server id")
		}
	}
	if c.APIURL != "" && !webapi.HTTPURL(c.APIURL) {
		bad("discord.api_url must be an absolute http(s) URL")
	}
	return errors.Join(errs...)
}

// parsePublicKey decodes the hex Ed25519 public key of Config.PublicKey.
func parsePublicKey(s string) (ed25519.PublicKey, error) {
	k, err := hex.DecodeString(s)
	if err != nil || len(k) != ed25519.PublicKeySize {
		return nil, errors.New("discord.public_key must be 64 hex characters (env TALKBOT_DISCORD_PUBLIC_KEY)")
	}
	return ed25519.PublicKey(k), nil
}

func isSnowflake(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// session is the part of *discordgo.Session the adapter uses: the gateway
// connection with its event handlers, and command registration through
// RequestWithBucketID (with a context and without discordgo's rate-limit
// retry). Interaction responses and channel messages do not go through
// it but through Adapter.rest.
type session interface {
	RequestWithBucketID(method, urlStr string, data any, bucketID string, options ...discordgo.RequestOption) ([]byte, error)
	AddHandler(handler any) func()
	Open() error
	Close() error
}

// Adapter answers Discord interactions and DMs with a bot.Bot and posts the
// digest. It is safe for concurrent use. Run is called once: interaction
// work ends with it, and interactions that arrive after it returned are
// told that talkbot is restarting.
type Adapter struct {
	cfg   Config
	b     *bot.Bot
	log   *slog.Logger
	s     session
	http  *http.Client      // for interaction responses and channel messages, see rest
	api   string            // REST base URL
	token string            // Authorization header value; never logged
	pub   ed25519.PublicKey // nil without a public key
	now   func() time.Time
	self  webapi.Identity // the bot's user id

	// deferAfter is how long an answer may take before the interaction is
	// deferred (type 5 or 6) and the reply sent by editing @original.
	deferAfter time.Duration
	// backoff is the wait before retry n (1-based) of command
	// registration or the gateway connection.
	backoff func(n int) time.Duration

	ready atomic.Bool

	// work is the work that may outlive an HTTP request or a gateway
	// event (deferred answers, DMs); Run closes it, giving it grace
	// (drainGrace) to finish. chats bounds the DMs within it.
	work  *inflight.Group
	chats *inflight.Pool
	grace time.Duration

	// drafts keeps refused recap forms for their reopen button.
	drafts *drafts
	// langs remembers users' locales from their interactions, for DMs.
	langs userlang.Cache
}

const (
	// workTimeout bounds one interaction's work, well inside the 15
	// minutes an interaction token stays valid.
	workTimeout = time.Minute
	// drainGrace is how long Run, once its context ends, lets interaction
	// work in flight (a deferred answer) finish before cancelling it.
	drainGrace = 5 * time.Second
	// queuedChats is how many DMs may wait for a worker (one per CPU)
	// before more are turned away as busy.
	queuedChats = 64
)

var (
	_ bot.Sender = (*Adapter)(nil)
	_ bot.Finder = (*Adapter)(nil)
)

// New validates cfg and returns an adapter over a discordgo session whose
// REST calls go to cfg.APIURL (default DefaultAPIURL). It does not connect:
// Run does.
func New(cfg Config, b *bot.Bot) (*Adapter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s, err := newSession(cfg)
	if err != nil {
		return nil, err
	}
	return newAdapter(cfg, b, s)
}

// authorization returns the Authorization header value for the bot token.
func authorization(cfg Config) string {
	if cfg.BotToken == "" || strings.HasPrefix(cfg.BotToken, "Bot ") {
		return cfg.BotToken
	}
	return "Bot " + cfg.BotToken
}

// apiBase returns the REST base URL, ending in a slash.
func apiBase(cfg Config) string {
	base := cfg.APIURL
	if base == "" {
		base = DefaultAPIURL
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	return base
}

// userAgent is sent with the adapter's own REST calls, as Discord asks.
const userAgent = "DiscordBot (https://github.com/talkbot/talkbot, 1)"

func newSession(cfg Config) (*discordgo.Session, error) {
	s, err := discordgo.New(authorization(cfg))
	if err != nil {
		return nil, fmt.Errorf("create discord session: %w", err)
	}
	s.Client = &http.Client{
		Timeout:   20 * time.Second,
		Transport: &rebase{from: discordgo.EndpointAPI, to: apiBase(cfg), next: http.DefaultTransport},
	}
	// A 429 is returned, not slept on: discordgo's retry sleeps without a
	// context and without bound.
	s.ShouldRetryOnRateLimit = false
	s.Identify.Intents = discordgo.IntentsGuilds | discordgo.IntentsDirectMessages
	s.StateEnabled = false
	return s, nil
}

func newAdapter(cfg Config, b *bot.Bot, s session) (*Adapter, error) {
	a := &Adapter{
		cfg:        cfg,
		b:          b,
		log:        b.Logger().With("platform", platform),
		s:          s,
		http:       &http.Client{Timeout: 20 * time.Second},
		api:        apiBase(cfg),
		token:      authorization(cfg),
		now:        time.Now,
		deferAfter: 2 * time.Second,
		backoff:    func(n int) time.Duration { return min(time.Second<<(n-1), time.Minute) },
		grace:      drainGrace,
		drafts:     newDrafts(time.Now, b, b.Logger().With("platform", platform)),
	}
	a.work = inflight.New(inflight.Options{
		Timeout: workTimeout,
		Recovered: func(ctx context.Context, v any, stack []byte) {
			b.Recovered(ctx, platform, v, stack)
		},
	})
	a.chats = inflight.NewPool(a.work, runtime.GOMAXPROCS(0), queuedChats)
	if cfg.PublicKey != "" {
		k, err := parsePublicKey(cfg.PublicKey)
		if err != nil {
			return nil, err
		}
		a.pub = k
	}
	// Without a token there is nothing to connect: the HTTP endpoint
	// answers as soon as it is mounted.
	a.ready.Store(cfg.BotToken == "")
	return a, nil
}

// rebase sends requests for discordgo's built-in API base to another base
// URL: Discord's v10 API by default, or a proxy or test server. It leaves
// discordgo's package variables alone.
type rebase struct {
	from, to string
	next     http.RoundTripper
}

func (t *rebase) RoundTrip(r *http.Request) (*http.Response, error) {
	u := r.URL.String()
	if !strings.HasPrefix(u, t.from) {
		return t.next.RoundTrip(r)
	}
	nu, err := url.Parse(t.to + strings.TrimPrefix(u, t.from))
	if err != nil {
		return nil, fmt.Errorf("rebase discord API URL: %w", webapi.Redact(err))
	}
	r = r.Clone(r.Context())
	r.URL = nu
	r.Host = nu.Host
	return t.next.RoundTrip(r)
}

// Ready reports whether the adapter is answering: at once without a bot
// token; with one, once the commands are registered and, with the gateway,
// while the gateway session is up.
func (a *Adapter) Ready() bool { return a.ready.Load() }

// Run registers the commands (with a bot token), connects to the gateway
// (when Config.Gateway is set) and answers interactions and DMs until ctx
// is done; then it closes the gateway, refuses new interaction work, gives
// the work in flight five seconds to finish, cancels what remains, waits
// for it and returns nil. Gateway work starts from ctx (keeping its
// values, not its end). Without a bot token it only waits for ctx, while
// Handler serves. It returns an error when registration or the gateway
// connection fails. Run is called at most once.
func (a *Adapter) Run(ctx context.Context) error {
	defer a.work.Close(a.grace)
	if a.cfg.BotToken == "" {
		<-ctx.Done()
		return nil
	}
	if err := a.retry(ctx, "register commands", func() error { return a.register(ctx) }); err != nil {
		return err
	}
	if !a.cfg.Gateway {
		a.ready.Store(true)
		<-ctx.Done()
		a.ready.Store(false)
		return nil
	}
	for _, h := range []any{
		func(_ *discordgo.Session, e *discordgo.Ready) {
			if e.User != nil {
				a.self.Set(e.User.ID)
			}
			a.ready.Store(true)
			a.log.Info("discord gateway ready")
		},
		func(_ *discordgo.Session, _ *discordgo.Resumed) { a.ready.Store(true) },
		func(_ *discordgo.Session, _ *discordgo.Disconnect) { a.ready.Store(false) },
		func(_ *discordgo.Session, e *discordgo.InteractionCreate) { a.onInteraction(ctx, e) },
		func(_ *discordgo.Session, e *discordgo.MessageCreate) { a.onMessage(ctx, e) },
	} {
		defer a.s.AddHandler(h)()
	}
	if err := a.retry(ctx, "open gateway", a.s.Open); err != nil {
		return err
	}
	// Close even when ctx ended during Open: the connection may be up.
	// Without one, Close returns nil.
	<-ctx.Done()
	a.ready.Store(false)
	if err := a.s.Close(); err != nil {
		return fmt.Errorf("close discord gateway: %w", err)
	}
	return nil
}

// retry runs f until it succeeds or ctx ends, logging each failure and
// waiting a.backoff between tries: Discord being down at start must not
// stop the rest of talkbot. A 401 or 403 answer (a wrong token or app id)
// will not heal and is returned at once.
func (a *Adapter) retry(ctx context.Context, what string, f func() error) error {
	for n := 1; ; n++ {
		if ctx.Err() != nil {
			return nil
		}
		err := f()
		if err == nil || ctx.Err() != nil {
			return nil
		}
		var re *discordgo.RESTError
		if errors.As(err, &re) && re.Response != nil && (re.Response.StatusCode == http.StatusUnauthorized || re.Response.StatusCode == http.StatusForbidden) {
			return fmt.Errorf("discord %s: refused (check discord.bot_token and discord.app_id): %w", what, err)
		}
		wait := a.backoff(n)
		a.log.WarnContext(ctx, "discord "+what+" failed; retrying", "attempt", n, "in", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// callOpts are the request options of discordgo REST calls (command
// registration): bound to ctx, and a 429 is an error.
func callOpts(ctx context.Context) []discordgo.RequestOption {
	return []discordgo.RequestOption{discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false)}
}
