package webapi

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

func TestHTTPURL(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"https://slack.com/api/", true},
		{"http://127.0.0.1:8080/x", true},
		{"ftp://example.com/", false},
		{"https://", false},
		{"slack.com/api/", false},
		{"://bad", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := HTTPURL(tt.in); got != tt.want {
			t.Errorf("HTTPURL(%q): got %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://discord.com/api/v10/interactions/400/secret-token/callback", "https://discord.com/api/v10/interactions/400"},
		{"https://discord.com/api/v10/webhooks/100/secret-token/messages/@original", "https://discord.com/api/v10/webhooks/100"},
		{"https://discord.com/api/v10/webhooks/100/secret-token", "https://discord.com/api/v10/webhooks/100"},
		{"http://u:p@proxy.local:8080/discord/api/v10/interactions/1/secret-token/callback?x=1", "http://proxy.local:8080/discord/api/v10/interactions/1"},
		{"https://discord.com/api/v10/channels/c1/messages?limit=50", "https://discord.com/api/v10/channels/c1/messages"},
		{"https://discord.com/api/v10/webhooks/100", "https://discord.com/api/v10/webhooks/100"},
		{"https://hooks.slack.com/commands/T1/2/secret", "https://hooks.slack.com/commands/T1"},
		{"https://hooks.slack.com/actions/T1/2/secret", "https://hooks.slack.com/actions/T1"},
		{"https://hooks.slack.com/services/T1/B2/secret", "https://hooks.slack.com/services/T1"},
		{"://bad", "(unparsable URL)"},
	}
	for _, tt := range tests {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

var errGone = errors.New("gone")

func TestRedact(t *testing.T) {
	secret := "https://hooks.slack.com/commands/T1/2/SeCrEt"
	ue := &url.Error{Op: "Post", URL: secret, Err: errors.New("context deadline exceeded")}
	tests := []struct {
		name string
		err  error
	}{
		{"top", ue},
		{"wrapped", fmt.Errorf("respond: %w: %w", errGone, ue)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Redact(tt.err)
			if s := got.Error(); strings.Contains(s, "SeCrEt") || !strings.Contains(s, "hooks.slack.com/commands/T1") {
				t.Errorf("got %q, want the host and path kept and the secret gone", s)
			}
			if _, ok := errors.AsType[*url.Error](got); !ok {
				t.Errorf("got %v, want a *url.Error still in the chain", got)
			}
			if errors.Is(tt.err, errGone) != errors.Is(got, errGone) {
				t.Errorf("errors.Is(errGone) changed")
			}
		})
	}
	plain := errors.New("channel_not_found")
	if Redact(plain) != plain {
		t.Error("Redact changed an error without a URL")
	}
}

func TestIdentity(t *testing.T) {
	var id Identity
	if got := id.Known(); got != "" {
		t.Errorf("Known before anything: got %q, want empty", got)
	}
	calls := 0
	ask := func(answer string, err error) func(context.Context) (string, error) {
		return func(context.Context) (string, error) { calls++; return answer, err }
	}
	if _, err := id.Get(context.Background(), ask("", errGone)); !errors.Is(err, errGone) {
		t.Errorf("Get with a failing ask: got %v, want %v", err, errGone)
	}
	if _, err := id.Get(context.Background(), ask("", nil)); err == nil {
		t.Error("Get with an empty answer: got nil error, want one")
	}
	for range 2 {
		if got, err := id.Get(context.Background(), ask("UBOT", nil)); got != "UBOT" || err != nil {
			t.Errorf("Get: got %q, %v, want UBOT", got, err)
		}
	}
	if calls != 3 {
		t.Errorf("asks: got %d, want 3 (failures are asked again, an answer is kept)", calls)
	}
	id.Set("U2")
	if got := id.Known(); got != "U2" {
		t.Errorf("Known after Set: got %q, want U2", got)
	}
}
