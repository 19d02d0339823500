module github.com/talkbot/talkbot/bench/i18n

go 1.26.0

replace github.com/talkbot/talkbot => ../..

require (
	github.com/nicksnyder/go-i18n/v2 v2.7.0
	github.com/talkbot/talkbot v0.0.0-00010101000000-000000000000
	golang.org/x/text v0.44.0
)

require github.com/pelletier/go-toml/v2 v2.4.3 // indirect
