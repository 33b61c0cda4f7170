/**
 * 0060: how far the inbox (store/inbox-db.ts, a separate file) has been moved into
 * `transactions`. Updated in the same transaction as the moved rows, so after a crash the rows at
 * or below it are known to be transactions already and are only deleted from the inbox.
 */
export const migration0060 = {
  version: 60,
  name: 'inbox-moves',
  sql: /* sql */ `
CREATE TABLE inbox_moves (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  moved_upto INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
INSERT INTO inbox_moves (id, moved_upto, updated_at) VALUES (1, 0, 0);
`,
} as const
