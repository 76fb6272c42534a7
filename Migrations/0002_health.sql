-- Health check details for `inspect` (State.Health: Status, FailingStreak, Log of the last
-- probes), written by berthd after each probe; health_status keeps the indexed status.
ALTER TABLE containers ADD COLUMN health_json TEXT;
