-- 2: ids of platform events already answered (Slack's event_id), shared by
-- the replicas so that a retry sent to another replica is answered once.
CREATE TABLE seen_events (
	id text PRIMARY KEY,
	at timestamptz NOT NULL
);
CREATE INDEX seen_events_at ON seen_events (at);
