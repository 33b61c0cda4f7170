/**
 * 0151: nightly appointment batches. A run per imported file (its transaction) or export, with a
 * row cursor so a restart resumes exactly where the last committed chunk ended; the report's rows
 * (every row that did something or was refused, by line); the last synced copy of each
 * appointment per source (the base of the three-way compare); the conflicts queue; held rows.
 */
export const migration0151 = {
  version: 151,
  name: 'appointment-batches',
  sql: /* sql */ `
CREATE TABLE appt_batch_runs (
  id          INTEGER PRIMARY KEY,
  practice_id TEXT NOT NULL,
  tx_id       INTEGER UNIQUE,               -- the imported file's transaction; NULL for exports
  direction   TEXT NOT NULL CHECK (direction IN ('import','export')),
  file_name   TEXT NOT NULL,
  format      TEXT NOT NULL CHECK (format IN ('csv','json')),
  trigger     TEXT NOT NULL,                -- 'on demand', 'schedule', 'file job', …
  status      TEXT NOT NULL CHECK (status IN ('running','done','failed')),
  total_rows  INTEGER NOT NULL DEFAULT 0,
  rows_done   INTEGER NOT NULL DEFAULT 0,   -- data rows committed (the resume cursor)
  counts      TEXT NOT NULL DEFAULT '{}',
  error       TEXT,
  started_at  INTEGER NOT NULL,
  finished_at INTEGER,
  started_by  TEXT NOT NULL
) STRICT;
CREATE INDEX appt_batch_runs_practice ON appt_batch_runs (practice_id, id);

CREATE TABLE appt_batch_rows (
  run_id         INTEGER NOT NULL,
  line           INTEGER NOT NULL,
  appointment_id TEXT,
  record_id      INTEGER,
  outcome        TEXT NOT NULL,
  rule           TEXT,
  message        TEXT NOT NULL,
  fields         TEXT NOT NULL DEFAULT '[]',
  PRIMARY KEY (run_id, line)
) STRICT;
CREATE INDEX appt_batch_rows_outcome ON appt_batch_rows (run_id, outcome, line);

-- The appointment as the source last sent it (what both sides agreed on): the base of the three-way compare.
CREATE TABLE appt_sync_base (
  practice_id TEXT NOT NULL,
  record_id   INTEGER NOT NULL,
  source      TEXT NOT NULL,
  snapshot    TEXT NOT NULL,
  run_id      INTEGER NOT NULL,
  PRIMARY KEY (practice_id, source, record_id)
) STRICT;

CREATE TABLE appt_conflicts (
  id             INTEGER PRIMARY KEY,
  practice_id    TEXT NOT NULL,
  run_id         INTEGER NOT NULL,
  line           INTEGER NOT NULL,
  record_id      INTEGER NOT NULL,
  appointment_id TEXT NOT NULL,
  rule           TEXT NOT NULL,
  fields         TEXT NOT NULL,               -- [{field, base, ours, theirs}]
  ours           TEXT NOT NULL,
  theirs         TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('open','resolved')),
  resolution     TEXT CHECK (resolution IN ('theirs','ours','edit')),
  resolved_by    TEXT,
  resolved_at    INTEGER,
  created_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX appt_conflicts_open ON appt_conflicts (practice_id, status, id);
CREATE INDEX appt_conflicts_record ON appt_conflicts (record_id) WHERE status = 'open';

CREATE TABLE appt_held (
  id             INTEGER PRIMARY KEY,
  practice_id    TEXT NOT NULL,
  run_id         INTEGER NOT NULL,
  line           INTEGER NOT NULL,
  appointment_id TEXT,
  reasons        TEXT NOT NULL,
  row            TEXT NOT NULL,               -- the file's row as read (column → text)
  status         TEXT NOT NULL CHECK (status IN ('held','released')),
  created_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX appt_held_open ON appt_held (practice_id, status, id);
`,
} as const
