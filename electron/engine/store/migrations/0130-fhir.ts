/**
 * 0130: the FHIR R4 connector (connectors/fhir). `fhir_resources` is the cross-reference of FHIR
 * ids with athenaNet and Practice Studio ids, and the stale-write guard (the newest
 * `meta.lastUpdated` applied per resource, so a late or reordered notification never regresses a
 * record). `fhir_subscriptions` is the desired and actual state of athena event subscriptions
 * (one row per subscription we created; the X-Hub-Secret is in the keychain under
 * `fhir-subscription:<id>:secret`, never here). `fhir_webhook_counters` counts receipts per
 * subscription and UTC day — PHI-free. `fhir_state` keeps per-connection cursors and the last
 * reconciliation result.
 */
export const migration0130 = {
  version: 130,
  name: 'fhir',
  sql: /* sql */ `
CREATE TABLE fhir_resources (
  practice_id   TEXT NOT NULL,
  resource_type TEXT NOT NULL,
  fhir_id       TEXT NOT NULL,
  last_updated  TEXT,
  version_id    TEXT,
  record_id     INTEGER,
  athena_id     TEXT,
  seen_at       INTEGER NOT NULL,
  PRIMARY KEY (practice_id, resource_type, fhir_id)
) STRICT;
CREATE INDEX fhir_resources_record ON fhir_resources (record_id);

CREATE TABLE fhir_subscriptions (
  id               INTEGER PRIMARY KEY,
  practice_id      TEXT NOT NULL,
  connection_id    TEXT NOT NULL,
  topic            TEXT NOT NULL,
  remote_id        TEXT,
  state            TEXT NOT NULL CHECK (state IN ('creating', 'active', 'retiring', 'deleted', 'error')),
  remote_status    TEXT,
  endpoint         TEXT NOT NULL,
  end_at           INTEGER,
  retire_after     INTEGER,
  replaced_by      INTEGER,
  last_error       TEXT,
  last_delivery_at INTEGER,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
) STRICT;
CREATE INDEX fhir_subscriptions_topic ON fhir_subscriptions (practice_id, connection_id, topic, state);
CREATE UNIQUE INDEX fhir_subscriptions_remote ON fhir_subscriptions (connection_id, remote_id) WHERE remote_id IS NOT NULL;

CREATE TABLE fhir_webhook_counters (
  practice_id      TEXT NOT NULL,
  subscription     TEXT NOT NULL,
  day              TEXT NOT NULL,
  deliveries       INTEGER NOT NULL DEFAULT 0,
  events           INTEGER NOT NULL DEFAULT 0,
  duplicates       INTEGER NOT NULL DEFAULT 0,
  bad_signatures   INTEGER NOT NULL DEFAULT 0,
  malformed        INTEGER NOT NULL DEFAULT 0,
  unknown          INTEGER NOT NULL DEFAULT 0,
  failures         INTEGER NOT NULL DEFAULT 0,
  last_delivery_at INTEGER,
  PRIMARY KEY (practice_id, subscription, day)
) STRICT;

CREATE TABLE fhir_state (
  connection_id TEXT NOT NULL,
  key           TEXT NOT NULL,
  value         TEXT NOT NULL,
  updated_at    INTEGER NOT NULL,
  PRIMARY KEY (connection_id, key)
) STRICT;
`,
} as const
