package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/robfig/cron/v3"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/i18n"
	"github.com/talkbot/talkbot/store/postgres"
)

// Config is talkbot's configuration: defaults, then the TOML file, then
// TALKBOT_* environment variables, then Validate.
type Config struct {
	Bot     BotConfig     `toml:"bot"`
	Recaps  RecapsConfig  `toml:"recaps"`
	HTTP    HTTPConfig    `toml:"http"`
	Slack   SlackConfig   `toml:"slack"`
	Discord DiscordConfig `toml:"discord"`
	Store   StoreConfig   `toml:"store"`
	Digest  DigestConfig  `toml:"digest"`
	Log     LogConfig     `toml:"log"`
}

// BotConfig mirrors the [bot] section.
type BotConfig struct {
	// Language answers users whose language the platform does not tell:
	// "auto" (Hangul text is answered in Korean, other text in English),
	// "ko" or "en". A user's Discord or Slack locale always wins.
	Language string `toml:"language"`
}

// Lang returns the bot's configured language setting for bot.Options.
func (b BotConfig) Lang() i18n.Lang {
	if l, ok := i18n.Parse(b.Language); ok {
		return l
	}
	return i18n.Auto
}

// RecapsConfig selects an extra corpus directory.
type RecapsConfig struct {
	Dir string `toml:"dir"`
}

// HTTPConfig configures the HTTP server of talkbot serve.
type HTTPConfig struct {
	Addr            string   `toml:"addr"`
	ShutdownTimeout Duration `toml:"shutdown_timeout"`
}

// SlackConfig mirrors the [slack] section.
type SlackConfig struct {
	BotToken      string   `toml:"bot_token"`
	SigningSecret string   `toml:"signing_secret"`
	AppToken      string   `toml:"app_token"`
	APIURL        string   `toml:"api_url"`
	Admins        []string `toml:"admins"`
}

// Enabled reports whether any Slack key is set.
func (s SlackConfig) Enabled() bool {
	return s.BotToken != "" || s.SigningSecret != "" || s.AppToken != ""
}

// DiscordConfig mirrors the [discord] section.
type DiscordConfig struct {
	BotToken  string `toml:"bot_token"`
	Gateway   bool   `toml:"gateway"`
	PublicKey string `toml:"public_key"`
	AppID     string `toml:"app_id"`
	GuildID   string `toml:"guild_id"`
	APIURL    string `toml:"api_url"`
}

// Enabled reports whether Discord is configured.
func (d DiscordConfig) Enabled() bool { return d.BotToken != "" || d.PublicKey != "" }

// StoreConfig mirrors the [store] section.
type StoreConfig struct {
	Driver      string   `toml:"driver"` // "bolt" or "postgres"
	Path        string   `toml:"path"`
	LockTimeout Duration `toml:"lock_timeout"`
	DSN         string   `toml:"dsn"` // secret: never logged or quoted in errors

	retry bool // set by serve: a PostgreSQL store connects in the background
}

// DigestConfig mirrors the [digest] section.
type DigestConfig struct {
	Schedule string `toml:"schedule"`
	Timezone string `toml:"timezone"`
	Workers  int    `toml:"workers"`
}

// LogConfig mirrors the [log] section.
type LogConfig struct {
	Format string `toml:"format"` // "text" or "json"
	Level  string `toml:"level"`  // debug, info, warn, error
}

// Duration is a time.Duration written as "10s" in TOML.
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// UnmarshalString parses a Go duration from an environment variable.
func (d *Duration) UnmarshalString(s string) error { return d.UnmarshalText([]byte(s)) }

// MarshalText formats the duration.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// defaultConfig returns the configuration used when nothing is set.
func defaultConfig() Config {
	return Config{
		Bot:     BotConfig{Language: string(i18n.Auto)},
		HTTP:    HTTPConfig{Addr: "127.0.0.1:8080", ShutdownTimeout: Duration{15 * time.Second}},
		Discord: DiscordConfig{Gateway: true},
		Store:   StoreConfig{Driver: driverBolt, Path: "talkbot.db", LockTimeout: Duration{time.Second}},
		Digest:  DigestConfig{Schedule: "0 9 * * MON", Timezone: "Asia/Seoul", Workers: bot.DefaultWorkers},
		Log:     LogConfig{Format: "text", Level: "info"},
	}
}

// loadConfig reads the config file at path (when explicit, it must exist;
// otherwise config.toml is read if present), applies the environment and
// validates the result.
func loadConfig(path string, explicit bool, getenv func(string) string) (Config, error) {
	c := defaultConfig()
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		err := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields().Decode(&c)
		if missing, ok := errors.AsType[*toml.StrictMissingError](err); ok {
			return c, fmt.Errorf("config %s: unknown key %q", path, strings.Join(missing.Errors[0].Key(), "."))
		}
		if de, ok := errors.AsType[*toml.DecodeError](err); ok {
			row, _ := de.Position()
			if k := de.Key(); len(k) > 0 {
				return c, fmt.Errorf("config %s: line %d (key %q): %w", path, row, strings.Join(k, "."), err)
			}
			return c, fmt.Errorf("config %s: line %d: %w", path, row, err)
		}
		if err != nil {
			return c, fmt.Errorf("config %s: %w", path, err)
		}
	case explicit || !errors.Is(err, fs.ErrNotExist):
		return c, fmt.Errorf("read config: %w", err)
	}
	if err := c.applyEnv(getenv); err != nil {
		return c, err
	}
	return c, c.Validate()
}

// envVars lists every TALKBOT_* variable with the key it sets.
func (c *Config) envVars() []struct {
	name string
	key  string
	set  func(string) error
} {
	str := func(p *string) func(string) error { return func(v string) error { *p = v; return nil } }
	return []struct {
		name string
		key  string
		set  func(string) error
	}{
		{"TALKBOT_LANGUAGE", "bot.language", str(&c.Bot.Language)},
		{"TALKBOT_RECAPS_DIR", "recaps.dir", str(&c.Recaps.Dir)},
		{"TALKBOT_HTTP_ADDR", "http.addr", str(&c.HTTP.Addr)},
		{"TALKBOT_HTTP_SHUTDOWN_TIMEOUT", "http.shutdown_timeout", c.HTTP.ShutdownTimeout.UnmarshalString},
		{"TALKBOT_SLACK_BOT_TOKEN", "slack.bot_token", str(&c.Slack.BotToken)},
		{"TALKBOT_SLACK_SIGNING_SECRET", "slack.signing_secret", str(&c.Slack.SigningSecret)},
		{"TALKBOT_SLACK_APP_TOKEN", "slack.app_token", str(&c.Slack.AppToken)},
		{"TALKBOT_SLACK_API_URL", "slack.api_url", str(&c.Slack.APIURL)},
		{"TALKBOT_SLACK_ADMINS", "slack.admins", func(v string) error {
			c.Slack.Admins = strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' })
			return nil
		}},
		{"TALKBOT_DISCORD_BOT_TOKEN", "discord.bot_token", str(&c.Discord.BotToken)},
		{"TALKBOT_DISCORD_GATEWAY", "discord.gateway", func(v string) (err error) {
			c.Discord.Gateway, err = strconv.ParseBool(v)
			return err
		}},
		{"TALKBOT_DISCORD_PUBLIC_KEY", "discord.public_key", str(&c.Discord.PublicKey)},
		{"TALKBOT_DISCORD_APP_ID", "discord.app_id", str(&c.Discord.AppID)},
		{"TALKBOT_DISCORD_GUILD_ID", "discord.guild_id", str(&c.Discord.GuildID)},
		{"TALKBOT_DISCORD_API_URL", "discord.api_url", str(&c.Discord.APIURL)},
		{"TALKBOT_STORE_DRIVER", "store.driver", str(&c.Store.Driver)},
		{"TALKBOT_STORE_PATH", "store.path", str(&c.Store.Path)},
		{"TALKBOT_STORE_DSN", "store.dsn", str(&c.Store.DSN)},
		{"TALKBOT_STORE_LOCK_TIMEOUT", "store.lock_timeout", c.Store.LockTimeout.UnmarshalString},
		{"TALKBOT_DIGEST_SCHEDULE", "digest.schedule", str(&c.Digest.Schedule)},
		{"TALKBOT_DIGEST_TIMEZONE", "digest.timezone", str(&c.Digest.Timezone)},
		{"TALKBOT_DIGEST_WORKERS", "digest.workers", func(v string) (err error) {
			c.Digest.Workers, err = strconv.Atoi(v)
			return err
		}},
		{"TALKBOT_LOG_FORMAT", "log.format", str(&c.Log.Format)},
		{"TALKBOT_LOG_LEVEL", "log.level", str(&c.Log.Level)},
	}
}

func (c *Config) applyEnv(getenv func(string) string) error {
	for _, e := range c.envVars() {
		if v := getenv(e.name); v != "" {
			if err := e.set(v); err != nil {
				return fmt.Errorf("env %s (%s): %w", e.name, e.key, err)
			}
		}
	}
	return nil
}

// Validate checks the values that every subcommand relies on and names the
// bad key. Platform keys are checked by the adapters when serve starts them.
func (c *Config) Validate() error {
	switch c.Bot.Language {
	case string(i18n.Auto), string(i18n.KO), string(i18n.EN):
	default:
		return fmt.Errorf("bot.language must be \"auto\", \"ko\" or \"en\", not %q", c.Bot.Language)
	}
	if _, err := c.Location(); err != nil {
		return fmt.Errorf("digest.timezone: %w", err)
	}
	if _, err := c.Schedule(); err != nil {
		return fmt.Errorf("digest.schedule %q: %w", c.Digest.Schedule, err)
	}
	if c.Digest.Workers < 1 || c.Digest.Workers > 256 {
		return fmt.Errorf("digest.workers must be between 1 and 256, not %d", c.Digest.Workers)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		return fmt.Errorf("log.format must be \"text\" or \"json\", not %q", c.Log.Format)
	}
	if _, err := c.LogLevel(); err != nil {
		return err
	}
	for _, d := range []struct {
		key string
		val time.Duration
	}{{"http.shutdown_timeout", c.HTTP.ShutdownTimeout.Duration}, {"store.lock_timeout", c.Store.LockTimeout.Duration}} {
		if d.val <= 0 {
			return fmt.Errorf("%s must be a positive duration such as \"10s\", not %s", d.key, d.val)
		}
	}
	switch c.Store.Driver {
	case driverBolt:
		if c.Store.Path == "" {
			return errors.New("store.path must not be empty")
		}
	case driverPostgres:
		if c.Store.DSN == "" {
			return errors.New(`store.dsn must be set when store.driver is "postgres" (or set TALKBOT_STORE_DSN)`)
		}
		if err := postgres.CheckDSN(c.Store.DSN); err != nil {
			return fmt.Errorf("store.dsn: %w", err)
		}
	default:
		return fmt.Errorf("store.driver must be \"bolt\" or \"postgres\", not %q", c.Store.Driver)
	}
	if c.HTTP.Addr == "" {
		return errors.New("http.addr must not be empty")
	}
	return nil
}

// Location returns the digest's time zone.
func (c *Config) Location() (*time.Location, error) { return time.LoadLocation(c.Digest.Timezone) }

// Schedule parses the digest's cron spec (five fields, or a descriptor such
// as @weekly) in the digest's time zone.
func (c *Config) Schedule() (cron.Schedule, error) {
	loc, err := c.Location()
	if err != nil {
		return nil, err
	}
	spec := c.Digest.Schedule
	if !strings.HasPrefix(spec, "CRON_TZ=") && !strings.HasPrefix(spec, "TZ=") {
		spec = "CRON_TZ=" + loc.String() + " " + spec
	}
	return cron.ParseStandard(spec)
}

// LogLevel parses log.level.
func (c *Config) LogLevel() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.Log.Level)); err != nil {
		return l, fmt.Errorf("log.level must be debug, info, warn or error, not %q", c.Log.Level)
	}
	return l, nil
}
