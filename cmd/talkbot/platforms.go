package main

import (
	"errors"
	"fmt"

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
		if err := sc.Validate(); err != nil {
			errs = append(errs, err)
		}
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
		if err := dc.Validate(); err != nil {
			errs = append(errs, err)
		}
		pc.discord = &dc
	}
	if err := errors.Join(errs...); err != nil {
		return pc, fmt.Errorf("config: %w", err)
	}
	return pc, nil
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
