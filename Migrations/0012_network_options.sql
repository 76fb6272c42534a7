-- What `network create` was given beyond the subnet, kept so inspect shows it and allocation
-- and netavark honour it: Attachable, the IPAM config's ip_range (addresses are handed out
-- from it) and auxiliary addresses (never handed out). Driver options go in 0004's options_json.
ALTER TABLE networks ADD COLUMN attachable INTEGER NOT NULL DEFAULT 0;
ALTER TABLE networks ADD COLUMN ip_range TEXT;
ALTER TABLE networks ADD COLUMN aux_json TEXT;
