package slack

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"

	slackapi "github.com/slack-go/slack"
)

// maxBody is the largest request body the endpoints read.
const maxBody = 1 << 20

// Handler returns the HTTP endpoints, by full path: POST /slack/commands
// (slash commands), POST /slack/events (Events API) and POST
// /slack/interactions (buttons, the message shortcut and modal
// submissions, the latter answered in the response body). Mount it at "/slack/". Every request is
// verified with the signing secret over the raw body before anything else
// reads it: a missing or bad signature, or a timestamp more than five
// minutes off, is answered 401; a body over 1 MiB 413; a malformed body 400;
// a method other than POST 405. Each refusal is reported with bot.Reject.
func (a *Adapter) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/slack/commands", a.verified(a.serveCommand))
	mux.Handle("/slack/events", a.verified(a.serveEvents))
	mux.Handle("/slack/interactions", a.verified(a.serveInteractions))
	return mux
}

// verified wraps an endpoint with the method check, the body limit and the
// signature check; h gets the verified raw body.
func (a *Adapter) verified(h func(w http.ResponseWriter, r *http.Request, body []byte)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			a.refuse(w, r, http.StatusMethodNotAllowed, "method not allowed")
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				a.refuse(w, r, http.StatusRequestEntityTooLarge, "body too large")
				return
			}
			a.refuse(w, r, http.StatusBadRequest, "unreadable body")
			return
		}
		sv, err := slackapi.NewSecretsVerifier(r.Header, a.cfg.SigningSecret)
		if err != nil {
			reason := "bad signature headers"
			switch {
			case errors.Is(err, slackapi.ErrMissingHeaders):
				reason = "missing signature"
			case errors.Is(err, slackapi.ErrInvalidSignature):
				reason = "bad signature"
			case errors.Is(err, slackapi.ErrExpiredTimestamp):
				reason = "stale timestamp"
			case errors.Is(err, slackapi.ErrInvalidConfiguration):
				reason = "no signing secret configured"
			}
			a.refuse(w, r, http.StatusUnauthorized, reason)
			return
		}
		if _, err := sv.Write(body); err != nil {
			a.refuse(w, r, http.StatusUnauthorized, "bad signature")
			return
		}
		if err := sv.Ensure(); err != nil {
			a.refuse(w, r, http.StatusUnauthorized, "bad signature")
			return
		}
		h(w, r, body)
	})
}

// refuse answers a refused request with a bare status and reports it.
func (a *Adapter) refuse(w http.ResponseWriter, r *http.Request, code int, reason string) {
	a.bot.Reject(r.Context(), Platform, reason)
	http.Error(w, http.StatusText(code), code)
}

func (a *Adapter) serveCommand(w http.ResponseWriter, r *http.Request, body []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		a.refuse(w, r, http.StatusBadRequest, "malformed form")
		return
	}
	if form.Get("ssl_check") == "1" {
		w.WriteHeader(http.StatusOK)
		return
	}
	sc := slashCommand(form)
	if sc.UserID == "" || sc.ChannelID == "" || sc.ResponseURL == "" {
		a.refuse(w, r, http.StatusBadRequest, "slash command without user, channel or response_url")
		return
	}
	m := a.slash(r.Context(), sc)
	if m == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	writeJSON(w, m)
}

// slashCommand reads the fields of a slash command form.
func slashCommand(f url.Values) slackapi.SlashCommand {
	return slackapi.SlashCommand{
		TeamID:      f.Get("team_id"),
		ChannelID:   f.Get("channel_id"),
		UserID:      f.Get("user_id"),
		Command:     f.Get("command"),
		Text:        f.Get("text"),
		ResponseURL: f.Get("response_url"),
		TriggerID:   f.Get("trigger_id"),
		APIAppID:    f.Get("api_app_id"),
	}
}

func (a *Adapter) serveEvents(w http.ResponseWriter, r *http.Request, body []byte) {
	var env eventEnvelope
	if err := json.Unmarshal(body, &env); err != nil || env.Type == "" {
		a.refuse(w, r, http.StatusBadRequest, "malformed event")
		return
	}
	if env.Type == "url_verification" {
		writeJSON(w, map[string]string{"challenge": env.Challenge})
		return
	}
	retry, _ := strconv.Atoi(r.Header.Get("X-Slack-Retry-Num"))
	a.event(r.Context(), env, retry, r.Header.Get("X-Slack-Retry-Reason"))
	w.WriteHeader(http.StatusOK)
}

func (a *Adapter) serveInteractions(w http.ResponseWriter, r *http.Request, body []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		a.refuse(w, r, http.StatusBadRequest, "malformed form")
		return
	}
	var cb slackapi.InteractionCallback
	if err := json.Unmarshal([]byte(form.Get("payload")), &cb); err != nil || cb.Type == "" {
		a.refuse(w, r, http.StatusBadRequest, "malformed interaction payload")
		return
	}
	if cb.Type == slackapi.InteractionTypeViewSubmission {
		if resp := a.submitView(r.Context(), cb); resp != nil {
			writeJSON(w, resp)
			return
		}
		w.WriteHeader(http.StatusOK)
		return
	}
	a.interaction(r.Context(), cb)
	w.WriteHeader(http.StatusOK)
}

// writeJSON writes v as a JSON response. The encoding cannot fail for the
// adapter's own types.
func writeJSON(w http.ResponseWriter, v any) {
	body, err := encodeJSON(v)
	if err != nil {
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}
