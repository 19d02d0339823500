package main

import (
	"fmt"
	"strings"

	"github.com/talkbot/talkbot/adapters/discord"
	"github.com/talkbot/talkbot/adapters/slack"
	"github.com/talkbot/talkbot/bot"
)

// platformConfigs holds the adapters' configurations that cfg enables; a
// nil one is not configured.
type platformConfigs struct {
	slack   *slack.Config
	discord *discord.Config
}

// checkPlatforms returns the configurations of the platforms cfg enables,
// or an error naming every missing or bad key of them all. It does no I/O,
// so serve can refuse a bad configuration before it touches any file.
func checkPlatforms(cfg Config) (platformConfigs, error) {
	pc, errs := platformConfigsOf(cfg)
	return pc, problems(errs)
}

// platformConfigsOf is checkPlatforms with the problems as a list.
func platformConfigsOf(cfg Config) (platformConfigs, []error) {
	var pc platformConfigs
	var errs []error
	if cfg.Slack.Enabled() {
		sc := slack.Config{
			BotToken:      cfg.Slack.BotToken,
			SigningSecret: cfg.Slack.SigningSecret,
			AppToken:      cfg.Slack.AppToken,
			APIURL:        cfg.Slack.APIURL,
			Admins:        cfg.Slack.Admins,
		}
		errs = append(errs, flatten(sc.Validate())...)
		pc.slack = &sc
	}
	if cfg.Discord.Enabled() {
		dc := discord.Config{
			BotToken:  cfg.Discord.BotToken,
			Gateway:   cfg.Discord.Gateway,
			PublicKey: cfg.Discord.PublicKey,
			AppID:     cfg.Discord.AppID,
			GuildID:   cfg.Discord.GuildID,
			APIURL:    cfg.Discord.APIURL,
		}
		errs = append(errs, flatten(dc.Validate())...)
		pc.discord = &dc
	}
	return pc, errs
}

// flatten lists the errors that err joins (errors.Join), or err itself.
func flatten(err error) []error {
	many, ok := err.(interface{ Unwrap() []error })
	if !ok {
		if err == nil {
			return nil
		}
		return []error{err}
	}
	var out []error
	for _, e := range many.Unwrap() {
		out = append(out, flatten(e)...)
	}
	return out
}

// problems returns nil, the one error, or an error listing all of errs,
// one a line; errors.Is and errors.As see each of them.
func problems(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	args := make([]any, len(errs))
	for i, err := range errs {
		args[i] = err
	}
	return fmt.Errorf("%d configuration problems:"+strings.Repeat("\n  %w", len(errs)), append([]any{len(errs)}, args...)...)
}

// build creates the configured adapters over b.
func (pc platformConfigs) build(b *bot.Bot) (map[string]platform, error) {
	out := map[string]platform{}
	if pc.slack != nil {
		a, err := slack.New(*pc.slack, b)
		if err != nil {
			return nil, fmt.Errorf("slack: %w", err)
		}
		out["slack"] = a
	}
	if pc.discord != nil {
		a, err := discord.New(*pc.discord, b)
		if err != nil {
			return nil, fmt.Errorf("discord: %w", err)
		}
		out["discord"] = a
	}
	return out, nil
}
