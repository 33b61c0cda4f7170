/**
 * Group commit. Callers queue small write functions; they are run together in one SQLite
 * transaction on the next turn of the event loop, so one fsync (synchronous=FULL) covers many
 * messages. Each function runs in its own savepoint: one failing write (say, a constraint) rolls
 * back only itself and rejects only its caller. A promise resolves only after COMMIT returned,
 * which is what "durable before acknowledged" needs.
 */
import type { Db } from './database'
import { mapSqliteError } from './database'

/** How long a batch waits for another connection's write lock before it fails (database.ts sets the same busy_timeout). */
const LOCK_WAIT_MS = 5000

interface Pending {
  fn: () => unknown
  resolve: (v: unknown) => void
  reject: (e: unknown) => void
}

export interface WriteBatcherStats {
  batches: number
  writes: number
  maxBatch: number
}

export class WriteBatcher {
  private queue: Pending[] = []
  private busySince: number | null = null
  private readonly begin
  private readonly commit
  private readonly rollback
  private scheduled = false
  private closed = false
  readonly stats: WriteBatcherStats = { batches: 0, writes: 0, maxBatch: 0 }

  constructor(
    private readonly db: Db,
    private readonly maxBatch = 2000,
  ) {
    this.begin = db.prepare('BEGIN IMMEDIATE')
    this.commit = db.prepare('COMMIT')
    this.rollback = db.prepare('ROLLBACK')
  }

  run<T>(fn: () => T): Promise<T> {
    if (this.closed) return Promise.reject(mapSqliteError(Object.assign(new Error('store closed'), { code: 'SQLITE_MISUSE' })))
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject })
      if (!this.scheduled) {
        this.scheduled = true
        setImmediate(() => this.flush())
      }
    })
  }

  /** Runs everything queued now. Called by the scheduler, and (waiting for the lock) by close(). */
  flush(wait = false): void {
    this.scheduled = false
    while (this.queue.length > 0) {
      const lock = wait ? this.lockWaiting() : this.tryLock()
      if (lock === 'busy') {
        // Another connection (the inbox mover's thread) is writing: come back in a millisecond
        // instead of sleeping in SQLite's busy handler with the event loop stopped.
        this.scheduled = true
        setTimeout(() => this.flush(), 1)
        return
      }
      const batch = this.queue.splice(0, this.maxBatch)
      if (lock !== 'locked') {
        const err = mapSqliteError(lock)
        for (const p of batch) p.reject(err)
        continue
      }
      const results: { ok: boolean; value: unknown }[] = []
      try {
        // Inside the open transaction, each write is a savepoint of its own.
        for (const p of batch) {
          try {
            results.push({ ok: true, value: this.db.transaction(p.fn)() })
          } catch (e) {
            results.push({ ok: false, value: e })
          }
        }
        this.commit.run()
      } catch (e) {
        if (this.db.inTransaction) this.rollback.run()
        const err = mapSqliteError(e)
        for (const p of batch) p.reject(err)
        continue
      }
      this.stats.batches++
      this.stats.writes += batch.length
      this.stats.maxBatch = Math.max(this.stats.maxBatch, batch.length)
      batch.forEach((p, i) => {
        const r = results[i]
        if (r.ok) p.resolve(r.value)
        else p.reject(r.value)
      })
    }
  }

  close(): void {
    this.flush(true)
    this.closed = true
  }

  /** BEGIN IMMEDIATE without waiting: 'busy' while another connection holds the write lock (up to LOCK_WAIT_MS in all). */
  private tryLock(): 'locked' | 'busy' | Error {
    // (A prepared PRAGMA would not do: SQLite applies busy_timeout when the statement is compiled.)
    this.db.pragma('busy_timeout = 0')
    try {
      this.begin.run()
      this.busySince = null
      return 'locked'
    } catch (e) {
      const code = (e as { code?: string }).code
      this.busySince ??= Date.now()
      if (code === 'SQLITE_BUSY' && Date.now() - this.busySince < LOCK_WAIT_MS) return 'busy'
      this.busySince = null
      return e as Error
    } finally {
      this.db.pragma(`busy_timeout = ${LOCK_WAIT_MS}`)
    }
  }

  private lockWaiting(): 'locked' | Error {
    try {
      this.begin.run()
      return 'locked'
    } catch (e) {
      return e as Error
    }
  }
}
