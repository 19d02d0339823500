package slack

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"testing"
)

// neededScopes are the bot scopes the adapter's calls need, each with the
// call or event that needs it. The manifest asks for these and no others.
var neededScopes = map[string]string{
	"commands":          "/talk, the message shortcut and views.open (which needs no other scope)",
	"chat:write":        "chat.postMessage, chat.postEphemeral, response_url",
	"chat:write.public": "the digest in public channels the bot was not invited to",
	"im:history":        "message.im events",
	"app_mentions:read": "app_mention events",
	"users:read":        "users.info (is the user a workspace admin?)",
	"channels:history":  "conversations.history (Find) in public channels",
	"groups:history":    "conversations.history (Find) in private channels",
	"channels:join":     "conversations.join at subscribe and before recovery (Find) in public channels",
}

// TestManifestScopes: manifest.yaml asks for what the code needs, and
// nothing else (no im:read or im:write: the bot never lists or opens DMs,
// it answers in the DM it was written in).
func TestManifestScopes(t *testing.T) {
	f, err := os.Open("manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch trimmed := strings.TrimSpace(line); {
		case trimmed == "bot:":
			in = true
		case in && strings.HasPrefix(trimmed, "- "):
			scope, _, _ := strings.Cut(strings.TrimPrefix(trimmed, "- "), "#")
			got = append(got, strings.TrimSpace(scope))
		case in:
			in = false
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for _, s := range got {
		if _, ok := neededScopes[s]; !ok {
			t.Errorf("manifest asks for %s, which no call needs", s)
		}
	}
	for s, why := range neededScopes {
		if !slices.Contains(got, s) {
			t.Errorf("manifest lacks %s, needed for %s", s, why)
		}
	}
}

// TestManifestShortcut: the manifest declares the message shortcut the
// adapter answers, by its callback_id, and the interactivity that carries
// it and the recap form's submissions.
func TestManifestShortcut(t *testing.T) {
	b, err := os.ReadFile("manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := string(b)
	for _, want := range []string{
		"  shortcuts:\n",
		"      type: message\n      callback_id: " + callbackSaveMessage + "\n",
		"  interactivity:\n",
		"    is_enabled: true\n",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("manifest.yaml lacks %q", want)
		}
	}
}
