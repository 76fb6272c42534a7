-- Networks as netavark needs them, and published ports as -p asked for them.
ALTER TABLE networks ADD COLUMN internal INTEGER NOT NULL DEFAULT 0;
ALTER TABLE networks ADD COLUMN dns_enabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE networks ADD COLUMN labels_json TEXT NOT NULL DEFAULT '{}';
ALTER TABLE networks ADD COLUMN options_json TEXT NOT NULL DEFAULT '{}';
-- A port_mappings row is published (-p/-P) or only exposed. A published row's host_port is the
-- port in use while the container runs; requested_host_port is what -p named (NULL: any free
-- port), requested_range_end the end of a host range to pick from (`-p 8080-8090:80`).
ALTER TABLE port_mappings ADD COLUMN published INTEGER NOT NULL DEFAULT 1;
ALTER TABLE port_mappings ADD COLUMN requested_host_port INTEGER;
ALTER TABLE port_mappings ADD COLUMN requested_range_end INTEGER;
CREATE INDEX network_attachments_network ON network_attachments(network_id);
-- What each run was reachable at: `bridge=10.89.0.2 app=10.90.0.3` and `0.0.0.0:8080->80/tcp`.
ALTER TABLE runs ADD COLUMN addresses TEXT;
ALTER TABLE runs ADD COLUMN ports TEXT;
