module github.com/talkbot/talkbot

go 1.26
