-- One row per pull: what was asked, from where, what it resolved to, what it cost.
CREATE TABLE pulls (
    id             INTEGER PRIMARY KEY,
    reference      TEXT NOT NULL,           -- as normalised: docker.io/library/busybox:latest
    registry       TEXT NOT NULL,           -- the host asked: registry-1.docker.io, 127.0.0.1:5000
    digest         TEXT,                    -- the manifest (or index) digest the reference named
    image_id       TEXT,
    bytes_fetched  INTEGER NOT NULL DEFAULT 0,
    bytes_reused   INTEGER NOT NULL DEFAULT 0,  -- layers the store had already
    started_at     INTEGER NOT NULL,
    seconds        REAL NOT NULL,
    outcome        TEXT NOT NULL            -- downloaded, up-to-date, or failed: the message
);
CREATE INDEX pulls_started ON pulls(started_at);
