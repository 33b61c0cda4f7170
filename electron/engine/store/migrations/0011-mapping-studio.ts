/**
 * 0011: the mapping studio. Samples are what the editor previews against: uploaded files and
 * built-in samples keep their text here (the database is encrypted); a sample taken from a stored
 * transaction keeps only the transaction id, so its payload is read (and masked) on demand and
 * never copied. code_miss_transactions lists every transaction a code-map miss affected, so the
 * worklist can reprocess all of them after the entry is added and a replayed transaction is never
 * counted twice (code_misses.examples keeps only the latest few for display).
 */
export const migration0011 = {
  version: 11,
  name: 'mapping-studio',
  sql: /* sql */ `
CREATE TABLE mapping_samples (
  id          INTEGER PRIMARY KEY,
  practice_id TEXT NOT NULL REFERENCES practices(id) ON DELETE CASCADE,
  name        TEXT NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('hl7','json','csv')),
  origin      TEXT NOT NULL,       -- file | builtin | transaction | a registered sample source
  origin_ref  TEXT,                -- id of the sample within its source
  tx_id       INTEGER,             -- transaction whose payload this sample reads (content is NULL)
  content     TEXT,
  sensitive   INTEGER NOT NULL,    -- 1 = real data: masked until revealed (and the reveal is audited)
  created_by  TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  CHECK ((tx_id IS NULL) <> (content IS NULL))
) STRICT;
CREATE INDEX mapping_samples_practice ON mapping_samples (practice_id, id);

CREATE TABLE code_miss_transactions (
  practice_id TEXT NOT NULL REFERENCES practices(id) ON DELETE CASCADE,
  set_key     TEXT NOT NULL,
  map_name    TEXT NOT NULL,
  value       TEXT NOT NULL,
  tx_id       INTEGER NOT NULL,
  seen_at     INTEGER NOT NULL,
  PRIMARY KEY (practice_id, set_key, map_name, value, tx_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX code_miss_transactions_tx ON code_miss_transactions (tx_id);
`,
} as const
