-- What a push needs to send what Docker sends.
-- The platform manifest an image was pulled with, byte for byte: pushed unchanged, the image
-- keeps its digest (digest pins and mirrors depend on it).
ALTER TABLE images ADD COLUMN manifest_json TEXT;
ALTER TABLE images ADD COLUMN manifest_media_type TEXT;
-- A layer made here (build, commit, import, load of a plain tar) is gzip-compressed at its
-- first push; its compressed digest and size are kept so the next push asks the registry
-- (HEAD) instead of compressing and uploading again (Docker's v2 metadata).
CREATE TABLE compressed_layers (
    diff_id     TEXT NOT NULL,
    media_type  TEXT NOT NULL,
    digest      TEXT NOT NULL,
    size        INTEGER NOT NULL,
    PRIMARY KEY (diff_id, media_type)
);
