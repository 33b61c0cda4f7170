/**
 * 0111: alerts that reach a person outside the console (issue 16).
 * - `alert_rules` is rebuilt without the CHECK on `kind` (kinds are registered by modules now:
 *   connectors add theirs) and gains channels, quiet hours, repeat interval, resolve notices and
 *   the error code an `error_code` rule counts. Notifications keep their rule ids across the
 *   rebuild (the drop would set them NULL).
 * - `alert_channels`: e-mail (SMTP) and signed-webhook channels per practice; their password or
 *   signing secret is in the keychain, never here.
 * - `alert_deliveries`: one row per notification and channel, written with the notification, so a
 *   restart resumes a pending delivery; retried with backoff until sent or failed.
 * - `notifications.link`: the console page that shows the cause.
 */
export const migration0111 = {
  version: 111,
  name: 'alert-delivery',
  sql: /* sql */ `
CREATE TEMP TABLE keep_notification_rules AS SELECT id, rule_id FROM notifications WHERE rule_id IS NOT NULL;

CREATE TABLE alert_rules_new (
  id              TEXT PRIMARY KEY,
  practice_id     TEXT NOT NULL REFERENCES practices(id) ON DELETE CASCADE,
  name            TEXT NOT NULL,
  kind            TEXT NOT NULL,
  enabled         INTEGER NOT NULL DEFAULT 1,
  level           TEXT NOT NULL CHECK (level IN ('info','warning','error')),
  connector       TEXT,
  channel         TEXT,
  threshold       INTEGER NOT NULL,
  window_minutes  INTEGER NOT NULL,
  error_code      TEXT,
  channels        TEXT NOT NULL DEFAULT '[]',   -- JSON: alert_channels ids
  quiet_start     TEXT,                         -- HH:MM in the practice's zone
  quiet_end       TEXT,
  repeat_minutes  INTEGER,
  notify_resolved INTEGER NOT NULL DEFAULT 1,
  firing          INTEGER NOT NULL DEFAULT 0,
  last_value      INTEGER,
  last_fired_at   INTEGER,
  last_notified_at INTEGER,
  last_checked_at INTEGER,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  UNIQUE (practice_id, name)
) STRICT;
INSERT INTO alert_rules_new (id, practice_id, name, kind, enabled, level, connector, channel, threshold, window_minutes,
    firing, last_value, last_fired_at, last_notified_at, last_checked_at, created_at, updated_at)
  SELECT id, practice_id, name, kind, enabled, level, connector, channel, threshold, window_minutes,
    firing, last_value, last_fired_at, last_fired_at, last_checked_at, created_at, updated_at FROM alert_rules;
DROP TABLE alert_rules;
ALTER TABLE alert_rules_new RENAME TO alert_rules;
UPDATE notifications SET rule_id = (SELECT k.rule_id FROM keep_notification_rules AS k WHERE k.id = notifications.id)
  WHERE id IN (SELECT id FROM keep_notification_rules);
DROP TABLE keep_notification_rules;

ALTER TABLE notifications ADD COLUMN link TEXT;

CREATE TABLE alert_channels (
  id          TEXT PRIMARY KEY,
  practice_id TEXT NOT NULL REFERENCES practices(id) ON DELETE CASCADE,
  name        TEXT NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('email','webhook')),
  config      TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  UNIQUE (practice_id, name)
) STRICT;

CREATE TABLE alert_deliveries (
  id              INTEGER PRIMARY KEY,
  notification_id TEXT NOT NULL REFERENCES notifications(id) ON DELETE CASCADE,
  channel_id      TEXT NOT NULL REFERENCES alert_channels(id) ON DELETE CASCADE,
  practice_id     TEXT NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('pending','sent','failed')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error      TEXT,
  created_at      INTEGER NOT NULL,
  sent_at         INTEGER
) STRICT;
CREATE INDEX alert_deliveries_due ON alert_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX alert_deliveries_practice ON alert_deliveries (practice_id, id);
`,
} as const
