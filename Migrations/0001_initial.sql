-- berth schema, version 1. Shipped migrations are never edited: add 0002_… instead.
-- Times are integers: nanoseconds since the Unix epoch (UTC).

-- Content store: every blob kept under blobs/sha256/<hex>, verified before it is recorded.
CREATE TABLE blobs (
    digest      TEXT PRIMARY KEY,              -- sha256:<hex>
    size        INTEGER NOT NULL,
    media_type  TEXT,
    created_at  INTEGER NOT NULL
);

-- Unpacked layers, one per chain id, under layers/<chain hex>/diff.
CREATE TABLE layers (
    chain_id         TEXT PRIMARY KEY,          -- sha256:<hex>
    diff_id          TEXT NOT NULL,             -- digest of the uncompressed tar
    parent_chain_id  TEXT REFERENCES layers(chain_id),
    blob_digest      TEXT REFERENCES blobs(digest),
    size             INTEGER NOT NULL,          -- bytes of unpacked content
    created_at       INTEGER NOT NULL
);
CREATE INDEX layers_parent ON layers(parent_chain_id);
CREATE INDEX layers_blob ON layers(blob_digest);

CREATE TABLE images (
    id              TEXT PRIMARY KEY,           -- config digest, sha256:<hex>
    config_json     TEXT NOT NULL,
    manifest_digest TEXT,
    top_chain_id    TEXT REFERENCES layers(chain_id),
    architecture    TEXT,
    os              TEXT,
    created         INTEGER,                    -- image creation time from its config
    added_at        INTEGER NOT NULL,           -- when berth stored it
    last_tag_time   INTEGER,
    size            INTEGER NOT NULL            -- sum of its layers' unpacked sizes
);
CREATE INDEX images_created ON images(created, added_at);

CREATE TABLE image_layers (
    image_id     TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    chain_id     TEXT NOT NULL REFERENCES layers(chain_id),
    blob_digest  TEXT NOT NULL REFERENCES blobs(digest),
    media_type   TEXT,
    PRIMARY KEY (image_id, position)
);
CREATE INDEX image_layers_chain ON image_layers(chain_id);
CREATE INDEX image_layers_blob ON image_layers(blob_digest);

-- Tags: full normalised name (docker.io/library/busybox:latest) -> image.
CREATE TABLE tags (
    name        TEXT PRIMARY KEY,
    repository  TEXT NOT NULL,
    tag         TEXT NOT NULL,
    image_id    TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL
);
CREATE INDEX tags_image ON tags(image_id);
CREATE INDEX tags_repository ON tags(repository);

-- Repo digests (repository@sha256:manifest) an image is known by.
CREATE TABLE image_digests (
    repository  TEXT NOT NULL,
    digest      TEXT NOT NULL,
    image_id    TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    PRIMARY KEY (repository, digest)
);
CREATE INDEX image_digests_image ON image_digests(image_id);

CREATE TABLE image_labels (
    image_id  TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    key       TEXT NOT NULL,
    value     TEXT NOT NULL,
    PRIMARY KEY (image_id, key)
);
CREATE INDEX image_labels_kv ON image_labels(key, value);

CREATE TABLE volumes (
    name        TEXT PRIMARY KEY,
    driver      TEXT NOT NULL DEFAULT 'local',
    mountpoint  TEXT NOT NULL,
    anonymous   INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);
CREATE TABLE volume_labels (
    volume_name  TEXT NOT NULL REFERENCES volumes(name) ON DELETE CASCADE,
    key          TEXT NOT NULL,
    value        TEXT NOT NULL,
    PRIMARY KEY (volume_name, key)
);

CREATE TABLE networks (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    driver      TEXT NOT NULL,
    bridge      TEXT,
    subnet      TEXT,
    gateway     TEXT,
    created_at  INTEGER NOT NULL
);

CREATE TABLE containers (
    id                 TEXT PRIMARY KEY,        -- 64 hex
    name               TEXT NOT NULL UNIQUE,    -- without the leading '/'
    image_id           TEXT NOT NULL REFERENCES images(id),
    image_ref          TEXT NOT NULL,           -- as the user typed it
    command            TEXT NOT NULL,           -- path + args, for ps
    state              TEXT NOT NULL CHECK (state IN
                         ('created','running','paused','restarting','removing','exited','dead')),
    pid                INTEGER,
    conmon_pid         INTEGER,
    conmon_start_time  INTEGER,                 -- /proc/<pid>/stat starttime, tells reused pids apart
    exit_code          INTEGER,
    oom_killed         INTEGER NOT NULL DEFAULT 0,
    error              TEXT,
    created_at         INTEGER NOT NULL,
    started_at         INTEGER,
    finished_at        INTEGER,
    has_run            INTEGER NOT NULL DEFAULT 0,
    restart_policy     TEXT NOT NULL DEFAULT 'no'
                         CHECK (restart_policy IN ('no','always','unless-stopped','on-failure')),
    restart_max        INTEGER NOT NULL DEFAULT 0,
    restart_count      INTEGER NOT NULL DEFAULT 0,
    restart_at         INTEGER,                 -- pending restart due time
    stopped_by_user    INTEGER NOT NULL DEFAULT 0,
    auto_remove        INTEGER NOT NULL DEFAULT 0,
    boot_id            TEXT,                    -- boot of its current/last run
    health_status      TEXT,
    size_rw            INTEGER,
    config_json        TEXT NOT NULL,           -- the full create request
    host_config_json   TEXT NOT NULL
);
CREATE INDEX containers_state ON containers(state, created_at);
CREATE INDEX containers_created ON containers(created_at);
CREATE INDEX containers_image ON containers(image_id);
CREATE INDEX containers_exit ON containers(exit_code, state);
CREATE INDEX containers_finished ON containers(finished_at);
CREATE INDEX containers_restart ON containers(restart_policy, state);
CREATE INDEX containers_health ON containers(health_status);

CREATE TABLE container_labels (
    container_id  TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
    key           TEXT NOT NULL,
    value         TEXT NOT NULL,
    PRIMARY KEY (container_id, key)
);
CREATE INDEX container_labels_kv ON container_labels(key, value);

CREATE TABLE port_mappings (
    container_id    TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
    host_ip         TEXT NOT NULL DEFAULT '',
    host_port       INTEGER,                    -- NULL: exposed only
    container_port  INTEGER NOT NULL,
    protocol        TEXT NOT NULL DEFAULT 'tcp' CHECK (protocol IN ('tcp','udp','sctp')),
    PRIMARY KEY (container_id, container_port, protocol, host_ip, host_port)
);
CREATE INDEX port_mappings_host ON port_mappings(host_port, protocol);
CREATE INDEX port_mappings_ctr ON port_mappings(container_port, protocol);

CREATE TABLE mounts (
    container_id  TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    type          TEXT NOT NULL CHECK (type IN ('bind','volume','tmpfs')),
    source        TEXT,
    destination   TEXT NOT NULL,
    volume_name   TEXT REFERENCES volumes(name),
    read_only     INTEGER NOT NULL DEFAULT 0,
    options       TEXT,
    PRIMARY KEY (container_id, position)
);
CREATE INDEX mounts_volume ON mounts(volume_name);
CREATE INDEX mounts_source ON mounts(source);

-- A container's place on a network, with the address berth allocated for it.
CREATE TABLE network_attachments (
    container_id  TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
    network_id    TEXT NOT NULL REFERENCES networks(id),
    ip            TEXT,
    mac           TEXT,
    aliases       TEXT,
    PRIMARY KEY (container_id, network_id)
);
CREATE UNIQUE INDEX network_attachments_ip ON network_attachments(network_id, ip);

-- One row per run of a container; outlives the container (no foreign key) — it is the history.
CREATE TABLE runs (
    id              INTEGER PRIMARY KEY,
    container_id    TEXT NOT NULL,
    container_name  TEXT NOT NULL,
    image           TEXT NOT NULL,
    started_at      INTEGER NOT NULL,
    finished_at     INTEGER,
    exit_code       INTEGER,
    oom_killed      INTEGER NOT NULL DEFAULT 0,
    end_reason      TEXT,                      -- user-stop, crash, oom, reboot, restart-policy …
    boot_id         TEXT
);
CREATE INDEX runs_container ON runs(container_id, started_at);
CREATE INDEX runs_name ON runs(container_name, started_at);
CREATE INDEX runs_started ON runs(started_at);

-- Append-only event history; never pruned with the objects it describes.
CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    time_ns     INTEGER NOT NULL,
    type        TEXT NOT NULL,                  -- container, image, volume, network, daemon
    action      TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    actor_name  TEXT,
    attributes  TEXT NOT NULL DEFAULT '{}'      -- JSON object of strings
);
CREATE INDEX events_time ON events(time_ns);
CREATE INDEX events_actor ON events(actor_id, time_ns);
CREATE INDEX events_actor_name ON events(actor_name, time_ns);
CREATE INDEX events_type_action ON events(type, action, time_ns);

-- Small daemon facts: boot id of the last start, settings that must survive restarts.
CREATE TABLE daemon_state (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
