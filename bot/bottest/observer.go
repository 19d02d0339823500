package bottest

import (
	"slices"
	"sync"
	"time"

	"github.com/talkbot/talkbot/bot"
)

// Observer is a bot.Observer that records refused requests as
// "platform: reason", and recovered panics by platform. It is safe for
// concurrent use.
type Observer struct {
	mu       sync.Mutex
	rejected []string
	panics   []string
}

var (
	_ bot.Observer      = (*Observer)(nil)
	_ bot.PanicObserver = (*Observer)(nil)
)

// Handled implements bot.Observer; answered requests are not recorded.
func (o *Observer) Handled(string, bot.Verb, bot.Outcome, time.Duration) {}

// Rejected implements bot.Observer.
func (o *Observer) Rejected(platform, reason string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.rejected = append(o.rejected, platform+": "+reason)
}

// Rejections returns the refusals recorded so far, oldest first.
func (o *Observer) Rejections() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.rejected)
}

// Panicked implements bot.PanicObserver.
func (o *Observer) Panicked(platform string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.panics = append(o.panics, platform)
}

// Panics returns the platforms of the panics recovered so far, oldest
// first.
func (o *Observer) Panics() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.panics)
}
