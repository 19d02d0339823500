package bot

import "github.com/talkbot/talkbot/recaps"

// Contribution is a recap shared from chat, as the Store keeps it.
type Contribution struct {
	Talk recaps.Talk `json:"talk"`
	// Conference is the conference the recap created, when its form named
	// none of the known ones; nil otherwise.
	Conference *recaps.Conference `json:"conference,omitempty"`
	// Key identifies the form submission that saved the recap, so that a
	// retried submission is not saved twice.
	Key string `json:"key,omitempty"`
}
