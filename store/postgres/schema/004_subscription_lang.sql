-- 4: the digest's language of a subscription (bot.Subscription.Lang: "ko",
-- "en", or empty for the bot's default, as for subscriptions made before).
ALTER TABLE subscriptions ADD COLUMN lang text NOT NULL DEFAULT '';
