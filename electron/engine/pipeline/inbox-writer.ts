/**
 * The acknowledgment path's store: commits accepted messages to the inbox (store/inbox-db.ts, its
 * own file) on a worker thread with its own connection (synchronous=FULL), so the fsync of one
 * group overlaps the socket work of the next instead of stalling the event loop. Group commit is
 * natural: whatever arrives while the worker is committing goes into its next transaction. A
 * promise from write() resolves only after the COMMIT holding that message returned.
 *
 * Dedup (same key in the same practice and channel) is decided inside that write transaction
 * against the inbox and then `transactions` (see original() for why in that order).
 *
 * If the worker cannot start or dies, `alive` turns false and the pipeline stores directly in
 * `transactions` on the main connection (slower, same guarantees); writes that were in flight are
 * rejected as retryable storage errors, which a listener answers with AE/CE so the peer resends.
 */
import type { Worker } from 'node:worker_threads'
import { AppError } from '../../../shared/errors'
import type { Logger } from '../core/logger'
import { mapSqliteError } from '../store/database'
import { closeDbWorker, launchDbWorker } from '../store/db-worker'
import { newDurability, type Durability } from '../store/write-batcher'

export interface InboxItem {
  practiceId: string
  channel: string
  dedupKey: string | null
  receivedAt: number
  /** The remaining IncomingTx fields as JSON (see inbox-repo.ts). */
  meta: string
  raw: Buffer
  response: string | null
  /** `raw` is the writer's to take (IncomingTx.handOverRaw). */
  handOver?: boolean
}

export interface InboxWriteResult {
  duplicate: boolean
  /** Where the row (or, for a duplicate, the original) is: the inbox, or already `transactions`. */
  table: 'inbox' | 'transactions'
  id: number
  /** For a duplicate, the response stored with the original. */
  response: string | null
}

export interface InboxWriterStats {
  batches: number
  writes: number
  /** Time the worker spent in accept commits (incl. waiting for the write lock), total and longest. */
  commitMs: number
  commitMaxMs: number
}

// Runs after db-worker.ts's prelude. A batch is one IMMEDIATE transaction on the inbox file;
// messages arriving while it commits queue on the port and form the next one. The main database
// is only read, for dedup against messages already moved.
const SOURCE = `
const inbox = openDb(workerData.files.inbox)
const main = openDb(workerData.files.main)
const findInbox = inbox.prepare('SELECT id, response FROM inbox WHERE practice_id = ? AND channel = ? AND dedup_key = ?')
const findTx = main.prepare('SELECT id, response FROM transactions WHERE practice_id = ? AND channel = ? AND dedup_key = ?')
const insert = inbox.prepare('INSERT INTO inbox (practice_id, channel, dedup_key, received_at, meta, raw, response) VALUES (?, ?, ?, ?, ?, ?, ?)')
const begin = inbox.prepare('BEGIN IMMEDIATE')
const commit = inbox.prepare('COMMIT')
const rollback = inbox.prepare('ROLLBACK')
let queue = []
let scheduled = false
// How far the main connection's commits are on disk (write-batcher.ts): a row found in
// transactions may belong to a batch committed but not yet synced; its answer waits for the sync.
const durability = new Int32Array(workerData.options.durability)
let held = []
let heldTimer = null

function releaseHeld() {
  heldTimer = null
  const synced = Atomics.load(durability, 1)
  const now = Date.now()
  const ready = [], failed = [], still = []
  for (const h of held) {
    if (synced >= h.need) ready.push(h.result)
    else if (now > h.until) failed.push(h.result[0])
    else still.push(h)
  }
  held = still
  if (ready.length > 0) parentPort.postMessage({ results: ready, ms: 0, late: true })
  if (failed.length > 0) parentPort.postMessage({ failed, code: 'SQLITE_BUSY', message: 'the original of this duplicate is not on disk yet' })
  if (held.length > 0) heldTimer = setTimeout(releaseHeld, 1)
}

// The inbox is asked first: the move inserts into transactions before it deletes from the inbox,
// so a key that has just left the inbox is already in transactions when that is asked second.
function original(practiceId, channel, key) {
  const a = findInbox.get(practiceId, channel, key)
  if (a) return ['inbox', a]
  const b = findTx.get(practiceId, channel, key)
  return b ? ['transactions', b] : null
}

function flush() {
  scheduled = false
  const batch = queue
  queue = []
  if (batch.length === 0) return
  const out = []
  const t0 = performance.now()
  try {
    beginWithRetry(begin, workerData.options.lockWaitMs)
    for (const it of batch) {
      const seq = it[0], practiceId = it[1], channel = it[2], key = it[3]
      try {
        const hit = key === null ? null : original(practiceId, channel, key)
        if (hit) {
          const result = [seq, 1, hit[0], hit[1].id, hit[1].response]
          const need = hit[0] === 'transactions' ? Atomics.load(durability, 0) : 0
          if (Atomics.load(durability, 1) >= need) out.push(result)
          else held.push({ result, need, until: Date.now() + workerData.options.lockWaitMs })
          continue
        }
        const raw = Buffer.from(it[6].buffer, it[6].byteOffset, it[6].byteLength)
        const r = insert.run(practiceId, channel, key, it[4], it[5], raw, it[7])
        out.push([seq, 0, 'inbox', Number(r.lastInsertRowid), null])
      } catch (e) {
        // A statement error rolls back only that statement unless it ended the transaction.
        if (!inbox.inTransaction) throw e
        out.push([seq, -1, e.code || 'SQLITE_ERROR', e.message])
      }
    }
    commit.run()
  } catch (e) {
    if (inbox.inTransaction) { try { rollback.run() } catch {} }
    parentPort.postMessage({ failed: batch.map((it) => it[0]), code: e.code || 'SQLITE_ERROR', message: e.message })
    return
  }
  parentPort.postMessage({ results: out, ms: performance.now() - t0 })
  if (held.length > 0 && heldTimer === null) heldTimer = setTimeout(releaseHeld, 1)
}
parentPort.on('message', (m) => {
  if (m === 'close') {
    flush()
    if (heldTimer !== null) clearTimeout(heldTimer)
    if (held.length > 0) parentPort.postMessage({ failed: held.map((h) => h.result[0]), code: 'SQLITE_BUSY', message: 'closing' })
    inbox.close()
    main.close()
    parentPort.postMessage('closed')
    return
  }
  for (const it of m) queue.push(it)
  if (!scheduled) { scheduled = true; setImmediate(flush) }
})
parentPort.postMessage('ready')
`

type Result = [seq: number, kind: 0 | 1, table: 'inbox' | 'transactions', id: number, response: string | null] | [seq: number, kind: -1, code: string, message: string]

interface Pending {
  resolve: (r: InboxWriteResult) => void
  reject: (e: unknown) => void
}

export class InboxWriter {
  readonly stats: InboxWriterStats = { batches: 0, writes: 0, commitMs: 0, commitMaxMs: 0 }
  private seq = 0
  private readonly pending = new Map<number, Pending>()
  private outbox: unknown[][] = []
  private transfer: ArrayBuffer[] = []
  private posting = false
  private closing = false
  private dead = false
  private readonly committedListeners: (() => void)[] = []

  private constructor(
    private readonly worker: Worker,
    private readonly logger: Logger,
  ) {
    worker.on('message', (m: unknown) => this.onMessage(m))
    worker.on('error', (e) => {
      this.logger.error('the ingest writer failed; storing on the main thread from now on', { error: e.message })
      this.die()
    })
    worker.on('exit', () => this.die())
  }

  /** Null when the worker cannot start (the caller stores on the main connection instead). */
  static async start(o: { mainFile: string; inboxFile: string; keyHex: string; logger: Logger; lockWaitMs?: number; durability?: Durability; walLimitBytes?: number }): Promise<InboxWriter | null> {
    const worker = await launchDbWorker({
      files: { main: o.mainFile, inbox: o.inboxFile },
      keyHex: o.keyHex,
      source: SOURCE,
      options: { lockWaitMs: o.lockWaitMs ?? 10_000, durability: (o.durability ?? newDurability()).buffer },
      ...(o.walLimitBytes ? { walLimitBytes: o.walLimitBytes } : {}),
      what: 'the ingest writer',
      fallback: 'the ingest writer could not start; received messages are stored on the main thread',
      logger: o.logger,
    })
    return worker ? new InboxWriter(worker, o.logger) : null
  }

  get alive(): boolean {
    return !this.dead && !this.closing
  }

  /** Called after every commit that stored new rows (the mover's cue). */
  onCommitted(fn: () => void): void {
    this.committedListeners.push(fn)
  }

  write(item: InboxItem): Promise<InboxWriteResult> {
    if (!this.alive) return Promise.reject(new AppError('db_locked', 'The ingest writer is not running.', { retryable: true }))
    const seq = ++this.seq
    return new Promise<InboxWriteResult>((resolve, reject) => {
      this.pending.set(seq, { resolve, reject })
      // Transferred, never cloned: posting a Buffer would clone the whole socket chunk (or 8 KB
      // pool slab) it is a view of. A handed-over frame that is its whole memory (a received
      // frame over 4 KB) moves as it is; anything else goes as an exact-size copy. The copy of
      // a 5 MB frame was a quarter of its receive on this thread (hl7-engine/speed-log.md, "Big messages").
      const own = item.handOver === true && item.raw.byteOffset === 0 && item.raw.byteLength === item.raw.buffer.byteLength && !(item.raw.buffer instanceof SharedArrayBuffer)
      const raw = own ? new Uint8Array(item.raw.buffer) : new Uint8Array(item.raw)
      this.transfer.push(raw.buffer as ArrayBuffer)
      this.outbox.push([seq, item.practiceId, item.channel, item.dedupKey, item.receivedAt, item.meta, raw, item.response])
      if (!this.posting) {
        this.posting = true
        // Everything queued in this turn of the event loop travels as one message.
        setImmediate(() => this.post())
      }
    })
  }

  private post(): void {
    this.posting = false
    const items = this.outbox
    const transfer = this.transfer
    this.outbox = []
    this.transfer = []
    if (items.length > 0) this.worker.postMessage(items, transfer)
  }

  private onMessage(m: unknown): void {
    const msg = m as { results?: Result[]; failed?: number[]; code?: string; message?: string; ms?: number; late?: boolean }
    if (msg.failed) {
      const err = mapSqliteError(Object.assign(new Error(msg.message ?? 'write failed'), { code: msg.code }))
      this.logger.error('ingest commit failed', { code: msg.code, messages: msg.failed.length })
      for (const seq of msg.failed) this.settle(seq)?.reject(err)
      return
    }
    if (!msg.results) return
    if (!msg.late) {
      this.stats.batches++
      this.stats.writes += msg.results.length
      this.stats.commitMs += msg.ms ?? 0
    }
    this.stats.commitMaxMs = Math.max(this.stats.commitMaxMs, msg.ms ?? 0)
    let stored = false
    for (const r of msg.results) {
      const p = this.settle(r[0])
      if (!p) continue
      if (r[1] === -1) p.reject(mapSqliteError(Object.assign(new Error(r[3]), { code: r[2] })))
      else {
        stored ||= r[1] === 0
        p.resolve({ duplicate: r[1] === 1, table: r[2], id: r[3], response: r[4] })
      }
    }
    if (stored) for (const fn of this.committedListeners) fn()
  }

  private settle(seq: number): Pending | undefined {
    const p = this.pending.get(seq)
    this.pending.delete(seq)
    return p
  }

  private die(): void {
    if (this.dead) return
    this.dead = true
    const err = new AppError('db_locked', 'The ingest writer stopped before this message was committed.', { retryable: true })
    for (const p of this.pending.values()) p.reject(err)
    this.pending.clear()
  }

  /** Commits what is queued, then stops the worker. */
  async close(): Promise<void> {
    if (this.dead || this.closing) return
    this.closing = true
    this.post()
    await closeDbWorker(this.worker)
  }
}
