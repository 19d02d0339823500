-- 3: recaps contributed from chat, by talk id; body is bot.Contribution as JSON.
CREATE TABLE recaps (
	id text PRIMARY KEY,
	body jsonb NOT NULL,
	updated timestamptz NOT NULL DEFAULT now()
);
