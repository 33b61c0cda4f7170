/**
 * 0142: the potential-duplicates worklist and reversible links/merges. A pair is stored once
 * (record_a < record_b) with its score, grade and reasons; an operator's decision is remembered,
 * so a pair marked "not a duplicate" is never proposed again. A merge keeps both records and
 * lists the external ids it moved, so unmerging puts them back. The records index on
 * (practice, kind, updated_at) lets the matcher's in-memory index catch up with changes cheaply.
 */
export const migration0142 = {
  version: 142,
  name: 'patient-matching',
  sql: /* sql */ `
CREATE TABLE duplicate_candidates (
  id          INTEGER PRIMARY KEY,
  practice_id TEXT NOT NULL,
  record_a    INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,
  record_b    INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,
  score       REAL NOT NULL,
  grade       TEXT NOT NULL CHECK (grade IN ('certain','probable','possible')),
  reasons     TEXT NOT NULL,
  trap        TEXT,
  origin      TEXT NOT NULL,          -- 'file', 'hl7', 'hl7-merge', 'athena', 'manual'
  tx_id       INTEGER,
  line        INTEGER,
  status      TEXT NOT NULL CHECK (status IN ('open','linked','merged','distinct','not_duplicate')),
  decided_by  TEXT,
  decided_at  INTEGER,
  created_at  INTEGER NOT NULL,
  CHECK (record_a < record_b),
  UNIQUE (practice_id, record_a, record_b)
) STRICT;
CREATE INDEX duplicate_candidates_open ON duplicate_candidates (practice_id, status, id);

CREATE TABLE record_merges (
  id          INTEGER PRIMARY KEY,
  practice_id TEXT NOT NULL,
  candidate_id INTEGER REFERENCES duplicate_candidates(id),
  kind        TEXT NOT NULL CHECK (kind IN ('link','merge')),
  survivor_id INTEGER NOT NULL,
  merged_id   INTEGER NOT NULL,
  moved_ids   TEXT NOT NULL DEFAULT '[]',  -- external ids moved from merged to survivor (JSON)
  by          TEXT NOT NULL,
  at          INTEGER NOT NULL,
  undone_by   TEXT,
  undone_at   INTEGER
) STRICT;
CREATE INDEX record_merges_merged ON record_merges (merged_id) WHERE undone_at IS NULL;

CREATE INDEX records_updated ON records (practice_id, kind, updated_at);
`,
} as const
