-- Images made by commit and build know the image they were made from (Docker's Parent):
-- `images` hides untagged images that are some image's parent, rmi removes untagged parents.
ALTER TABLE images ADD COLUMN parent_id TEXT;
CREATE INDEX images_parent ON images(parent_id);

-- The classic builder's cache: a step's result, found by the image it ran on and what it did
-- (the instruction after expansion, the build args it saw, the checksum of what it copied).
CREATE TABLE build_cache (
    parent_id   TEXT NOT NULL,              -- '' for FROM scratch
    key         TEXT NOT NULL,              -- sha256 of the step's description
    image_id    TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (parent_id, key)
);
CREATE INDEX build_cache_image ON build_cache(image_id);

-- One row per build: what was built from what, how long it took, what the cache did.
CREATE TABLE builds (
    id              TEXT PRIMARY KEY,
    image_id        TEXT,                   -- the result; NULL when the build failed
    tags            TEXT NOT NULL,          -- JSON array of names given with -t
    dockerfile      TEXT NOT NULL,          -- its path in the context
    context_digest  TEXT NOT NULL,          -- sha256 of the context as sent
    context_size    INTEGER NOT NULL,
    target          TEXT,
    steps           INTEGER NOT NULL,
    cache_hits      INTEGER NOT NULL,
    cache_misses    INTEGER NOT NULL,
    started_at      INTEGER NOT NULL,
    seconds         REAL NOT NULL,
    outcome         TEXT NOT NULL           -- built, or failed: the message
);
CREATE INDEX builds_started ON builds(started_at);
