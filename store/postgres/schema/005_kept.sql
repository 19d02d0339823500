-- 5: bot.KeepStore, what a button or a chat form cannot carry itself (a
-- long query of "Next results", the text of a refused Discord form), kept
-- for every replica until its time ends.
CREATE TABLE kept (
	key   text PRIMARY KEY,
	value bytea NOT NULL,
	until timestamptz NOT NULL
);
CREATE INDEX kept_until ON kept (until);
