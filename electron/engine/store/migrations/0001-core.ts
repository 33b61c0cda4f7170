/**
 * 0001: the core schema. Queryable things are real columns (status, error code, business keys);
 * payloads are blobs. STRICT tables so a wrong type is an error, not a silent coercion.
 */
export const migration0001 = {
  version: 1,
  name: 'core',
  sql: /* sql */ `
CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

CREATE TABLE practices (
  id                 TEXT PRIMARY KEY,          -- slug, stable across export/import
  name               TEXT NOT NULL,
  athena_practice_id TEXT,
  environment        TEXT NOT NULL CHECK (environment IN ('sandbox','preview','production')),
  time_zone          TEXT NOT NULL,
  settings           TEXT NOT NULL DEFAULT '{}',
  builtin            INTEGER NOT NULL DEFAULT 0,
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL
) STRICT;

-- REST/FHIR/SFTP connections and HL7 interfaces (inbound listeners, outbound destinations).
CREATE TABLE connections (
  id          TEXT PRIMARY KEY,
  practice_id TEXT NOT NULL REFERENCES practices(id) ON DELETE CASCADE,
  kind        TEXT NOT NULL,
  name        TEXT NOT NULL,
  enabled     INTEGER NOT NULL DEFAULT 1,
  config      TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  UNIQUE (practice_id, name)
) STRICT;

CREATE TABLE transactions (
  id              INTEGER PRIMARY KEY,
  practice_id     TEXT NOT NULL,
  connector       TEXT NOT NULL,
  channel         TEXT NOT NULL,
  direction       TEXT NOT NULL CHECK (direction IN ('in','out')),
  message_type    TEXT,
  status          TEXT NOT NULL CHECK (status IN ('received','queued','processing','done','filtered','error','discarded')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  received_at     INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  started_at      INTEGER,
  finished_at     INTEGER,
  duration_ms     INTEGER,
  next_attempt_at INTEGER,
  peer            TEXT,
  control_id      TEXT,
  mrn             TEXT,
  patient_id      TEXT,
  appointment_id  TEXT,
  dedup_key       TEXT,
  content_type    TEXT NOT NULL,
  raw             BLOB NOT NULL,
  raw_sha256      TEXT NOT NULL,
  payload_version INTEGER NOT NULL DEFAULT 0,
  parsed          TEXT,
  mapped          TEXT,
  outbound        TEXT,
  response        TEXT,
  error_code      TEXT,
  error_message   TEXT,
  error_retryable INTEGER,
  error_group     TEXT,
  error_at        INTEGER,
  filtered_by     TEXT,
  triage_state    TEXT,
  triage_note     TEXT,
  discard_reason  TEXT
) STRICT;

-- Worker: next row of a lane. Partial, so it stays tiny however many finished rows there are.
CREATE INDEX tx_lane ON transactions (practice_id, connector, id) WHERE status IN ('received','queued','processing');
-- Log view keyset pagination (newest first) with the common filters.
CREATE INDEX tx_practice ON transactions (practice_id, id);
CREATE INDEX tx_practice_status ON transactions (practice_id, status, id);
CREATE INDEX tx_status ON transactions (status, id);
CREATE INDEX tx_received ON transactions (received_at);
-- Exact business-key search.
CREATE INDEX tx_control ON transactions (control_id) WHERE control_id IS NOT NULL;
CREATE INDEX tx_mrn ON transactions (mrn) WHERE mrn IS NOT NULL;
CREATE INDEX tx_patient ON transactions (patient_id) WHERE patient_id IS NOT NULL;
CREATE INDEX tx_appointment ON transactions (appointment_id) WHERE appointment_id IS NOT NULL;
-- Idempotency: a re-delivered message (e.g. same MSH-3/MSH-4/MSH-10) is found, never inserted twice.
CREATE UNIQUE INDEX tx_dedup ON transactions (practice_id, channel, dedup_key) WHERE dedup_key IS NOT NULL;
-- Error queue grouped by cause.
CREATE INDEX tx_error_group ON transactions (error_group, id) WHERE status = 'error';

CREATE TABLE transaction_steps (
  id          INTEGER PRIMARY KEY,
  tx_id       INTEGER NOT NULL,
  attempt     INTEGER NOT NULL,
  step        TEXT NOT NULL,
  outcome     TEXT NOT NULL,
  started_at  INTEGER NOT NULL,
  duration_ms REAL NOT NULL,
  detail      TEXT
) STRICT;
CREATE INDEX tx_steps_tx ON transaction_steps (tx_id, id);

-- Edited payloads for reprocessing. The original raw bytes are never overwritten.
CREATE TABLE transaction_payloads (
  tx_id      INTEGER NOT NULL,
  version    INTEGER NOT NULL,
  raw        BLOB NOT NULL,
  sha256     TEXT NOT NULL,
  edited_by  TEXT NOT NULL,
  reason     TEXT,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tx_id, version)
) STRICT;

-- Full-text search over payload text. Contentless: the text already lives in transactions.raw.
CREATE VIRTUAL TABLE transactions_fts USING fts5(body, content='', contentless_delete=1, tokenize='unicode61');

-- Canonical Practice Studio records. Key columns for lookup; the full record as JSON.
CREATE TABLE records (
  id          INTEGER PRIMARY KEY,
  practice_id TEXT NOT NULL REFERENCES practices(id) ON DELETE CASCADE,
  kind        TEXT NOT NULL CHECK (kind IN ('patient','appointment','provider','location','observation','document','financial_transaction')),
  patient_ref INTEGER,            -- records.id of the patient this record belongs to
  key1        TEXT,               -- patient: mrn; appointment: start_time; observation: code
  key2        TEXT,               -- patient: last_name; appointment: status
  key3        TEXT,               -- patient: date_of_birth
  data        TEXT NOT NULL,
  version     INTEGER NOT NULL DEFAULT 1,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX records_kind ON records (practice_id, kind, id);
CREATE INDEX records_key1 ON records (practice_id, kind, key1);
CREATE INDEX records_key23 ON records (practice_id, kind, key2, key3);
CREATE INDEX records_patient ON records (patient_ref) WHERE patient_ref IS NOT NULL;

-- Cross-reference: the same record's ids in other systems, per practice.
CREATE TABLE external_ids (
  practice_id TEXT NOT NULL,
  kind        TEXT NOT NULL,
  system      TEXT NOT NULL,     -- 'athena', 'mrn', 'hl7:<facility>', 'studio', ...
  value       TEXT NOT NULL,
  record_id   INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,
  PRIMARY KEY (practice_id, kind, system, value)
) STRICT;
CREATE INDEX external_ids_record ON external_ids (record_id);

-- Before/after of every record change, for the inspector's field-level diff.
CREATE TABLE record_changes (
  id          INTEGER PRIMARY KEY,
  practice_id TEXT NOT NULL,
  tx_id       INTEGER,
  record_id   INTEGER NOT NULL,
  kind        TEXT NOT NULL,
  op          TEXT NOT NULL CHECK (op IN ('create','update','delete')),
  before      TEXT,
  after       TEXT,
  at          INTEGER NOT NULL
) STRICT;
CREATE INDEX record_changes_tx ON record_changes (tx_id) WHERE tx_id IS NOT NULL;
CREATE INDEX record_changes_record ON record_changes (record_id, id);

-- Append-only, hash-chained audit trail.
CREATE TABLE audit_log (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  at          INTEGER NOT NULL,
  actor       TEXT NOT NULL,
  action      TEXT NOT NULL,
  practice_id TEXT,
  target_type TEXT,
  target_id   TEXT,
  outcome     TEXT NOT NULL,
  details     TEXT NOT NULL,
  prev_hash   TEXT NOT NULL,
  hash        TEXT NOT NULL
) STRICT;
CREATE INDEX audit_target ON audit_log (target_type, target_id);
CREATE INDEX audit_practice ON audit_log (practice_id, seq);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
`,
} as const
