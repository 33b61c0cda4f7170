/**
 * 0140: file jobs (inbound pickup, outbound drop) on file locations (connections of kind sftp,
 * ftps, folder), their runs, the files each run took (one transaction per file), and the row
 * ledger that makes a file's rows apply exactly once across crashes: a row's effects and its
 * ledger entry commit together, and a restarted file skips the lines already in the ledger.
 */
export const migration0140 = {
  version: 140,
  name: 'file-jobs',
  sql: /* sql */ `
CREATE TABLE file_jobs (
  id            TEXT PRIMARY KEY,
  practice_id   TEXT NOT NULL REFERENCES practices(id) ON DELETE CASCADE,
  connection_id TEXT NOT NULL,
  name          TEXT NOT NULL,
  direction     TEXT NOT NULL CHECK (direction IN ('inbound','outbound')),
  kind          TEXT NOT NULL,
  enabled       INTEGER NOT NULL DEFAULT 1,
  config        TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  UNIQUE (practice_id, name)
) STRICT;
CREATE INDEX file_jobs_connection ON file_jobs (connection_id);

-- One row per run; 'running' rows left by a crash are closed as 'interrupted' at start.
CREATE TABLE file_job_runs (
  id          INTEGER PRIMARY KEY,
  job_id      TEXT NOT NULL REFERENCES file_jobs(id) ON DELETE CASCADE,
  practice_id TEXT NOT NULL,
  trigger     TEXT NOT NULL CHECK (trigger IN ('schedule','manual','resume')),
  actor       TEXT NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('running','ok','partial','error','interrupted')),
  started_at  INTEGER NOT NULL,
  finished_at INTEGER,
  summary     TEXT NOT NULL DEFAULT '{}',
  error_code  TEXT,
  error_message TEXT
) STRICT;
CREATE INDEX file_job_runs_job ON file_job_runs (job_id, id);
CREATE UNIQUE INDEX file_job_runs_one_running ON file_job_runs (job_id) WHERE status = 'running';

-- Each file a job took or refused: where it was, where it went, its hash and its transaction.
CREATE TABLE file_pickups (
  id           INTEGER PRIMARY KEY,
  job_id       TEXT NOT NULL REFERENCES file_jobs(id) ON DELETE CASCADE,
  practice_id  TEXT NOT NULL,
  run_id       INTEGER,
  tx_id        INTEGER,
  direction    TEXT NOT NULL CHECK (direction IN ('inbound','outbound')),
  name         TEXT NOT NULL,
  size         INTEGER,
  sha256       TEXT,
  claimed_path TEXT,
  final_path   TEXT,
  status       TEXT NOT NULL CHECK (status IN ('claimed','received','processed','duplicate','error','refused','dropped')),
  detail       TEXT,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX file_pickups_job ON file_pickups (job_id, id);
CREATE INDEX file_pickups_tx ON file_pickups (tx_id) WHERE tx_id IS NOT NULL;
CREATE INDEX file_pickups_practice ON file_pickups (practice_id, id);

-- The row ledger: one entry per line of a file, written in the same commit as the line's effects.
CREATE TABLE file_rows (
  tx_id     INTEGER NOT NULL,
  line      INTEGER NOT NULL,
  outcome   TEXT NOT NULL CHECK (outcome IN ('created','updated','unchanged','held','duplicate','rejected')),
  record_id INTEGER,
  ext_id    TEXT,
  detail    TEXT,
  PRIMARY KEY (tx_id, line)
) STRICT, WITHOUT ROWID;

-- Outbound file names: {seq} counts per job and day (practice time zone).
CREATE TABLE file_sequences (
  job_id TEXT NOT NULL,
  day    TEXT NOT NULL,
  seq    INTEGER NOT NULL,
  PRIMARY KEY (job_id, day)
) STRICT, WITHOUT ROWID;
`,
} as const
