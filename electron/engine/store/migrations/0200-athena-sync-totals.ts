/**
 * 0200: how many items the last finished sync of each kind saw, per practice and stream, so the
 * next run can estimate its time left when athenaNet gives no `totalcount`. Its own table because
 * athena_sync_state holds the current run (reset when a run starts, overwritten by feed runs);
 * the rows go with their practice.
 */
export const migration0200 = {
  version: 200,
  name: 'athena-sync-totals',
  sql: /* sql */ `
CREATE TABLE athena_sync_totals (
  practice_id  TEXT NOT NULL REFERENCES practices(id) ON DELETE CASCADE,
  stream       TEXT NOT NULL,
  mode         TEXT NOT NULL,                -- full | incremental | replay
  items        INTEGER NOT NULL,             -- records stored + already had
  pages        INTEGER NOT NULL,
  finished_at  INTEGER NOT NULL,
  PRIMARY KEY (practice_id, stream, mode)
) STRICT;
`,
}
