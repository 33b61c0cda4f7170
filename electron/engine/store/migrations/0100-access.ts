/**
 * 0100: people, roles, per-practice grants, sign-in sessions and break-glass sessions
 * (electron/engine/access). The audit trail gains who acted as a person id, the permission the
 * call used and the break-glass session it ran under, so every entry names them (HIPAA
 * §164.312(a)(2)(i), (b)).
 */
export const migration0100 = {
  version: 100,
  name: 'access',
  sql: /* sql */ `
CREATE TABLE people (
  id                   TEXT PRIMARY KEY,
  username             TEXT NOT NULL COLLATE NOCASE UNIQUE,
  display_name         TEXT NOT NULL,
  email                TEXT,
  password_hash        TEXT,
  password_changed_at  INTEGER,
  must_change_password INTEGER NOT NULL DEFAULT 0 CHECK (must_change_password IN (0, 1)),
  totp_secret          TEXT,
  totp_pending         TEXT,
  totp_last_step       INTEGER,
  recovery_codes       TEXT NOT NULL DEFAULT '[]',
  oidc_issuer          TEXT,
  oidc_subject         TEXT,
  status               TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  failed_attempts      INTEGER NOT NULL DEFAULT 0,
  locked_until         INTEGER,
  last_sign_in_at      INTEGER,
  created_by           TEXT NOT NULL,
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL,
  UNIQUE (oidc_issuer, oidc_subject)
) STRICT;

CREATE TABLE roles (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  permissions TEXT NOT NULL,
  builtin     INTEGER NOT NULL DEFAULT 0 CHECK (builtin IN (0, 1)),
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
) STRICT;

-- practice_id '*' = every practice, now and later.
CREATE TABLE grants (
  person_id   TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
  practice_id TEXT NOT NULL,
  role_id     TEXT NOT NULL REFERENCES roles (id),
  granted_by  TEXT NOT NULL,
  granted_at  INTEGER NOT NULL,
  PRIMARY KEY (person_id, practice_id, role_id)
) STRICT;
CREATE INDEX grants_practice ON grants (practice_id);

-- Only a SHA-256 of the session token is kept; the token itself lives in an HttpOnly cookie
-- (headless) or in the main process (desktop).
CREATE TABLE sessions (
  id           TEXT PRIMARY KEY,
  token_hash   TEXT NOT NULL UNIQUE,
  person_id    TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
  transport    TEXT NOT NULL,
  client       TEXT NOT NULL DEFAULT '',
  method       TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  auth_at      INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  ended_at     INTEGER,
  end_reason   TEXT
) STRICT;
CREATE INDEX sessions_person ON sessions (person_id, ended_at);

CREATE TABLE breakglass_sessions (
  id              TEXT PRIMARY KEY,
  person_id       TEXT NOT NULL REFERENCES people (id),
  session_id      TEXT,
  practice_id     TEXT NOT NULL,
  reason_category TEXT NOT NULL,
  reason          TEXT NOT NULL,
  started_at      INTEGER NOT NULL,
  expires_at      INTEGER NOT NULL,
  ended_at        INTEGER,
  end_reason      TEXT,
  reviewed_by     TEXT,
  reviewed_at     INTEGER,
  review_note     TEXT
) STRICT;
CREATE INDEX breakglass_practice ON breakglass_sessions (practice_id, started_at);
CREATE INDEX breakglass_person ON breakglass_sessions (person_id, ended_at);

ALTER TABLE audit_log ADD COLUMN person_id TEXT;
ALTER TABLE audit_log ADD COLUMN permission TEXT;
ALTER TABLE audit_log ADD COLUMN breakglass_id TEXT;
CREATE INDEX audit_person ON audit_log (person_id, seq);
CREATE INDEX audit_outcome ON audit_log (outcome, seq);
`,
} as const
