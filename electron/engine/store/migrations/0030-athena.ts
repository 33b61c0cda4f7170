/**
 * 0030: the athenaNet connector. Every REST call is logged (PHI query parameters redacted, bounded
 * by age and count); usage counters per practice and UTC day back the daily quota (athena resets it
 * at midnight GMT) across restarts; reference data (departments with their time zones, providers,
 * appointment types, reasons) is cached per practice; sync state keeps each stream's resume point;
 * feed reads remember when a destructive read happened so it can be replayed; outbound markers
 * make writes idempotent (query before re-sending).
 */
export const migration0030 = {
  version: 30,
  name: 'athena',
  sql: /* sql */ `
CREATE TABLE athena_api_calls (
  id               INTEGER PRIMARY KEY,
  at               INTEGER NOT NULL,          -- epoch ms the attempt started
  practice_id      TEXT NOT NULL,
  connection_id    TEXT,
  method           TEXT NOT NULL,
  endpoint         TEXT NOT NULL,             -- template, e.g. /v1/{practiceid}/patients/{patientid}
  path             TEXT NOT NULL,             -- as sent, PHI query parameters redacted
  status           INTEGER,                   -- NULL: no response (network error, timeout)
  outcome          TEXT NOT NULL CHECK (outcome IN ('ok','rejected','throttled','error','network','timeout')),
  error_code       TEXT,
  error_message    TEXT,                      -- athena's public "error" text, or ours
  developer_detail TEXT,                      -- athena "detailedmessage": developer view only
  latency_ms       REAL NOT NULL,
  attempt          INTEGER NOT NULL,
  request_id       TEXT NOT NULL
) STRICT;
CREATE INDEX athena_api_calls_practice ON athena_api_calls (practice_id, id);
CREATE INDEX athena_api_calls_endpoint ON athena_api_calls (practice_id, endpoint, id);
CREATE INDEX athena_api_calls_at ON athena_api_calls (at);

CREATE TABLE athena_usage (
  practice_id    TEXT NOT NULL,
  scope          TEXT NOT NULL,               -- rate-limit scope: API host + client id
  day            TEXT NOT NULL,               -- UTC date YYYY-MM-DD
  calls          INTEGER NOT NULL DEFAULT 0,
  throttled      INTEGER NOT NULL DEFAULT 0,
  retried        INTEGER NOT NULL DEFAULT 0,
  errors         INTEGER NOT NULL DEFAULT 0,
  token_requests INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (practice_id, scope, day)
) STRICT;

CREATE TABLE athena_reference (
  practice_id TEXT NOT NULL,
  kind        TEXT NOT NULL,                  -- department | provider | appointmenttype | reason | cancelreason
  ref_id      TEXT NOT NULL,
  data        TEXT NOT NULL,
  fetched_at  INTEGER NOT NULL,
  PRIMARY KEY (practice_id, kind, ref_id)
) STRICT;

CREATE TABLE athena_sync_state (
  practice_id     TEXT NOT NULL,
  stream          TEXT NOT NULL,              -- patients | appointments | reference | clinical
  status          TEXT NOT NULL CHECK (status IN ('idle','running','done','error')),
  mode            TEXT,
  cursor          TEXT,                       -- JSON resume point
  started_at      INTEGER,
  finished_at     INTEGER,
  updated_at      INTEGER NOT NULL,
  calls           INTEGER NOT NULL DEFAULT 0,
  pages           INTEGER NOT NULL DEFAULT 0,
  records         INTEGER NOT NULL DEFAULT 0,
  duplicates      INTEGER NOT NULL DEFAULT 0,
  error_code      TEXT,
  error_message   TEXT,
  last_success_at INTEGER,
  PRIMARY KEY (practice_id, stream)
) STRICT;

CREATE TABLE athena_feed_reads (
  id           INTEGER PRIMARY KEY,
  practice_id  TEXT NOT NULL,
  feed         TEXT NOT NULL,                 -- patients | appointments
  read_at      INTEGER NOT NULL,              -- epoch ms just before the first destructive read
  completed_at INTEGER,                       -- every page of the read is stored
  records      INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX athena_feed_reads_open ON athena_feed_reads (practice_id, feed, id) WHERE completed_at IS NULL;

CREATE TABLE athena_outbound (
  practice_id TEXT NOT NULL,
  op_key      TEXT NOT NULL,                  -- e.g. book:880101:4521
  tx_id       INTEGER,
  state       TEXT NOT NULL CHECK (state IN ('sending','sent','failed')),
  remote_id   TEXT,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  PRIMARY KEY (practice_id, op_key)
) STRICT;
`,
} as const
