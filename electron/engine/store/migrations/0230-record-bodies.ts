/**
 * 0230: a document's body (its base64 content, megabytes for a scanned PDF) in a table of its own,
 * written once per version of the body: the `records` row stays small, so what rewrites it (a
 * patient merge moving children, a linked id, a later metadata change) does not rewrite the body,
 * and the change history holds the body's size and hash, not a second copy (issue #15, goal 3).
 * Rows written before it keep the body inline in `records.data`; the record store reads both and
 * moves an inline body here at the record's next write.
 */
export const migration0230 = {
  version: 230,
  name: 'record-bodies',
  sql: /* sql */ `
CREATE TABLE record_bodies (
  record_id  INTEGER PRIMARY KEY REFERENCES records(id) ON DELETE CASCADE,
  bytes      INTEGER NOT NULL,   -- length of body
  sha256     TEXT NOT NULL,      -- hex, of body
  body       BLOB NOT NULL       -- the field's text as UTF-8 (base64 for a document)
) STRICT;
`,
}
