/**
 * The main thread's move of accepted messages from the inbox into `transactions`: at start-up
 * (whatever the last run, or a crash, left) before lanes resume, before a direct insert whose
 * dedup key is still in the inbox, and as the fallback when the inbox mover's thread
 * (inbox-move-worker.ts, same rules) is not running. Rows go in inbox-id order, each chunk one
 * transaction with the cursor; the inbox rows are deleted after it committed.
 */
import type { Clock } from '../core/clock'
import type { Logger } from '../core/logger'
import type { WriteBatcher } from '../store/write-batcher'
import type { TxStatus } from '../../../shared/api/transactions'
import { fromInboxRow, type InboxRepo } from './inbox-repo'
import type { TransactionsRepo } from './transactions-repo'
import type { Direction } from './types'

export interface MovedRow {
  id: number
  practiceId: string
  connector: string
  direction: Direction
  channel: string
  status: TxStatus
}

export interface InboxMoverDeps {
  inbox: InboxRepo
  repo: TransactionsRepo
  batcher: WriteBatcher
  clock: Clock
  logger: Logger
  /** Runs a function in one IMMEDIATE transaction on the main database, synchronously. */
  transact: <T>(fn: () => T) => T
  /**
   * After each committed move: the new transactions, how far the inbox has now been moved, and
   * where this move started (past rows the mover's thread may have moved but not yet announced).
   */
  onMoved(rows: MovedRow[], cursor: number, from: number): void
  chunkRows?: number
  /** Per chunk when moving in the background (fallback), so the event loop is never held long. */
  sliceMs?: number
}

const FETCH = 16

export class InboxMover {
  private timer: NodeJS.Timeout | null = null
  private running = false
  private cuedWhileRunning = false
  private active = false
  private stopped = false
  private readonly chunkRows: number
  private readonly sliceMs: number

  constructor(private readonly d: InboxMoverDeps) {
    this.chunkRows = d.chunkRows ?? 2000
    this.sliceMs = d.sliceMs ?? 4
  }

  /** Moves everything now, synchronously. */
  moveAll(): MovedRow[] {
    const all: MovedRow[] = []
    let cursor = 0
    let from: number | null = null
    for (;;) {
      const r = this.d.transact(() => this.moveSome(Infinity))
      this.d.inbox.deleteMoved(r.cursor)
      all.push(...r.moved)
      from ??= r.from
      cursor = r.cursor
      if (!r.more) break
    }
    this.d.onMoved(all, cursor, from ?? cursor)
    return all
  }

  /** From now on this thread moves in the background (the mover's thread is not running). */
  activate(): void {
    this.active = true
    this.schedule(0)
  }

  /** New rows were accepted. */
  cue(): void {
    if (!this.active) return
    // A chunk in progress may have read the inbox before these rows: look again after it.
    if (this.running) this.cuedWhileRunning = true
    else this.schedule(5)
  }

  stop(): void {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }

  private schedule(delayMs: number): void {
    if (this.timer || this.running || this.stopped) return
    this.timer = setTimeout(() => void this.tick(), delayMs)
  }

  private async tick(): Promise<void> {
    this.timer = null
    if (this.stopped) return
    this.running = true
    this.cuedWhileRunning = false
    let more = false
    try {
      const r = await this.d.batcher.run(() => this.moveSome(this.sliceMs))
      // Stopping may have closed the inbox connection meanwhile; the next start deletes these rows.
      if (!this.stopped) this.d.inbox.deleteMoved(r.cursor)
      more = r.more
      this.d.onMoved(r.moved, r.cursor, r.from)
    } catch (e) {
      // The rows stay in the inbox; the next cue (or the retry below) tries again.
      this.d.logger.error('moving accepted messages into transactions failed', { error: (e as Error).message })
      more = true
    } finally {
      this.running = false
    }
    if (more || this.cuedWhileRunning) this.schedule(0)
  }

  /** One chunk; runs inside a write transaction on the main database. */
  private moveSome(sliceMs: number): { moved: MovedRow[]; more: boolean; cursor: number; from: number } {
    const t0 = this.d.clock.monotonic()
    const from = this.d.inbox.cursor()
    let cursor = from
    const moved: MovedRow[] = []
    let n = 0
    let exhausted = false
    const search: [number, string][] = []
    take: while (n < this.chunkRows) {
      const rows = this.d.inbox.after(cursor, FETCH)
      for (const row of rows) {
        const tx = fromInboxRow(row)
        const r = this.d.repo.insert(tx, row.received_at, search)
        if (r.duplicate) this.d.logger.warn('an accepted message was already a transaction; keeping the first', { tx: r.id, controlId: tx.controlId })
        else moved.push({ id: r.id, practiceId: tx.practiceId, connector: tx.connector, direction: tx.direction, channel: tx.channel, status: r.status })
        cursor = row.id
        n++
        if (this.d.clock.monotonic() - t0 >= sliceMs) break take
      }
      if (rows.length < FETCH) {
        exhausted = true
        break
      }
    }
    this.d.repo.indexSearch(search)
    this.d.inbox.setCursor(cursor, this.d.clock.now())
    return { moved, more: !exhausted, cursor, from }
  }
}
