package bolt

import (
	"testing"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/store/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) bot.Store { return mustOpen(t) })
}
