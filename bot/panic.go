package bot

import (
	"context"
	"fmt"
)

// PanicObserver is an optional Observer capability: Panicked is called for
// each panic recovered while serving a request on platform.
type PanicObserver interface {
	Panicked(platform string)
}

// Recovered reports a panic that an adapter recovered while serving a
// request: it logs v with the goroutine's stack and tells the observer,
// if it is a PanicObserver. The adapter answers the user itself.
func (b *Bot) Recovered(ctx context.Context, platform string, v any, stack []byte) {
	b.log.ErrorContext(ctx, "panic serving a request", "platform", platform, "panic", fmt.Sprint(v), "stack", string(stack))
	if o, ok := b.observer.(PanicObserver); ok {
		o.Panicked(platform)
	}
}
