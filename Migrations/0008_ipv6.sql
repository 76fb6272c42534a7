-- IPv6 on user networks (`network create --ipv6`): the network's IPv6 subnet and gateway, and a
-- running container's IPv6 address (handed out at start and given back at stop, as `ip`).
ALTER TABLE networks ADD COLUMN subnet6 TEXT;
ALTER TABLE networks ADD COLUMN gateway6 TEXT;
ALTER TABLE network_attachments ADD COLUMN ip6 TEXT;
CREATE UNIQUE INDEX network_attachments_ip6 ON network_attachments(network_id, ip6);
