/**
 * 0240: document bodies stored by their SHA-256 (`bodies`), records referring to them by hash
 * (`record_bodies`), so a big body can be written and made durable on another thread before the
 * group commit that refers to it: a 5 MB body's INSERT and its share of that COMMIT were the last
 * long slice of the engine thread (issue #15, goal 3; hl7-engine/speed-log.md, speed8b).
 *
 * - `bodies.stored_at`: when the row was written; retention deletes a body no record refers to
 *   only once it is older than a grace period (one written for a group that has not committed yet
 *   is unreferenced for a moment; one whose group never commits is garbage).
 * - The foreign key from `record_bodies.sha256` makes "a record never refers to a body that is
 *   not stored" the database's rule, not only the code's; the index serves it and retention.
 * - Bodies of 0230's rows move here once (a body two records share is kept once).
 */
export const migration0240 = {
  version: 240,
  name: 'bodies-by-hash',
  sql: /* sql */ `
CREATE TABLE bodies (
  sha256     TEXT PRIMARY KEY,   -- hex, of body
  bytes      INTEGER NOT NULL,   -- length of body
  stored_at  INTEGER NOT NULL,   -- epoch ms
  body       BLOB NOT NULL       -- last: a scan of the other columns never reads its overflow pages
) STRICT;

INSERT OR IGNORE INTO bodies (sha256, bytes, stored_at, body) SELECT sha256, bytes, 0, body FROM record_bodies;

CREATE TABLE record_bodies_0240 (
  record_id  INTEGER PRIMARY KEY REFERENCES records(id) ON DELETE CASCADE,
  sha256     TEXT NOT NULL REFERENCES bodies(sha256),
  bytes      INTEGER NOT NULL
) STRICT;
INSERT INTO record_bodies_0240 (record_id, sha256, bytes) SELECT record_id, sha256, bytes FROM record_bodies;
DROP TABLE record_bodies;
ALTER TABLE record_bodies_0240 RENAME TO record_bodies;
CREATE INDEX record_bodies_sha256 ON record_bodies (sha256);
`,
}
