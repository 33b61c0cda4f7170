/**
 * The inbox (store/inbox-db.ts): rows the ingest writer committed and the mover has not yet turned
 * into transactions. Only the writer's worker inserts; only a mover deletes.
 */
import type { Db } from '../store/database'
import type { InboxItem } from './inbox-writer'
import type { IncomingTx } from './types'

export interface InboxRow {
  id: number
  practice_id: string
  channel: string
  dedup_key: string | null
  received_at: number
  meta: string
  raw: Buffer
  response: string | null
}

/** What the inbox row keeps besides its own columns. */
type Meta = Pick<IncomingTx, 'connector' | 'direction' | 'messageType' | 'contentType' | 'peer' | 'controlId' | 'mrn' | 'patientId' | 'appointmentId' | 'searchText'>

export function toInboxItem(tx: IncomingTx, receivedAt: number): InboxItem {
  const meta: Meta = {
    connector: tx.connector,
    direction: tx.direction,
    messageType: tx.messageType ?? null,
    contentType: tx.contentType,
    peer: tx.peer ?? null,
    controlId: tx.controlId ?? null,
    mrn: tx.mrn ?? null,
    patientId: tx.patientId ?? null,
    appointmentId: tx.appointmentId ?? null,
    ...(tx.searchText != null ? { searchText: tx.searchText } : {}),
  }
  return { practiceId: tx.practiceId, channel: tx.channel, dedupKey: tx.dedupKey ?? null, receivedAt, meta: JSON.stringify(meta), raw: tx.raw, response: tx.response ?? null, ...(tx.handOverRaw ? { handOver: true } : {}) }
}

export function fromInboxRow(row: InboxRow): IncomingTx {
  const meta = JSON.parse(row.meta) as Meta
  return { ...meta, practiceId: row.practice_id, channel: row.channel, dedupKey: row.dedup_key, raw: row.raw, response: row.response }
}

/**
 * The main thread's view of the inbox (its own connection to the inbox file) and of the move
 * cursor in the main database.
 */
export class InboxRepo {
  private readonly s

  constructor(
    db: Db,
    inboxDb: Db,
  ) {
    this.s = {
      after: inboxDb.prepare('SELECT * FROM inbox WHERE id > ? ORDER BY id LIMIT ?'),
      deleteUpto: inboxDb.prepare('DELETE FROM inbox WHERE id <= ?'),
      countAfter: inboxDb.prepare('SELECT count(*) FROM inbox WHERE id > ?').pluck(),
      byKey: inboxDb.prepare('SELECT id FROM inbox WHERE practice_id = ? AND channel = ? AND dedup_key = ? AND id > ?').pluck(),
      cursor: db.prepare('SELECT moved_upto FROM inbox_moves WHERE id = 1').pluck(),
      setCursor: db.prepare('UPDATE inbox_moves SET moved_upto = ?, updated_at = ? WHERE id = 1'),
    }
  }

  /** Rows not moved yet, oldest first (call inside the main database's write transaction). */
  after(cursor: number, limit: number): InboxRow[] {
    return this.s.after.all(cursor, limit) as InboxRow[]
  }

  cursor(): number {
    return this.s.cursor.get() as number
  }

  setCursor(id: number, now: number): void {
    this.s.setCursor.run(id, now)
  }

  /** Drops rows that are transactions already (after the cursor's transaction committed). */
  deleteMoved(cursor: number): void {
    this.s.deleteUpto.run(cursor)
  }

  /** Accepted messages not yet moved into transactions. */
  backlog(): number {
    return this.s.countAfter.get(this.cursor()) as number
  }

  /** The inbox id holding this dedup key, if that message is still waiting to be moved. */
  idForKey(practiceId: string, channel: string, dedupKey: string): number | undefined {
    return this.s.byKey.get(practiceId, channel, dedupKey, this.cursor()) as number | undefined
  }
}
