/**
 * 0040: the operator console. Saved searches and alert rules are per-practice configuration;
 * notifications are what the alert service raised. The indexes serve the console's read paths
 * over millions of transactions (test/bench/tx-query.bench.ts measures them):
 *
 * - tx_practice_received covers the dashboard (counts per time bucket, connector, channel and
 *   status read from the index alone) and time-range filters of the transaction log.
 * - tx_practice_channel gives the dashboard its per-lane counts in a time window from the index
 *   alone, and lets the facet query walk the distinct (connector, channel) pairs with one seek each.
 * - tx_practice_error_group (partial: failed rows only, so it stays small) answers the error
 *   queue's groups with counts per lane and triage state, first and last seen, from the index alone
 *   and already in GROUP BY order.
 */
export const migration0040 = {
  version: 40,
  name: 'operator-console',
  sql: /* sql */ `
CREATE TABLE saved_searches (
  id          TEXT PRIMARY KEY,
  practice_id TEXT NOT NULL REFERENCES practices(id) ON DELETE CASCADE,
  name        TEXT NOT NULL,
  filter      TEXT NOT NULL,            -- JSON of the transaction filter, validated when read
  created_by  TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  UNIQUE (practice_id, name)
) STRICT;

CREATE TABLE alert_rules (
  id              TEXT PRIMARY KEY,
  practice_id     TEXT NOT NULL REFERENCES practices(id) ON DELETE CASCADE,
  name            TEXT NOT NULL,
  kind            TEXT NOT NULL CHECK (kind IN ('error_count','inactivity','queue_depth')),
  enabled         INTEGER NOT NULL DEFAULT 1,
  level           TEXT NOT NULL CHECK (level IN ('info','warning','error')),
  connector       TEXT,                 -- NULL = every connector
  channel         TEXT,                 -- NULL = every interface / endpoint
  threshold       INTEGER NOT NULL,     -- errors, or queued rows; unused by inactivity
  window_minutes  INTEGER NOT NULL,     -- error window, or silence that counts as inactive
  firing          INTEGER NOT NULL DEFAULT 0,
  last_value      INTEGER,
  last_fired_at   INTEGER,
  last_checked_at INTEGER,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  UNIQUE (practice_id, name)
) STRICT;

CREATE TABLE notifications (
  id          TEXT PRIMARY KEY,
  practice_id TEXT REFERENCES practices(id) ON DELETE CASCADE,
  rule_id     TEXT REFERENCES alert_rules(id) ON DELETE SET NULL,
  level       TEXT NOT NULL CHECK (level IN ('info','warning','error')),
  title       TEXT NOT NULL,
  message     TEXT NOT NULL,
  at          INTEGER NOT NULL,
  read_at     INTEGER
) STRICT;
CREATE INDEX notifications_practice_at ON notifications (practice_id, at);

CREATE INDEX tx_practice_received ON transactions (practice_id, received_at, connector, channel, status);
CREATE INDEX tx_practice_channel ON transactions (practice_id, connector, channel, received_at, status);
CREATE INDEX tx_practice_error_group ON transactions (practice_id, error_group, connector, channel, triage_state, error_retryable, error_at)
  WHERE status = 'error';
`,
} as const
