/**
 * 0070: security alerts that stay until a person acknowledges them (a failed audit verification
 * raises one), the pruner's run history, and when a transaction's raw payload was pruned by
 * retention (its metadata and hash stay). The partial index finds payloads still to prune per
 * practice and connector without scanning rows already pruned; the other finds whole
 * transactions past their retention, and the connectors a practice has.
 */
export const migration0070 = {
  version: 70,
  name: 'audit-alerts-retention',
  sql: /* sql */ `
CREATE TABLE security_alerts (
  id              TEXT PRIMARY KEY,
  kind            TEXT NOT NULL,              -- 'audit_integrity'
  signature       TEXT NOT NULL,              -- the same failure found again raises nothing new
  title           TEXT NOT NULL,
  message         TEXT NOT NULL,
  raised_at       INTEGER NOT NULL,
  acknowledged_at INTEGER,
  acknowledged_by TEXT,
  note            TEXT
) STRICT;
CREATE INDEX security_alerts_signature ON security_alerts (kind, signature);

CREATE TABLE prune_runs (
  id                INTEGER PRIMARY KEY,
  trigger           TEXT NOT NULL CHECK (trigger IN ('schedule','manual')),
  started_at        INTEGER NOT NULL,
  finished_at       INTEGER,
  duration_ms       INTEGER,
  payloads_pruned   INTEGER NOT NULL DEFAULT 0,
  payload_bytes     INTEGER NOT NULL DEFAULT 0,
  transactions_deleted INTEGER NOT NULL DEFAULT 0,
  transaction_bytes INTEGER NOT NULL DEFAULT 0,
  logs_deleted      INTEGER NOT NULL DEFAULT 0,
  batches           INTEGER NOT NULL DEFAULT 0,
  error             TEXT
) STRICT;

ALTER TABLE transactions ADD COLUMN raw_pruned_at INTEGER;
CREATE INDEX tx_prune_raw ON transactions (practice_id, connector, received_at) WHERE raw_pruned_at IS NULL;
CREATE INDEX tx_retention ON transactions (practice_id, connector, received_at);
`,
} as const
