package bot

import "github.com/talkbot/talkbot/textlimit"

// clean makes user text safe to repeat on one line (textlimit.Line), cut
// to n characters.
func clean(s string, n int) string {
	return textlimit.Cut(textlimit.Line(s), n)
}
