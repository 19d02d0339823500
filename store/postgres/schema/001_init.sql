-- 1: subscriptions, the featured history and the digest ledger.
-- Channels compare by bytes (COLLATE "C") so that lists come back in the
-- same order as from the bbolt store, whatever the database's locale.
CREATE TABLE subscriptions (
	platform text COLLATE "C" NOT NULL,
	channel  text COLLATE "C" NOT NULL,
	team     text NOT NULL DEFAULT '',
	topics   text[] NOT NULL DEFAULT '{}',
	by_user  text NOT NULL DEFAULT '',
	since    timestamptz NOT NULL,
	paused   boolean NOT NULL DEFAULT false,
	reason   text NOT NULL DEFAULT '',
	updated  timestamptz NOT NULL,
	PRIMARY KEY (platform, channel)
);

CREATE TABLE featured (
	scope text COLLATE "C" NOT NULL,
	week  bigint NOT NULL CHECK (week >= 0),
	talk  text NOT NULL CHECK (talk <> ''),
	PRIMARY KEY (scope, week)
);

CREATE TABLE ledger (
	week     bigint NOT NULL CHECK (week >= 0),
	platform text COLLATE "C" NOT NULL,
	channel  text COLLATE "C" NOT NULL,
	team     text NOT NULL DEFAULT '',
	talk     text NOT NULL,
	message  text NOT NULL DEFAULT '',
	at       timestamptz NOT NULL,
	pending  boolean NOT NULL DEFAULT false,
	PRIMARY KEY (week, platform, channel)
);
