package slack

import (
	"context"
	"encoding/json"
	"fmt"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/talkbot/talkbot/adapters/webapi"
)

// runSocket serves Socket Mode until ctx ends. Slack authenticates the
// connection itself, so requests arrive without signatures; they go to the
// same handlers as the HTTP endpoints.
func (a *Adapter) runSocket(ctx context.Context) error {
	a.ready.Store(false)
	defer a.ready.Store(false)
	errc := make(chan error, 1)
	go func() { errc <- a.socket.RunContext(ctx) }()
	for {
		select {
		case <-ctx.Done():
			<-errc // RunContext returns once ctx has ended
			return nil
		case err := <-errc:
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("slack socket mode: %w", err)
		case evt := <-a.socket.Events:
			a.socketEvent(ctx, evt)
		}
	}
}

// socketEvent dispatches one Socket Mode event without blocking the loop.
func (a *Adapter) socketEvent(ctx context.Context, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		a.ready.Store(false)
	case socketmode.EventTypeConnected:
		a.ready.Store(true)
		a.log.InfoContext(ctx, "socket mode connected")
	case socketmode.EventTypeConnectionError:
		a.ready.Store(false)
		if e, ok := evt.Data.(*slackapi.ConnectionErrorEvent); ok {
			a.log.WarnContext(ctx, "socket mode connection failed; retrying", "attempt", e.Attempt, "backoff", e.Backoff, "err", e.ErrorObj)
		}
	case socketmode.EventTypeInvalidAuth:
		a.ready.Store(false)
		a.log.ErrorContext(ctx, "socket mode: Slack refused the app token (slack.app_token)")
	case socketmode.EventTypeErrorBadMessage:
		a.bot.Reject(ctx, Platform, "malformed socket mode message")
	case socketmode.EventTypeSlashCommand:
		sc, ok := evt.Data.(slackapi.SlashCommand)
		if !ok || evt.Request == nil {
			return
		}
		req := *evt.Request
		err := a.work.Go(ctx, func(ctx context.Context) {
			a.ack(ctx, req, a.slash(ctx, sc), sc.ResponseURL)
		}, func(ctx context.Context) {
			m := a.slashNotice(sc, "failed")
			a.ack(ctx, req, &m, sc.ResponseURL)
		})
		if err != nil {
			m := a.slashNotice(sc, "restarting")
			a.ack(ctx, req, &m, sc.ResponseURL)
		}
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slackapi.InteractionCallback)
		if !ok || evt.Request == nil {
			return
		}
		req := *evt.Request
		if cb.Type == slackapi.InteractionTypeViewSubmission {
			// The acknowledgement carries the answer (field errors), so
			// it waits for Submit, off the event loop.
			err := a.work.Go(ctx, func(ctx context.Context) {
				a.ackView(ctx, req, a.submitView(ctx, cb))
			}, func(ctx context.Context) { a.ack(ctx, req, nil, "") })
			if err != nil {
				a.ackView(ctx, req, a.formRestarting(cb.User.ID, draftFrom(cb.View.State)))
			}
			return
		}
		a.ack(ctx, req, nil, "")
		a.interaction(ctx, cb)
	case socketmode.EventTypeEventsAPI:
		if evt.Request == nil {
			return
		}
		a.ack(ctx, *evt.Request, nil, "")
		var env eventEnvelope
		if err := json.Unmarshal(evt.Request.Payload, &env); err != nil {
			a.bot.Reject(ctx, Platform, "malformed event")
			return
		}
		a.event(ctx, env, evt.Request.RetryAttempt, evt.Request.RetryReason)
	}
}

// ack acknowledges a Socket Mode request, with m as the response payload
// when there is one. Slack drops acknowledgements of 20 KB or more, so a
// larger m is sent through the response_url instead.
func (a *Adapter) ack(ctx context.Context, req socketmode.Request, m *message, responseURL string) {
	if m != nil {
		err := a.socket.AckCtx(ctx, req.EnvelopeID, m)
		if err == nil {
			return
		}
		a.log.DebugContext(ctx, "socket mode ack with payload failed; answering through response_url", "err", err)
	}
	if err := a.socket.AckCtx(ctx, req.EnvelopeID, nil); err != nil {
		a.log.WarnContext(ctx, "socket mode ack", "err", err)
		return
	}
	if m != nil {
		if err := a.respond(ctx, responseURL, *m); err != nil {
			a.log.ErrorContext(ctx, "answer slash command through response_url", "err", webapi.Redact(err))
		}
	}
}

// ackView acknowledges a Socket Mode view_submission with resp as its
// payload; nil closes the modal.
func (a *Adapter) ackView(ctx context.Context, req socketmode.Request, resp *slackapi.ViewSubmissionResponse) {
	var payload any // a nil *ViewSubmissionResponse would be sent as "null"
	if resp != nil {
		payload = resp
	}
	if err := a.socket.AckCtx(ctx, req.EnvelopeID, payload); err != nil {
		a.log.WarnContext(ctx, "socket mode ack of a view submission", "err", err)
	}
}
