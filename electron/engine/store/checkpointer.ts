/**
 * WAL checkpoints on their own thread. SQLite's automatic checkpoint runs inside whichever commit
 * crosses 1,000 WAL pages and copies them all to the database file with an fsync: measured here,
 * that commit took 20–50 ms instead of ~1 ms, and every ACK waiting behind it paid the same.
 * With the checkpointer running, automatic checkpoints are off on every connection and a PASSIVE
 * checkpoint (which never blocks writers or readers) runs every `intervalMs` on a worker thread.
 * If the worker cannot start, the main connection keeps automatic checkpoints.
 */
import type { Worker } from 'node:worker_threads'
import type { Logger } from '../core/logger'
import type { Db } from './database'
import { closeDbWorker, launchDbWorker } from './db-worker'

const SOURCE = `
const dbs = Object.values(workerData.files).map((f) => openDb(f))
let failures = 0
const timer = setInterval(() => {
  try {
    for (const db of dbs) db.pragma('wal_checkpoint(PASSIVE)')
    failures = 0
  } catch (e) {
    // Busy or I/O trouble: the next round retries; the main thread hears about repeated failures.
    if (++failures === 10) parentPort.postMessage({ warn: e.code || e.message })
  }
}, workerData.options.intervalMs)
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
  static async start(o: { dbs: Db[]; files: string[]; keyHex: string; logger: Logger; intervalMs?: number }): Promise<Checkpointer | null> {
    const files = Object.fromEntries(o.files.map((f, i) => [String(i), f]))
    const worker = await launchDbWorker({ files, keyHex: o.keyHex, source: SOURCE, options: { intervalMs: o.intervalMs ?? 100 }, what: 'the WAL checkpointer', fallback: 'WAL checkpoints stay in the writing thread', logger: o.logger })
    if (!worker) return null
    worker.on('message', (m: { warn?: string }) => {
      if (m && typeof m === 'object' && m.warn) o.logger.warn('WAL checkpoints keep failing', { code: m.warn })
    })
    const cp = new Checkpointer(worker)
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
