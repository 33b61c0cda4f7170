/**
 * Where each sync stream of a practice stands: status, counts, the last error and a JSON resume
 * point; plus the feed-read journal (a destructive feed read is noted before it happens and
 * closed once every page is stored, so an interrupted read can be replayed by processed time) and
 * the outbound markers that make writes idempotent; and the totals of the last finished run of
 * each kind (the time-left estimate's fallback when athenaNet gives no `totalcount`).
 */
import type { Db } from '../../../store/database'

export const SYNC_STREAMS = ['patients', 'appointments', 'reference', 'clinical'] as const
export type SyncStream = (typeof SYNC_STREAMS)[number]

export interface SyncStateRow {
  practiceId: string
  stream: SyncStream
  status: 'idle' | 'running' | 'done' | 'error'
  mode: string | null
  cursor: Record<string, unknown> | null
  startedAt: number | null
  finishedAt: number | null
  updatedAt: number
  calls: number
  pages: number
  records: number
  duplicates: number
  errorCode: string | null
  errorMessage: string | null
  lastSuccessAt: number | null
}

interface Row {
  practice_id: string
  stream: SyncStream
  status: SyncStateRow['status']
  mode: string | null
  cursor: string | null
  started_at: number | null
  finished_at: number | null
  updated_at: number
  calls: number
  pages: number
  records: number
  duplicates: number
  error_code: string | null
  error_message: string | null
  last_success_at: number | null
}

const toState = (r: Row): SyncStateRow => ({
  practiceId: r.practice_id,
  stream: r.stream,
  status: r.status,
  mode: r.mode,
  cursor: r.cursor ? (JSON.parse(r.cursor) as Record<string, unknown>) : null,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  updatedAt: r.updated_at,
  calls: r.calls,
  pages: r.pages,
  records: r.records,
  duplicates: r.duplicates,
  errorCode: r.error_code,
  errorMessage: r.error_message,
  lastSuccessAt: r.last_success_at,
})

export class SyncStateRepo {
  constructor(private readonly db: Db) {}

  get(practiceId: string, stream: SyncStream): SyncStateRow | null {
    const r = this.db.prepare('SELECT * FROM athena_sync_state WHERE practice_id = ? AND stream = ?').get(practiceId, stream) as Row | undefined
    return r ? toState(r) : null
  }

  list(practiceId: string): SyncStateRow[] {
    return (this.db.prepare('SELECT * FROM athena_sync_state WHERE practice_id = ? ORDER BY stream').all(practiceId) as Row[]).map(toState)
  }

  put(s: SyncStateRow): void {
    this.db
      .prepare(`INSERT INTO athena_sync_state (practice_id, stream, status, mode, cursor, started_at, finished_at, updated_at, calls, pages, records, duplicates, error_code, error_message, last_success_at)
        VALUES (@practiceId, @stream, @status, @mode, @cursor, @startedAt, @finishedAt, @updatedAt, @calls, @pages, @records, @duplicates, @errorCode, @errorMessage, @lastSuccessAt)
        ON CONFLICT (practice_id, stream) DO UPDATE SET status = excluded.status, mode = excluded.mode, cursor = excluded.cursor, started_at = excluded.started_at,
          finished_at = excluded.finished_at, updated_at = excluded.updated_at, calls = excluded.calls, pages = excluded.pages, records = excluded.records,
          duplicates = excluded.duplicates, error_code = excluded.error_code, error_message = excluded.error_message, last_success_at = excluded.last_success_at`)
      .run({ ...s, cursor: s.cursor ? JSON.stringify(s.cursor) : null })
  }

  /** Streams left `running` by a crash read as interrupted (they resume from their cursor). */
  markInterrupted(now: number): number {
    return this.db
      .prepare(`UPDATE athena_sync_state SET status = 'error', error_code = 'internal', error_message = 'Interrupted by a shutdown; run the sync again to resume.', updated_at = ? WHERE status = 'running'`)
      .run(now).changes
  }

  // ---- totals of the last finished run (migration 0200) ----------------------------------------

  /** Items and pages of the last finished run of this kind, the estimate's fallback. */
  lastTotals(practiceId: string, stream: SyncStream, mode: string): { items: number; pages: number; finishedAt: number } | null {
    const r = this.db.prepare('SELECT items, pages, finished_at FROM athena_sync_totals WHERE practice_id = ? AND stream = ? AND mode = ?').get(practiceId, stream, mode) as
      | { items: number; pages: number; finished_at: number }
      | undefined
    return r ? { items: r.items, pages: r.pages, finishedAt: r.finished_at } : null
  }

  putTotals(practiceId: string, stream: SyncStream, mode: string, items: number, pages: number, finishedAt: number): void {
    this.db
      .prepare(`INSERT INTO athena_sync_totals (practice_id, stream, mode, items, pages, finished_at) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (practice_id, stream, mode) DO UPDATE SET items = excluded.items, pages = excluded.pages, finished_at = excluded.finished_at`)
      .run(practiceId, stream, mode, items, pages, finishedAt)
  }

  // ---- feed-read journal -----------------------------------------------------------------------

  openFeedRead(practiceId: string, feed: string, readAt: number): number {
    return Number(this.db.prepare('INSERT INTO athena_feed_reads (practice_id, feed, read_at) VALUES (?, ?, ?)').run(practiceId, feed, readAt).lastInsertRowid)
  }

  addFeedRecords(id: number, n: number): void {
    this.db.prepare('UPDATE athena_feed_reads SET records = records + ? WHERE id = ?').run(n, id)
  }

  closeFeedRead(id: number, at: number): void {
    this.db.prepare('UPDATE athena_feed_reads SET completed_at = ? WHERE id = ?').run(at, id)
  }

  /** The oldest read that was not completed (a crash between a destructive read and its storage). */
  openFeedReads(practiceId: string, feed: string): { id: number; readAt: number }[] {
    return (this.db.prepare('SELECT id, read_at FROM athena_feed_reads WHERE practice_id = ? AND feed = ? AND completed_at IS NULL ORDER BY id').all(practiceId, feed) as { id: number; read_at: number }[]).map((r) => ({
      id: r.id,
      readAt: r.read_at,
    }))
  }

  lastFeedRead(practiceId: string, feed: string): { readAt: number; completedAt: number | null; records: number } | null {
    const r = this.db.prepare('SELECT read_at, completed_at, records FROM athena_feed_reads WHERE practice_id = ? AND feed = ? ORDER BY id DESC LIMIT 1').get(practiceId, feed) as
      | { read_at: number; completed_at: number | null; records: number }
      | undefined
    return r ? { readAt: r.read_at, completedAt: r.completed_at, records: r.records } : null
  }

  // ---- outbound markers (API-08) --------------------------------------------------------------

  outbound(practiceId: string, opKey: string): { state: 'sending' | 'sent' | 'failed'; remoteId: string | null; txId: number | null } | null {
    const r = this.db.prepare('SELECT state, remote_id, tx_id FROM athena_outbound WHERE practice_id = ? AND op_key = ?').get(practiceId, opKey) as
      | { state: 'sending' | 'sent' | 'failed'; remote_id: string | null; tx_id: number | null }
      | undefined
    return r ? { state: r.state, remoteId: r.remote_id, txId: r.tx_id } : null
  }

  markOutbound(practiceId: string, opKey: string, state: 'sending' | 'sent' | 'failed', txId: number | null, remoteId: string | null, now: number): void {
    this.db
      .prepare(`INSERT INTO athena_outbound (practice_id, op_key, tx_id, state, remote_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (practice_id, op_key) DO UPDATE SET state = excluded.state, tx_id = coalesce(excluded.tx_id, tx_id), remote_id = coalesce(excluded.remote_id, remote_id), updated_at = excluded.updated_at`)
      .run(practiceId, opKey, txId, state, remoteId, now, now)
  }
}
