/**
 * Reads a big payload (a 5 MB MDM) on a thread of its own and moves it to the main thread without
 * a copy: reading it on the main connection (SQLCipher decrypting ~1,300 pages) was a 30–70 ms
 * slice of the event loop per message, in which the console's requests and the ACKs waited
 * (issue #15, goal 3; hl7-engine README, "Big messages"). Only the lanes' prefetch of a payload
 * over BIG_PAYLOAD_BYTES uses it; small payloads are read where they are processed.
 *
 * The row it reads was committed before the lane saw it (the mover's or an edit's COMMIT), so the
 * worker's own read transaction sees the same bytes. If the worker cannot start or dies, read()
 * rejects and the caller reads on the main connection, as before.
 */
import type { Worker } from 'node:worker_threads'
import { AppError } from '../../../shared/errors'
import type { Logger } from '../core/logger'
import { closeDbWorker, launchDbWorker } from '../store/db-worker'

// The same choice as TransactionsRepo.payloadOf: the edited version when there is one, else the original.
const SOURCE = `
const db = openDb(workerData.files.main)
const edited = db.prepare('SELECT raw FROM transaction_payloads WHERE tx_id = ? AND version = ?').pluck()
const original = db.prepare('SELECT raw FROM transaction_raw WHERE tx_id = ?').pluck()
parentPort.on('message', (m) => {
  if (m === 'close') { db.close(); parentPort.postMessage('closed'); return }
  const [seq, id, version] = m
  try {
    let raw = version > 0 ? edited.get(id, version) : undefined
    if (raw === undefined) raw = original.get(id)
    if (raw === undefined) { parentPort.postMessage([seq, null]); return }
    // Moved, not cloned; a view of a larger allocation is first copied on this thread.
    const own = raw.byteOffset === 0 && raw.byteLength === raw.buffer.byteLength ? raw : Buffer.from(raw)
    const bytes = new Uint8Array(own.buffer, 0, own.byteLength)
    parentPort.postMessage([seq, bytes], [bytes.buffer])
  } catch (e) {
    parentPort.postMessage([seq, null, e.code || 'SQLITE_ERROR'])
  }
})
parentPort.postMessage('ready')
`

export class PayloadReader {
  private seq = 0
  private readonly pending = new Map<number, { resolve: (b: Buffer) => void; reject: (e: unknown) => void }>()
  private dead = false

  private constructor(
    private readonly worker: Worker,
    private readonly logger: Logger,
  ) {
    worker.on('message', (m: unknown) => this.onMessage(m))
    worker.on('error', (e) => {
      this.logger.error('the payload reader failed; reading payloads on the main thread from now on', { error: e.message })
      this.die()
    })
    worker.on('exit', () => this.die())
  }

  /** Null when the worker cannot start (payloads are then read on the main connection). */
  static async start(o: { mainFile: string; keyHex: string; logger: Logger; walLimitBytes?: number }): Promise<PayloadReader | null> {
    const worker = await launchDbWorker({
      files: { main: o.mainFile },
      keyHex: o.keyHex,
      source: SOURCE,
      ...(o.walLimitBytes ? { walLimitBytes: o.walLimitBytes } : {}),
      what: 'the payload reader',
      fallback: 'the payload reader could not start; big payloads are read on the main thread',
      logger: o.logger,
    })
    return worker ? new PayloadReader(worker, o.logger) : null
  }

  /** The payload of transaction `id` (edited `version` if > 0 and present); empty when there is none (pruned). */
  read(id: number, version: number): Promise<Buffer> {
    if (this.dead) return Promise.reject(new AppError('db_locked', 'The payload reader is not running.', { retryable: true }))
    const seq = ++this.seq
    return new Promise<Buffer>((resolve, reject) => {
      this.pending.set(seq, { resolve, reject })
      this.worker.postMessage([seq, id, version])
    })
  }

  private onMessage(m: unknown): void {
    if (!Array.isArray(m)) return
    const [seq, bytes, code] = m as [number, Uint8Array | null, string | undefined]
    const p = this.pending.get(seq)
    this.pending.delete(seq)
    if (!p) return
    if (code) p.reject(new AppError('db_locked', `The payload reader could not read transaction payload (${code}).`, { retryable: true }))
    else p.resolve(bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : Buffer.alloc(0))
  }

  private die(): void {
    if (this.dead) return
    this.dead = true
    const err = new AppError('db_locked', 'The payload reader stopped.', { retryable: true })
    for (const p of this.pending.values()) p.reject(err)
    this.pending.clear()
  }

  async close(): Promise<void> {
    if (this.dead) return
    this.dead = true
    for (const p of this.pending.values()) p.reject(new AppError('db_locked', 'The payload reader stopped.', { retryable: true }))
    this.pending.clear()
    await closeDbWorker(this.worker)
  }
}
