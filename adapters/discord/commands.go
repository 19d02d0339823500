package discord

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/talkbot/talkbot/adapters/webapi"
)

// Command names. /talk takes what Slack's /talk takes; the subscription
// commands exist so that Discord's default member permissions can hide them
// from members without Manage Channels. The core checks the permission
// again, so "/talk query:subscribe" is guarded just as well.
const (
	cmdTalk        = "talk"
	cmdSubscribe   = "talk-subscribe"
	cmdUnsubscribe = "talk-unsubscribe"

	optQuery  = "query"
	optTopics = "topics"
	optLang   = "lang"
)

// ko returns a Korean localization, for name_localizations and
// description_localizations.
func ko(s string) *map[discordgo.Locale]string {
	return &map[discordgo.Locale]string{discordgo.Korean: s}
}

// Commands returns the application commands the adapter registers, in the
// form Discord's bulk overwrite takes. The README's curl example registers
// the same set for HTTP-only deployments without a bot token.
func Commands() []*discordgo.ApplicationCommand {
	manage := int64(discordgo.PermissionManageChannels)
	everywhere := &[]discordgo.InteractionContextType{discordgo.InteractionContextGuild, discordgo.InteractionContextBotDM}
	guildOnly := &[]discordgo.InteractionContextType{discordgo.InteractionContextGuild}
	install := &[]discordgo.ApplicationIntegrationType{discordgo.ApplicationIntegrationGuildInstall}
	return []*discordgo.ApplicationCommand{
		{
			Type:                     discordgo.ChatApplicationCommand,
			Name:                     cmdTalk,
			NameLocalizations:        ko("발표"),
			Description:              "Search and share conference talk recaps (DEVIEW, WOOWACON, Daangn)",
			DescriptionLocalizations: &map[discordgo.Locale]string{discordgo.Korean: "컨퍼런스 발표 요약 검색과 공유 (DEVIEW, 우아콘, 당근)"},
			Contexts:                 everywhere,
			IntegrationTypes:         install,
			Options: []*discordgo.ApplicationCommandOption{{
				Type:                     discordgo.ApplicationCommandOptionString,
				Name:                     optQuery,
				NameLocalizations:        *ko("검색어"),
				Description:              "A topic, or: add (share a recap), edit <id>, speaker <name>, show <id>, random, week, help",
				DescriptionLocalizations: map[discordgo.Locale]string{discordgo.Korean: "주제, 또는 추가 (요약 공유), 수정 <id>, 발표자 <이름>, show <id>, 랜덤, 이번주, 도움말"},
				Required:                 true,
				Autocomplete:             true,
				MaxLength:                200,
			}},
		},
		{
			Type:                     discordgo.ChatApplicationCommand,
			Name:                     cmdSubscribe,
			NameLocalizations:        ko("발표-구독"),
			Description:              "Post the talk of the week in this channel",
			DescriptionLocalizations: ko("이번 주의 발표를 이 채널에 게시"),
			DefaultMemberPermissions: &manage,
			Contexts:                 guildOnly,
			IntegrationTypes:         install,
			Options: []*discordgo.ApplicationCommandOption{{
				Type:                     discordgo.ApplicationCommandOptionString,
				Name:                     optTopics,
				NameLocalizations:        *ko("주제"),
				Description:              "Only talks on these topics, separated by spaces (e.g. kafka redis)",
				DescriptionLocalizations: *ko("이 주제의 발표만, 공백으로 구분 (예: kafka redis)"),
				MaxLength:                200,
			}, {
				Type:                     discordgo.ApplicationCommandOptionString,
				Name:                     optLang,
				NameLocalizations:        *ko("언어"),
				Description:              "The digest's language (default: yours)",
				DescriptionLocalizations: *ko("다이제스트의 언어 (기본: 내 언어)"),
				Choices: []*discordgo.ApplicationCommandOptionChoice{
					{Name: "한국어", Value: "ko"},
					{Name: "English", Value: "en"},
				},
			}},
		},
		{
			Type:                     discordgo.ChatApplicationCommand,
			Name:                     cmdUnsubscribe,
			NameLocalizations:        ko("발표-구독취소"),
			Description:              "Stop posting the talk of the week in this channel",
			DescriptionLocalizations: ko("이 채널의 이번 주 발표 게시 중지"),
			DefaultMemberPermissions: &manage,
			Contexts:                 guildOnly,
			IntegrationTypes:         install,
		},
	}
}

// commandText turns an application command into core command text. It
// returns false for commands the adapter does not know.
func commandText(d discordgo.ApplicationCommandInteractionData) (string, bool) {
	str := func(name string) string {
		if o := d.GetOption(name); o != nil {
			return stringValue(o)
		}
		return ""
	}
	switch d.Name {
	case cmdTalk:
		return str(optQuery), true
	case cmdSubscribe:
		text := "subscribe " + str(optTopics)
		if l := str(optLang); l != "" {
			text += " --lang " + l
		}
		return strings.TrimSpace(text), true
	case cmdUnsubscribe:
		return "unsubscribe", true
	}
	return "", false
}

// stringValue returns a string option's value, and "" for an option of
// another type or one that came without a value (discordgo's StringValue
// panics on those).
func stringValue(o *discordgo.ApplicationCommandInteractionDataOption) string {
	if o.Type != discordgo.ApplicationCommandOptionString {
		return ""
	}
	s, _ := o.Value.(string)
	return s
}

// register bulk-overwrites the application's commands, in the guild when
// Config.GuildID is set, else globally. Overwriting is idempotent: the same
// set registered twice is one set.
func (a *Adapter) register(ctx context.Context) error {
	endpoint := discordgo.EndpointApplicationGlobalCommands(a.cfg.AppID)
	where := "globally"
	if a.cfg.GuildID != "" {
		endpoint = discordgo.EndpointApplicationGuildCommands(a.cfg.AppID, a.cfg.GuildID)
		where = "in guild " + a.cfg.GuildID
	}
	body, err := a.s.RequestWithBucketID("PUT", endpoint, Commands(), endpoint, callOpts(ctx)...)
	if err != nil {
		return fmt.Errorf("register discord commands %s: %w", where, webapi.Redact(err))
	}
	var got []*discordgo.ApplicationCommand
	if err := json.Unmarshal(body, &got); err != nil {
		return fmt.Errorf("register discord commands %s: decode answer: %w", where, err)
	}
	a.log.InfoContext(ctx, "discord commands registered", "where", where, "count", len(got))
	return nil
}
