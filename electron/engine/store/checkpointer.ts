/**
 * WAL checkpoints on their own thread. SQLite's automatic checkpoint runs inside whichever commit
 * crosses 1,000 WAL pages and copies them all to the database file with an fsync: measured here,
 * that commit took 20–50 ms instead of ~1 ms, and every ACK waiting behind it paid the same.
 * With the checkpointer running, automatic checkpoints are off on every connection and a PASSIVE
 * checkpoint (which never blocks writers or readers) runs every `intervalMs` on a worker thread.
 * If the worker cannot start, the main connection keeps automatic checkpoints.
 *
 * The WAL is bounded while running (the probe found 447 MB beside a 66 MB database, and 1.2–2.6
 * GB during a fuzz run, because only a clean stop truncated it):
 * - every connection has `journal_size_limit = walLimitBytes`, so whenever the WAL restarts its
 *   file is cut back to that size;
 * - a WAL above `walLimitBytes` that stopped growing and is fully copied is checkpointed with
 *   TRUNCATE (file to zero) at once, without waiting for anyone;
 * - a WAL above `forceFactor × walLimitBytes` (writers that never pause, so PASSIVE never catches
 *   up) gets a RESTART checkpoint that waits up to `forceWaitMs` (250 ms, so one busy file
 *   never holds up the other's turn) for the writers' lock and readers: commits then wait for the
 *   copy (the ingest writer's lock wait is 10 s), nothing fails; busy means the next round. The
 *   next commit writes the WAL from its start again and cuts the file to `walLimitBytes`
 *   (journal_size_limit). RESTART, not TRUNCATE: under load, cutting the file to zero made that
 *   wait 41–93 ms against 0–61 ms, and every commit after it appended to a file growing again
 *   (a dearer fdatasync than overwriting); measured in hl7-engine/speed-log.md. An idle WAL over
 *   the limit is still cut to zero (above).
 *   `forceFactor` is 1 (it was 2): under a sustained burst three threads' overlapping short reads
 *   keep the WAL from ever restarting, so nothing cut it until it passed twice the limit, and the
 *   disk soak saw peaks of 2.1×. Forcing at the limit itself leaves one round's growth as the
 *   overshoot. A read that lasts (a long export) still pins the WAL: no checkpoint can pass it.
 */
import type { Worker } from 'node:worker_threads'
import type { Logger } from '../core/logger'
import type { Db } from './database'
import { closeDbWorker, launchDbWorker } from './db-worker'

/** Above the limit by this factor, a WAL still growing gets a checkpoint that makes writers wait (see the header). */
export const WAL_FORCE_FACTOR = 1

/**
 * What one round does with a WAL of `size` bytes, as the checkpoint mode to run (plain,
 * self-contained: its source is copied into the worker): nothing at or under the limit; TRUNCATE
 * (cut to zero, waiting for no one) when idle (nothing appended since the last round) and fully
 * copied; above `forceFactor × limit` a RESTART that waits for the writers.
 */
export function walAction(w: { size: number; steady: boolean; copied: boolean; limit: number; forceFactor: number }): 'none' | 'TRUNCATE' | 'RESTART' {
  if (w.size <= w.limit) return 'none'
  if (w.steady && w.copied) return 'TRUNCATE'
  return w.size > w.limit * w.forceFactor ? 'RESTART' : 'none'
}

const SOURCE = `
const { statSync } = require('node:fs')
const files = Object.values(workerData.files)
const dbs = files.map((f) => openDb(f))
const limit = workerData.walLimitBytes
const o = workerData.options
const walSize = (f) => { try { return statSync(f + '-wal').size } catch { return 0 } }
const lastSize = files.map(() => -1)
let failures = 0
// A checkpoint that may wait for the writers (see the header): the lock wait is bounded, and busy only means "later".
function cut(db, mode, waitMs) {
  db.pragma('busy_timeout = ' + waitMs)
  try {
    db.pragma('wal_checkpoint(' + mode + ')')
  } finally {
    db.pragma('busy_timeout = 0')
  }
}
const walAction = ${walAction.toString()}
const timer = setInterval(() => {
  try {
    dbs.forEach((db, i) => {
      const r = db.pragma('wal_checkpoint(PASSIVE)')[0]
      const size = walSize(files[i])
      const steady = size === lastSize[i]
      lastSize[i] = size
      const action = walAction({ size, steady, copied: Boolean(r && r.log === r.checkpointed), limit, forceFactor: o.forceFactor })
      if (action !== 'none') cut(db, action, action === 'RESTART' ? o.forceWaitMs : 0)
    })
    failures = 0
  } catch (e) {
    // Busy or I/O trouble: the next round retries; the main thread hears about repeated failures.
    if (++failures === 10) parentPort.postMessage({ warn: e.code || e.message })
  }
}, o.intervalMs)
parentPort.on('message', (m) => {
  if (m !== 'close') return
  clearInterval(timer)
  for (const db of dbs) {
    try { db.pragma('wal_checkpoint(PASSIVE)') } catch {}
    db.close()
  }
  parentPort.postMessage('closed')
})
parentPort.postMessage('ready')
`

export const DEFAULT_AUTOCHECKPOINT_PAGES = 1000

export class Checkpointer {
  private closing = false

  private constructor(private readonly worker: Worker) {}

  /**
   * Starts the worker for `files` and turns automatic checkpoints off on the main thread's
   * connections `dbs`; null (automatic checkpoints kept) when it cannot start. The other workers'
   * connections never checkpoint automatically (db-worker.ts).
   */
  static async start(o: { dbs: Db[]; files: string[]; keyHex: string; logger: Logger; intervalMs?: number; walLimitBytes?: number; forceFactor?: number; forceWaitMs?: number }): Promise<Checkpointer | null> {
    const files = Object.fromEntries(o.files.map((f, i) => [String(i), f]))
    const worker = await launchDbWorker({
      files,
      keyHex: o.keyHex,
      source: SOURCE,
      options: { intervalMs: o.intervalMs ?? 100, forceFactor: o.forceFactor ?? WAL_FORCE_FACTOR, forceWaitMs: o.forceWaitMs ?? 250 },
      ...(o.walLimitBytes ? { walLimitBytes: o.walLimitBytes } : {}),
      what: 'the WAL checkpointer',
      fallback: 'WAL checkpoints stay in the writing thread',
      logger: o.logger,
    })
    if (!worker) return null
    const cp = new Checkpointer(worker)
    worker.on('message', (m: { warn?: string }) => {
      if (m && typeof m === 'object' && m.warn) o.logger.warn('WAL checkpoints keep failing', { code: m.warn })
    })
    worker.on('exit', () => {
      // Died (or closed): the main connections must checkpoint again or the WALs grow without bound.
      if (!cp.closing) o.logger.error('the WAL checkpointer stopped; automatic checkpoints are back on')
      for (const db of o.dbs) if (db.open) db.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`)
    })
    worker.on('error', (e) => o.logger.error('the WAL checkpointer failed', { error: e.message }))
    for (const db of o.dbs) db.pragma('wal_autocheckpoint = 0')
    return cp
  }

  /** Stops the worker; the main connection checkpoints automatically again (and on close). */
  async close(): Promise<void> {
    if (this.closing) return
    this.closing = true
    await closeDbWorker(this.worker)
  }
}
