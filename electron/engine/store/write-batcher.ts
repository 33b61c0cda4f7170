/**
 * Group commit. Callers queue small write functions; they are run together in one SQLite
 * transaction on the next turn of the event loop, so one fsync (synchronous=FULL) covers many
 * messages. Each function runs in its own savepoint: one failing write (say, a constraint) rolls
 * back only itself and rejects only its caller. A promise resolves only after COMMIT returned,
 * which is what "durable before acknowledged" needs.
 */
import type { Db } from './database'
import { mapSqliteError } from './database'

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
  private scheduled = false
  private closed = false
  readonly stats: WriteBatcherStats = { batches: 0, writes: 0, maxBatch: 0 }

  constructor(
    private readonly db: Db,
    private readonly maxBatch = 2000,
  ) {}

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

  /** Runs everything queued now. Called by the scheduler, and by close(). */
  flush(): void {
    this.scheduled = false
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch)
      const results: { ok: boolean; value: unknown }[] = []
      try {
        this.db
          .transaction(() => {
            for (const p of batch) {
              try {
                results.push({ ok: true, value: this.db.transaction(p.fn)() })
              } catch (e) {
                results.push({ ok: false, value: e })
              }
            }
          })
          .immediate()
      } catch (e) {
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
    this.flush()
    this.closed = true
  }
}
