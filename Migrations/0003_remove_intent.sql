-- A forced removal is recorded before its containers are killed: 1 = remove, 2 = remove with
-- anonymous volumes. If berthd dies between the kill and the removal, recovery finishes it.
ALTER TABLE containers ADD COLUMN remove_pending INTEGER NOT NULL DEFAULT 0;
