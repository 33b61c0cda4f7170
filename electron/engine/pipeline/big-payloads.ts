/**
 * A big payload's heavy store work (a 5 MB MDM), on a thread of its own so the engine thread that
 * answers the console and the ACKs never spends a long slice on it (issue #15, goal 3;
 * hl7-engine/speed-log.md, "Big messages"):
 * - `read`: the payload, moved to the main thread without a copy. Reading it on the main
 *   connection (SQLCipher decrypting ~1,300 pages) was a 30–70 ms slice per message.
 * - `storeBody`: a document body the row is about to refer to, written into `bodies` by its
 *   SHA-256 and committed (synchronous=FULL) before the group that refers to it begins. Its
 *   INSERT and its share of the group's COMMIT were the last 41–61 ms slice (speed8b).
 *
 * Only rows whose payload is over BIG_PAYLOAD_BYTES use it. The row it reads was committed before
 * the lane saw it (the mover's or an edit's COMMIT), so the worker's own read transaction sees the
 * same bytes. A body it stored and no group ever refers to (a kill before the COMMIT, an apply that
 * failed) is harmless: the same body is found by its hash and reused by the next attempt, and
 * retention deletes unreferenced bodies after a grace period (maintenance/retention-repo.ts). If
 * the worker cannot start or dies, its calls reject and the caller does the work on the main
 * connection, as before.
 */
import type { Worker } from 'node:worker_threads'
import { AppError } from '../../../shared/errors'
import type { Logger } from '../core/logger'
import { closeDbWorker, launchDbWorker } from '../store/db-worker'

// The same choice as TransactionsRepo.payloadOf: the edited version when there is one, else the original.
// A body arrives as its UTF-8 bytes, moved here; it is hashed here, not on the main thread, as
// RecordStore does it, and its bytes are moved back once written: this thread, idle between big
// rows, would otherwise hold them until its next garbage collection.
const SOURCE = `
const { createHash } = require('node:crypto')
const db = openDb(workerData.files.main)
// Prepared at first use: a statement names its table when it is prepared.
const statements = new Map()
function st(sql) {
  let s = statements.get(sql)
  if (!s) statements.set(sql, (s = db.prepare(sql)))
  return s
}
const edited = (id, version) => st('SELECT raw FROM transaction_payloads WHERE tx_id = ? AND version = ?').pluck().get(id, version)
const original = (id) => st('SELECT raw FROM transaction_raw WHERE tx_id = ?').pluck().get(id)
function read(seq, id, version) {
  let raw = version > 0 ? edited(id, version) : undefined
  if (raw === undefined) raw = original(id)
  if (raw === undefined) { parentPort.postMessage([seq, null]); return }
  // Moved, not cloned; a view of a larger allocation is first copied on this thread.
  const own = raw.byteOffset === 0 && raw.byteLength === raw.buffer.byteLength ? raw : Buffer.from(raw)
  const bytes = new Uint8Array(own.buffer, 0, own.byteLength)
  parentPort.postMessage([seq, bytes], [bytes.buffer])
}
function storeBody(seq, bytes) {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const sha256 = createHash('sha256').update(buf).digest('hex')
  if (st('SELECT 1 FROM bodies WHERE sha256 = ?').pluck().get(sha256) === undefined) {
    beginWithRetry(st('BEGIN IMMEDIATE'), 5000)
    try {
      st('INSERT INTO bodies (sha256, bytes, stored_at, body) VALUES (?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING').run(sha256, buf.length, Date.now(), buf)
      st('COMMIT').run()
    } catch (e) {
      if (db.inTransaction) st('ROLLBACK').run()
      throw e
    }
  }
  parentPort.postMessage([seq, { sha256, bytes: buf.length }, undefined, bytes], [bytes.buffer])
}
parentPort.on('message', (m) => {
  if (m === 'close') { db.close(); parentPort.postMessage('closed'); return }
  const seq = m[1]
  try {
    if (m[0] === 'read') read(seq, m[2], m[3])
    else storeBody(seq, m[2])
  } catch (e) {
    parentPort.postMessage([seq, null, e.code || 'SQLITE_ERROR'])
  }
})
parentPort.postMessage('ready')
`

/** A body as `bodies` keys it: the SHA-256 (hex) and length of its UTF-8. */
export interface StoredBody {
  sha256: string
  bytes: number
}

export class BigPayloads {
  private seq = 0
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void; what: string }>()
  private dead = false

  private constructor(
    private readonly worker: Worker,
    private readonly logger: Logger,
  ) {
    worker.on('message', (m: unknown) => this.onMessage(m))
    worker.on('error', (e) => {
      this.logger.error('the big-payload thread failed; reading payloads and writing bodies on the main thread from now on', { error: e.message })
      this.die()
    })
    worker.on('exit', () => this.die())
  }

  /** Null when the worker cannot start (the work is then done on the main connection). */
  static async start(o: { mainFile: string; keyHex: string; logger: Logger; walLimitBytes?: number }): Promise<BigPayloads | null> {
    const worker = await launchDbWorker({
      files: { main: o.mainFile },
      keyHex: o.keyHex,
      source: SOURCE,
      ...(o.walLimitBytes ? { walLimitBytes: o.walLimitBytes } : {}),
      what: 'the big-payload thread',
      fallback: 'the big-payload thread could not start; big payloads are read and their bodies written on the main thread',
      logger: o.logger,
    })
    return worker ? new BigPayloads(worker, o.logger) : null
  }

  /** The payload of transaction `id` (edited `version` if > 0 and present); empty when there is none (pruned). */
  async read(id: number, version: number): Promise<Buffer> {
    const bytes = (await this.call(['read', id, version], 'read transaction payload')) as Uint8Array | null
    return bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : Buffer.alloc(0)
  }

  /** Stores `text` (UTF-8) in `bodies` unless that body is there; resolves once it is on disk. */
  storeBody(text: string): Promise<StoredBody> {
    // Encoding here and moving the bytes costs this thread what cloning the text would (~9 ms for
    // 5 MB, measured), and leaves no copy on the worker's heap.
    const buf = Buffer.from(text, 'utf8')
    // A small body shares the buffer pool's memory: copied into its own, which can be moved.
    const bytes = buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength ? new Uint8Array(buf.buffer) : new Uint8Array(buf)
    return this.call(['body', bytes], 'store a document body', [bytes.buffer]) as Promise<StoredBody>
  }

  private call(m: unknown[], what: string, transfer: ArrayBuffer[] = []): Promise<unknown> {
    if (this.dead) return Promise.reject(new AppError('db_locked', 'The big-payload thread is not running.', { retryable: true }))
    const seq = ++this.seq
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject, what })
      this.worker.postMessage([m[0], seq, ...m.slice(1)], transfer)
    })
  }

  private onMessage(m: unknown): void {
    if (!Array.isArray(m)) return
    const [seq, value, code] = m as [number, unknown, string | undefined]
    const p = this.pending.get(seq)
    this.pending.delete(seq)
    if (!p) return
    if (code) p.reject(new AppError('db_locked', `The big-payload thread could not ${p.what} (${code}).`, { retryable: true }))
    else p.resolve(value)
  }

  private die(): void {
    if (this.dead) return
    this.dead = true
    const err = new AppError('db_locked', 'The big-payload thread stopped.', { retryable: true })
    for (const p of this.pending.values()) p.reject(err)
    this.pending.clear()
  }

  async close(): Promise<void> {
    if (this.dead) return
    this.die()
    await closeDbWorker(this.worker)
  }
}
