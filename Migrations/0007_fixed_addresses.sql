-- `--ip` and `--mac-address`: what the user asked for, kept across runs. `ip`/`mac` stay what
-- the running run holds (NULL while stopped); a fixed address is handed to nobody else.
ALTER TABLE network_attachments ADD COLUMN requested_ip TEXT;
ALTER TABLE network_attachments ADD COLUMN requested_mac TEXT;
