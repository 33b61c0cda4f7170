/**
 * 0010: mapping sets per practice. Shipped defaults live in code; a practice's changes are an
 * override (shared/mapping.ts MappingOverride). Drafts are saved continuously and are not live;
 * publishing creates an immutable version; the newest version is live; rollback publishes a copy
 * of an older version (history stays linear). Code-map misses are counted for the worklist.
 */
export const migration0010 = {
  version: 10,
  name: 'mapping',
  sql: /* sql */ `
CREATE TABLE mapping_versions (
  practice_id TEXT NOT NULL REFERENCES practices(id) ON DELETE CASCADE,
  set_key     TEXT NOT NULL,
  version     INTEGER NOT NULL,
  body        TEXT NOT NULL,       -- MappingOverride JSON
  author      TEXT NOT NULL,
  comment     TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  rolled_back_from INTEGER,        -- set when this version restores an older one
  PRIMARY KEY (practice_id, set_key, version)
) STRICT;

CREATE TABLE mapping_drafts (
  practice_id TEXT NOT NULL REFERENCES practices(id) ON DELETE CASCADE,
  set_key     TEXT NOT NULL,
  body        TEXT NOT NULL,
  based_on    INTEGER,             -- published version the draft started from (null = shipped default)
  updated_by  TEXT NOT NULL,
  updated_at  INTEGER NOT NULL,
  PRIMARY KEY (practice_id, set_key)
) STRICT;

CREATE TABLE code_misses (
  practice_id TEXT NOT NULL REFERENCES practices(id) ON DELETE CASCADE,
  set_key     TEXT NOT NULL,
  map_name    TEXT NOT NULL,
  value       TEXT NOT NULL,
  count       INTEGER NOT NULL,
  first_seen  INTEGER NOT NULL,
  last_seen   INTEGER NOT NULL,
  examples    TEXT NOT NULL,       -- JSON array of up to 20 transaction ids
  resolved_at INTEGER,
  PRIMARY KEY (practice_id, set_key, map_name, value)
) STRICT;
CREATE INDEX code_misses_open ON code_misses (practice_id, last_seen) WHERE resolved_at IS NULL;
`,
} as const
