-- A new volume starts with what the image has at the path it is first mounted on (Docker's
-- copy-up). `populated` is set in the transaction after the copy is in place, so a crash
-- mid-copy leaves the volume to be copied again, never half-filled and marked done.
ALTER TABLE volumes ADD COLUMN populated INTEGER NOT NULL DEFAULT 0;
