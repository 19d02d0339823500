// Package slack connects the talkbot core to Slack: the /talk slash command,
// DMs and mentions (Events API), and buttons (interactivity), over HTTP with
// signed requests or over Socket Mode, rendering replies as Block Kit. It also
// posts the weekly digest (bot.Sender, bot.Finder). slack-go is hidden behind
// the unexported slackAPI interface.
package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/talkbot/talkbot/adapters/inflight"
	"github.com/talkbot/talkbot/adapters/userlang"
	"github.com/talkbot/talkbot/adapters/webapi"
	"github.com/talkbot/talkbot/bot"
)

// Platform is the platform name in bot.Request and bot.ChannelRef.
const Platform = "slack"

// Config configures the adapter. It carries secrets: never log it.
type Config struct {
	BotToken      string   // xoxb-…
	SigningSecret string   // verifies HTTP requests; not needed with AppToken
	AppToken      string   // xapp-…; when set, Run uses Socket Mode
	APIURL        string   // override of https://slack.com/api/ (tests, proxies); must end with "/"
	Admins        []string // user IDs that may manage subscriptions, beside workspace admins and owners
}

// Validate reports the first missing or malformed key, named as in the
// config file and the environment.
func (c Config) Validate() error {
	switch {
	case c.BotToken == "":
		return errors.New("slack.bot_token is required (env TALKBOT_SLACK_BOT_TOKEN)")
	case strings.HasPrefix(c.BotToken, "xapp-"):
		return errors.New("slack.bot_token holds an app-level token (xapp-…); it belongs in slack.app_token, and slack.bot_token takes the bot token (xoxb-…)")
	case c.AppToken == "" && c.SigningSecret == "":
		return errors.New("slack.signing_secret is required for the HTTP endpoints (env TALKBOT_SLACK_SIGNING_SECRET); set slack.app_token instead to use Socket Mode")
	case c.AppToken != "" && !strings.HasPrefix(c.AppToken, "xapp-"):
		return errors.New(`slack.app_token must be an app-level token starting with "xapp-" (env TALKBOT_SLACK_APP_TOKEN)`)
	}
	if c.APIURL != "" {
		if !webapi.HTTPURL(c.APIURL) || !strings.HasSuffix(c.APIURL, "/") {
			return fmt.Errorf("slack.api_url must be an http(s) URL ending in \"/\", like https://slack.com/api/; got %q", c.APIURL)
		}
	}
	for _, id := range c.Admins {
		if strings.TrimSpace(id) == "" {
			return errors.New("slack.admins has an empty user ID")
		}
	}
	return nil
}

// slackAPI lists the Web API calls the adapter makes. *slack.Client
// implements it; tests pass a client pointed at a fake API.
type slackAPI interface {
	PostMessageContext(ctx context.Context, channelID string, options ...slackapi.MsgOption) (string, string, error)
	GetConversationHistoryContext(ctx context.Context, params *slackapi.GetConversationHistoryParameters) (*slackapi.GetConversationHistoryResponse, error)
	JoinConversationContext(ctx context.Context, channelID string) (*slackapi.Channel, string, []string, error)
	GetUserInfoContext(ctx context.Context, user string, options ...slackapi.GetUserInfoOption) (*slackapi.User, error)
	AuthTestContext(ctx context.Context) (*slackapi.AuthTestResponse, error)
	OpenViewContext(ctx context.Context, triggerID string, view slackapi.ModalViewRequest) (*slackapi.ViewResponse, error)
	PostEphemeralContext(ctx context.Context, channelID, userID string, options ...slackapi.MsgOption) (string, error)
}

// Timing defaults.
const (
	// inlineBudget is how long a slash command may take to answer in the
	// HTTP response itself; Slack gives up after 3 s. Slower answers are
	// acknowledged and sent through the response_url.
	inlineBudget = 2 * time.Second
	// jobTimeout bounds each piece of background work.
	jobTimeout = time.Minute
	// drainTimeout is how long Run lets background work finish after its
	// context ends before cancelling it.
	drainTimeout = 5 * time.Second
	// queuedChats is how many DMs and mentions may wait for a worker
	// (one per CPU) before more are turned away as busy.
	queuedChats = 64
)

// Adapter serves Slack. Its methods are safe for concurrent use. Background
// work (answers sent after an acknowledgement) ends when Run returns.
type Adapter struct {
	cfg    Config
	bot    *bot.Bot
	api    slackAPI
	log    *slog.Logger
	admins map[string]bool
	now    func() time.Time

	socket *socketmode.Client // nil unless Socket Mode is configured
	ready  atomic.Bool
	budget time.Duration // how long a slash command's answer may take inline: inlineBudget
	seen   *seenSet      // event ids already answered
	saved  *seenSet      // view ids whose saved recap was sent to its author
	self   webapi.Identity

	// work is every piece of background work; Run closes it. chats
	// bounds the answers to DMs and mentions within it.
	work  *inflight.Group
	chats *inflight.Pool

	answers renderCache    // rendered private answers, by reply
	langs   userlang.Cache // users' languages, from users.info
}

var (
	_ bot.Sender = (*Adapter)(nil)
	_ bot.Finder = (*Adapter)(nil)
)

// New returns an adapter with a slack-go client for cfg, which must be
// valid. The client does not retry on its own: a post whose answer was lost
// may have gone out, so retrying it blindly could post twice. The digest
// retries instead, after checking with Find; 429s come back as
// *bot.RateLimitError for it to wait out.
func New(cfg Config, b *bot.Bot) (*Adapter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// The digest's workers post concurrently: keep their connections
	// (HTTP/1 keeps only two idle ones a host by default, and redials).
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256
	opts := []slackapi.Option{slackapi.OptionHTTPClient(&http.Client{Transport: tr})}
	if cfg.APIURL != "" {
		opts = append(opts, slackapi.OptionAPIURL(cfg.APIURL))
	}
	if cfg.AppToken != "" {
		opts = append(opts, slackapi.OptionAppLevelToken(cfg.AppToken))
	}
	client := slackapi.New(cfg.BotToken, opts...)
	a := newAdapter(cfg, b, client)
	if cfg.AppToken != "" {
		a.socket = socketmode.New(client)
		a.ready.Store(false)
	}
	return a, nil
}

// newAdapter returns an adapter over api, in HTTP mode.
func newAdapter(cfg Config, b *bot.Bot, api slackAPI) *Adapter {
	a := &Adapter{
		cfg:    cfg,
		bot:    b,
		api:    api,
		log:    b.Logger().With("platform", Platform),
		admins: map[string]bool{},
		now:    time.Now,
		budget: inlineBudget,
		seen:   newSeenSet(4096, time.Hour),
		saved:  newSeenSet(4096, time.Hour),
	}
	for _, id := range cfg.Admins {
		a.admins[strings.TrimSpace(id)] = true
	}
	a.work = inflight.New(inflight.Options{
		Timeout: jobTimeout,
		Recovered: func(ctx context.Context, v any, stack []byte) {
			b.Recovered(ctx, Platform, v, stack)
		},
	})
	a.chats = inflight.NewPool(a.work, runtime.GOMAXPROCS(0), queuedChats)
	a.ready.Store(true)
	return a
}

// Ready reports whether the adapter can take requests: always in HTTP mode,
// and while connected in Socket Mode.
func (a *Adapter) Ready() bool { return a.ready.Load() }

// Run serves Socket Mode when an app token is configured, and otherwise
// blocks until ctx is done (the HTTP endpoints are served by Handler). In
// both modes it returns after ctx ends and background work has finished or
// been cancelled. It returns nil on a clean shutdown and an error if Socket
// Mode fails for good.
func (a *Adapter) Run(ctx context.Context) error {
	defer a.work.Close(drainTimeout)
	if a.socket == nil {
		<-ctx.Done()
		return nil
	}
	return a.runSocket(ctx)
}

// selfID returns the bot's own user id, asking auth.test once it is needed.
// A failed lookup is retried on the next call.
func (a *Adapter) selfID(ctx context.Context) (string, error) {
	return a.self.Get(ctx, func(ctx context.Context) (string, error) {
		r, err := a.api.AuthTestContext(ctx)
		if err != nil {
			return "", fmt.Errorf("auth.test: %w", err)
		}
		return r.UserID, nil
	})
}

// canManage says whether user may run cmd's subscription changes. It asks
// users.info only for the verbs that need it.
func (a *Adapter) canManage(ctx context.Context, user string) bool {
	if a.admins[user] {
		return true
	}
	u, err := a.userInfo(ctx, user)
	if err != nil {
		a.log.WarnContext(ctx, "users.info failed; treating user as non-admin", "user", user, "err", webapi.Redact(err))
		return false
	}
	return u.IsAdmin || u.IsOwner || u.IsPrimaryOwner
}

// authorize sets req.CanManage when the core will check it, looking the
// user's role up only then, and req.Lang from the user's Slack locale
// (one users.info call, shared with the role's, then cached).
func (a *Adapter) authorize(ctx context.Context, req *bot.Request) {
	if req.Command.NeedsManage() {
		req.CanManage = a.canManage(ctx, req.User)
	}
	if req.Lang == "" {
		req.Lang = a.userLang(ctx, req.User)
	}
}
