-- Where each blob was seen on a registry (pulled from or pushed to a repository), so a push to
-- another repository of the same registry can mount it there instead of uploading it again
-- (the distribution API's cross-repository blob mount).
CREATE TABLE blob_sources (
    digest      TEXT NOT NULL,
    registry    TEXT NOT NULL,
    repository  TEXT NOT NULL,
    seen_at     INTEGER NOT NULL,
    PRIMARY KEY (digest, registry, repository)
);
