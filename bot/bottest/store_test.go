package bottest_test

import (
	"testing"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/bottest"
	"github.com/talkbot/talkbot/store/storetest"
)

// TestStoreContract holds the fake to the contract the real stores keep, so
// tests of the core that use it see what production would.
func TestStoreContract(t *testing.T) {
	storetest.Run(t, func(*testing.T) bot.Store { return bottest.NewStore() })
}
