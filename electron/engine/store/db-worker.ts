/**
 * Connections to the encrypted databases on their own thread, for work that must not stall the
 * event loop that answers peers: the ingest writer's commits (each waits for an fsync), the move
 * of accepted messages into transactions, the read of a big payload for processing, and WAL
 * checkpoints (which copy and fsync many pages).
 *
 * The worker's code is plain JavaScript source run with `eval: true`, so it needs no build entry
 * of its own and runs unchanged under Electron, the bundled headless server, tsx and Vitest. It
 * requires the SQLite module by the absolute path the main thread resolved, and opens the file
 * with the same cipher settings as openDatabase() (database.ts); the key travels in workerData,
 * which stays inside this process.
 */
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { DEFAULT_ENGINE_SETTINGS } from '../core/engine-settings'
import type { Logger } from '../core/logger'

/** Shared by every worker source: `openDb(file, synchronous)`, `sleepMs()` and `beginWithRetry()`. */
const PRELUDE = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.sqlitePath)
function openDb(file, synchronous) {
  const db = new Database(file)
  db.pragma("cipher='sqlcipher'")
  db.pragma('legacy=4')
  db.pragma('key="x' + "'" + workerData.keyHex + "'" + '"')
  db.prepare('SELECT count(*) AS n FROM sqlite_master').get()
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = ' + (synchronous || 'FULL'))
  db.pragma('temp_store = MEMORY')
  // Lock waits are handled by beginWithRetry(): SQLite's own busy handler sleeps 1, 2, 5, 10 ms...
  db.pragma('busy_timeout = 0')
  db.pragma('wal_autocheckpoint = 0')
  // Whenever this connection restarts the WAL, the file is cut back to this size (never kept at its peak).
  db.pragma('journal_size_limit = ' + workerData.walLimitBytes)
  return db
}
const sleeper = new Int32Array(new SharedArrayBuffer(4))
function sleepMs(ms) { Atomics.wait(sleeper, 0, 0, ms) }
function beginWithRetry(begin, waitMs) {
  const until = Date.now() + waitMs
  for (;;) {
    try { begin.run(); return } catch (e) {
      if (e.code !== 'SQLITE_BUSY' || Date.now() > until) throw e
      sleepMs(0.2)
    }
  }
}
`

/** Where the SQLite module lives, for a worker to require (eval'd code has no module of its own to resolve from). */
export function resolveSqliteModule(): string {
  const anchor = typeof __filename === 'string' ? __filename : join(process.cwd(), 'index.js')
  return createRequire(anchor).resolve('better-sqlite3-multiple-ciphers')
}

export interface DbWorkerOptions {
  /** Database files the worker opens, in `workerData.files` (all encrypted with the same key). */
  files: Record<string, string>
  keyHex: string
  /** JavaScript run after the prelude; `workerData.options` holds `options`. */
  source: string
  options?: Record<string, unknown>
  /** `journal_size_limit` of the worker's connections (engine-settings.ts walLimitBytes). */
  walLimitBytes?: number
}

/**
 * Starts a worker and waits for its `ready`. Null, after logging `fallback`, when it cannot start:
 * every caller has a main-thread way to do the same work. The running worker is unref'd (listeners
 * and timers keep the process alive, not these threads) until closeDbWorker().
 */
export async function launchDbWorker(o: DbWorkerOptions & { what: string; fallback: string; logger: Logger }): Promise<Worker | null> {
  let worker: Worker | null = null
  try {
    worker = new Worker(PRELUDE + o.source, {
      eval: true,
      workerData: { sqlitePath: resolveSqliteModule(), files: o.files, keyHex: o.keyHex, options: o.options ?? {}, walLimitBytes: o.walLimitBytes ?? DEFAULT_ENGINE_SETTINGS.walLimitBytes },
    })
    await whenReady(worker, o.what)
  } catch (e) {
    if (worker) void worker.terminate()
    o.logger.warn(o.fallback, { reason: (e as Error).message })
    return null
  }
  worker.unref()
  return worker
}

/**
 * Asks a worker to finish (its source answers `close` by finishing its work, closing its
 * connections and posting `closed`) and waits until it has exited, keeping the process up meanwhile.
 */
export async function closeDbWorker(w: Worker): Promise<void> {
  const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()))
  w.on('message', (m) => {
    if (m === 'closed') void w.terminate()
  })
  w.ref()
  w.postMessage('close')
  await exited
}

/** Resolves on the worker's first message when it is `ready`; rejects on an error, an exit or anything else. */
function whenReady(w: Worker, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: unknown): void => {
      cleanup()
      if (m === 'ready') resolve()
      else reject(new Error(`${what} did not start: ${JSON.stringify(m)}`))
    }
    const onError = (e: Error): void => {
      cleanup()
      reject(new Error(`${what} did not start: ${e.message}`))
    }
    const onExit = (code: number): void => {
      cleanup()
      reject(new Error(`${what} exited with code ${code} while starting`))
    }
    const cleanup = (): void => {
      w.off('message', onMessage)
      w.off('error', onError)
      w.off('exit', onExit)
    }
    w.on('message', onMessage)
    w.on('error', onError)
    w.on('exit', onExit)
  })
}
