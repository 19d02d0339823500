package main

import (
	"fmt"

	"github.com/talkbot/talkbot/adapters/discord"
	"github.com/talkbot/talkbot/adapters/slack"
	"github.com/talkbot/talkbot/bot"
)

// platforms builds the adapters the configuration enables. A platform with
// some keys set but a required one missing fails, naming the key.
func platforms(cfg Config, b *bot.Bot) (map[string]platform, error) {
	out := map[string]platform{}
	if cfg.Slack.Enabled() {
		sc := slack.Config{
			BotToken:      cfg.Slack.BotToken,
			SigningSecret: cfg.Slack.SigningSecret,
			AppToken:      cfg.Slack.AppToken,
			APIURL:        cfg.Slack.APIURL,
			Admins:        cfg.Slack.Admins,
		}
		if err := sc.Validate(); err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		a, err := slack.New(sc, b)
		if err != nil {
			return nil, fmt.Errorf("slack: %w", err)
		}
		out["slack"] = a
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
			return nil, fmt.Errorf("config: %w", err)
		}
		a, err := discord.New(dc, b)
		if err != nil {
			return nil, fmt.Errorf("discord: %w", err)
		}
		out["discord"] = a
	}
	return out, nil
}
