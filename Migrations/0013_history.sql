-- The host as it was (`ps -a --at`). A removed container's row is kept as it was at removal
-- (with its labels, mounts, ports and networks as JSON), so a past moment shows it too; and each
-- run records what `ps` then showed of it: the restart count, and whether its end began a
-- restart (and when a pending restart was given up).
CREATE TABLE removed_containers (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,            -- at removal; renames are events
    image_id          TEXT NOT NULL DEFAULT '',
    image_ref         TEXT NOT NULL,
    command           TEXT NOT NULL,
    created_at        INTEGER NOT NULL,
    removed_at        INTEGER NOT NULL,
    restart_policy    TEXT NOT NULL DEFAULT 'no',
    config_json       TEXT NOT NULL DEFAULT '{}',
    host_config_json  TEXT NOT NULL DEFAULT '{}',
    labels_json       TEXT NOT NULL DEFAULT '{}',  -- {"key": "value"}
    mounts_json       TEXT NOT NULL DEFAULT '[]',  -- [[type, source, destination, volume_name]]
    ports_json        TEXT NOT NULL DEFAULT '[]',  -- [[host_ip, host_port, container_port, protocol, published]]
    networks_json     TEXT NOT NULL DEFAULT '[]'   -- [[network_id, name]]
);
CREATE INDEX removed_containers_removed ON removed_containers(removed_at);

ALTER TABLE runs ADD COLUMN restart_count INTEGER;
ALTER TABLE runs ADD COLUMN restarting INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN restart_cancelled_at INTEGER;

-- Containers removed before this migration: what their create and destroy events tell.
INSERT OR IGNORE INTO removed_containers (id, name, image_ref, command, created_at, removed_at, labels_json)
SELECT d.actor_id, ltrim(coalesce(d.actor_name, ''), '/'),
       coalesce(json_extract(c.attributes, '$.image'), ''), '',
       coalesce(c.time_ns, d.time_ns), d.time_ns,
       coalesce((SELECT json_group_object(j.key, j.value) FROM json_each(c.attributes) j
                 WHERE j.key NOT IN ('image', 'name')), '{}')
FROM events d
LEFT JOIN events c ON c.type = 'container' AND c.action = 'create' AND c.actor_id = d.actor_id
WHERE d.type = 'container' AND d.action = 'destroy'
  AND d.actor_id NOT IN (SELECT id FROM containers);
