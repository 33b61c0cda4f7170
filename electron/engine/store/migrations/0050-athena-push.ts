/**
 * 0050: automatic push of Practice Studio appointment changes to athenaNet. Each athena-rest
 * connection that pushes remembers the last record change it has turned into a transaction, so
 * a restart resumes where it stopped (the transactions' dedup key, the change id, makes a re-read
 * harmless anyway). Numbered above 0040 because migrations are forward-only.
 */
export const migration0050 = {
  version: 50,
  name: 'athena-push-cursors',
  sql: /* sql */ `
CREATE TABLE athena_push_cursors (
  practice_id    TEXT NOT NULL,
  connection_id  TEXT NOT NULL,
  last_change_id INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL,
  PRIMARY KEY (practice_id, connection_id)
) STRICT;
`,
} as const
