/**
 * The inbox: a second encrypted SQLite file (same key) beside the main database, holding messages
 * that were accepted (committed, acknowledged) and not yet moved into `transactions`. A separate
 * file has its own write lock and WAL, so an acknowledgment never waits behind the move's large
 * commits (a dozen indexes and the full-text index, ~130 µs a row) or the pipeline's own writes.
 *
 * Rows are moved in id order; the main database records how far (`inbox_moves`, migration 0060)
 * in the same transaction as the moved rows, and rows at or below that point are deleted from
 * the inbox afterwards (again at start-up if a crash came in between). Ids never repeat
 * (AUTOINCREMENT), so the cursor stays meaningful when the inbox is empty.
 *
 * The schema is versioned with PRAGMA user_version, forward-only like the main migrations.
 */
import { AppError } from '../../../shared/errors'
import { openDatabase, type Db } from './database'

export const INBOX_FILE = 'inbox.db'

export const INBOX_SCHEMA: readonly string[] = [
  /* 1 */ `
CREATE TABLE inbox (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  practice_id TEXT NOT NULL,
  channel     TEXT NOT NULL,
  dedup_key   TEXT,
  received_at INTEGER NOT NULL,
  meta        TEXT NOT NULL,
  raw         BLOB NOT NULL,
  response    TEXT
) STRICT;
CREATE UNIQUE INDEX inbox_dedup ON inbox (practice_id, channel, dedup_key) WHERE dedup_key IS NOT NULL;
`,
]

export function openInboxDb(file: string, keyHex: string): Db {
  const db = openDatabase({ file, keyHex })
  try {
    migrateInbox(db)
  } catch (e) {
    db.close()
    throw e
  }
  return db
}

export function migrateInbox(db: Db, schema: readonly string[] = INBOX_SCHEMA): number[] {
  const current = db.pragma('user_version', { simple: true }) as number
  if (current > schema.length) {
    throw new AppError('db_open_failed', `The inbox database is from a newer version of Practice Studio (schema ${current}; this build knows ${schema.length}).`)
  }
  const applied: number[] = []
  for (let v = current + 1; v <= schema.length; v++) {
    db.transaction(() => {
      db.exec(schema[v - 1] as string)
      db.pragma(`user_version = ${v}`)
    }).immediate()
    applied.push(v)
  }
  return applied
}

/**
 * The highest inbox id moved so far. If the inbox file is younger than the cursor (deleted or
 * replaced while the engine was stopped), its ids started again at 1: the cursor is reset rather
 * than letting new rows look already moved.
 */
export function reconcileInboxCursor(db: Db, inbox: Db, now: number): { cursor: number; reset: boolean } {
  const cursor = (db.prepare('SELECT moved_upto FROM inbox_moves WHERE id = 1').get() as { moved_upto: number }).moved_upto
  const seq = (inbox.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'inbox'").get() as { seq: number } | undefined)?.seq ?? 0
  if (seq >= cursor) return { cursor, reset: false }
  db.prepare('UPDATE inbox_moves SET moved_upto = 0, updated_at = ? WHERE id = 1').run(now)
  return { cursor: 0, reset: true }
}
