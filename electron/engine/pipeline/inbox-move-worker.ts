/**
 * Moves accepted messages from the inbox file into `transactions` on a worker thread of its own,
 * so neither the acknowledgment path (the ingest writer, another file and thread) nor the event
 * loop waits for the move's large commits: a moved row costs ~75 µs (a dozen indexes and the
 * full-text index), an accepted one a few µs plus its share of one fsync.
 *
 * One chunk is one transaction on the main database: rows in inbox-id order, inserted with the
 * same statement and values as TransactionsRepo.insert() gives a received row, plus the cursor
 * (`inbox_moves`). Only after that commit are the rows deleted from the inbox; a crash in between
 * leaves rows at or below the cursor, which are deleted, not moved again.
 *
 * Under load (the writer committed within `busyMs`) moves take at most `duty` of this thread, so
 * the fsyncs and CPU they need do not crowd out accepting; a backlog is moved as soon as it eases.
 * If this worker cannot start or dies, the pipeline moves on the main thread (inbox-mover.ts).
 */
import type { Worker } from 'node:worker_threads'
import type { Logger } from '../core/logger'
import { closeDbWorker, launchDbWorker } from '../store/db-worker'
import { openWalForSync } from '../store/write-batcher'
import type { MovedRow } from './inbox-mover'
import { MAX_FTS_CHARS, TX_FTS_SQL, TX_INSERT_SQL, TX_RAW_SQL } from './transactions-repo'
import type { Direction } from './types'

export interface MoveOptions {
  /** Rows per chunk at most. */
  chunkRows: number
  /** A chunk stops taking rows after this much work. */
  sliceMs: number
  /** Delay between the writer's commit and the move of what it stored (a few commits per chunk). */
  pauseMs: number
  /** Share of this thread's time moves may take while messages keep arriving (a commit within busyMs). */
  duty: number
  /**
   * Share of this thread's time moves may take while draining a backlog with the sockets quiet. Below 1
   * so the main file's write lock is free between chunks: an engine-thread write outside the write
   * batcher waits in SQLite's busy handler, which looks again only every 25–100 ms.
   */
  idleDuty: number
  busyMs: number
  /** Look for rows every so often even without a cue (rows left by a writer that has died). */
  idleMs: number
  /** Once the inbox is empty with at least this much free space in its file, the file is rebuilt small (VACUUM). */
  reclaimBytes: number
  /** At most one reclaim attempt this often. */
  reclaimEveryMs: number
}

// sliceMs: every commit on a database file empties the page cache of every other connection to it
// (SQLite's WAL read check resets a connection's whole cache when the WAL changed), so each chunk
// this thread commits makes the engine thread's next group re-read and decrypt its pages, and each
// group the engine commits does the same to this thread's next chunk. Chunks of 4 ms made the engine
// thread read 19–85 KB a processed message while ingest ran (1 KB with no mover writing); 40 ms
// chunks, 3.3–7.4 KB, and the mover's cost a row fell ~3×. Longer holds of the write lock are why
// idleDuty leaves gaps between chunks. Measured in hl7-engine/speed-log.md.
export const DEFAULT_MOVE: MoveOptions = { chunkRows: 2000, sliceMs: 40, pauseMs: 5, duty: 0.3, idleDuty: 0.6, busyMs: 20, idleMs: 250, reclaimBytes: 8 * 1024 * 1024, reclaimEveryMs: 5000 }

export interface MoveStats {
  moved: number
  chunks: number
  ms: number
  maxMs: number
  /** Times the emptied inbox file was rebuilt, and the free bytes given back. */
  reclaims: number
  reclaimedBytes: number
}

const SOURCE = `
const fs = require('node:fs')
const { dirname } = require('node:path')
const openWalForSync = ${openWalForSync.toString()}
// The chunk's COMMIT only appends to the WAL (synchronous=NORMAL); the WAL is fdatasynced after
// the write lock is released, before anything depends on the move (see syncMoved()).
const main = openDb(workerData.files.main, 'NORMAL')
let walFd = -1
// Deleting moved rows need not be fsynced: the cursor, committed with the moved rows, is the truth.
const inbox = openDb(workerData.files.inbox, 'NORMAL')
const o = workerData.options
const { createHash } = require('node:crypto')
const txInsert = main.prepare(o.txInsertSql)
const ftsInsert = main.prepare(o.ftsSql)
const rawInsert = main.prepare(o.rawSql)
const getCursor = main.prepare('SELECT moved_upto FROM inbox_moves WHERE id = 1').pluck()
const setCursor = main.prepare('UPDATE inbox_moves SET moved_upto = ?, updated_at = ? WHERE id = 1')
const mBegin = main.prepare('BEGIN IMMEDIATE'), mCommit = main.prepare('COMMIT'), mRollback = main.prepare('ROLLBACK')
const after = inbox.prepare('SELECT * FROM inbox WHERE id > ? ORDER BY id LIMIT ?')
const waiting = inbox.prepare('SELECT 1 FROM inbox WHERE id > ? LIMIT 1').pluck()
const deleteUpto = inbox.prepare('DELETE FROM inbox WHERE id <= ?')
const iBegin = inbox.prepare('BEGIN IMMEDIATE'), iCommit = inbox.prepare('COMMIT'), iRollback = inbox.prepare('ROLLBACK')
const FETCH = 16
let cursor = getCursor.get()
let deleted = 0
let timer = null
let timerAt = 0
// When the writer last committed (Date.now(), written by the main thread): read straight from
// shared memory because cue messages wait in the port while a chunk runs.
const lastCommit = new Float64Array(workerData.options.signal)
let closed = false
// End of the pause that keeps moves to their duty share; a cue never brings a chunk before it.
let notBefore = 0

function schedule(ms) {
  if (closed) return
  const at = Math.max(performance.now() + ms, notBefore)
  ms = at - performance.now()
  if (timer !== null) {
    if (timerAt <= at) return
    clearTimeout(timer)
  }
  timerAt = at
  timer = setTimeout(chunk, ms)
}

// The last chunk's full-text cost a row, so a chunk's slice counts the entries it will write at
// the end: the write lock held (to its COMMIT) p50 50, p90 73 ms a chunk with it, 56 and 81 without.
let ftsMsPerRow = 0

// A chunk's full-text rows are inserted after all its transactions, not one after each: the
// transactions insert runs in a statement journal (its tx_hourly trigger), and FTS5 writes the
// terms it holds in memory to a segment of their own at every statement savepoint, so interleaved
// they cost a segment (and its merging) a message: 120–159 against 67–85 CPU µs a moved row
// (hl7-engine/speed-log.md, "the mover's search entries").
function moveRow(r, moved, search) {
  const m = JSON.parse(r.meta)
  const info = txInsert.run({
    practice_id: r.practice_id, connector: m.connector, channel: r.channel, direction: m.direction,
    message_type: m.messageType ?? null, status: 'received', now: r.received_at, next_attempt_at: null, peer: m.peer ?? null,
    control_id: m.controlId ?? null, mrn: m.mrn ?? null, patient_id: m.patientId ?? null, appointment_id: m.appointmentId ?? null,
    dedup_key: r.dedup_key, content_type: m.contentType, raw_sha256: createHash('sha256').update(r.raw).digest('hex'),
    response: r.response, error_code: null, error_message: null, error_retryable: null, error_group: null, error_at: null, triage_state: null,
  })
  if (info.changes !== 1) return false
  const id = Number(info.lastInsertRowid)
  rawInsert.run(id, r.raw)
  const text = m.searchText ?? r.raw.toString('utf8')
  search.push(id, text.length > o.maxFtsChars ? text.slice(0, o.maxFtsChars) : text)
  moved.push([id, r.practice_id, m.connector, m.direction, r.channel])
  return true
}

function deleteMoved() {
  if (cursor <= deleted) return
  try {
    beginWithRetry(iBegin, o.lockWaitMs)
    deleteUpto.run(cursor)
    iCommit.run()
    deleted = cursor
  } catch (e) {
    if (inbox.inTransaction) { try { iRollback.run() } catch {} }
  }
}

// The probe found inbox.db at 497 MB after it emptied: deleted rows leave free pages, never given
// back. Rebuilding an empty inbox costs a few pages (VACUUM copies only what is left), and it
// needs the write lock only for that long; busy means "next time". Measured in the README.
const anyRow = inbox.prepare('SELECT 1 FROM inbox LIMIT 1').pluck()
let lastReclaim = 0
function reclaim() {
  if (Date.now() - lastReclaim < o.reclaimEveryMs) return
  lastReclaim = Date.now()
  if (anyRow.get() !== undefined) return
  const free = inbox.pragma('freelist_count', { simple: true }) * inbox.pragma('page_size', { simple: true })
  if (free < o.reclaimBytes) return
  const t0 = performance.now()
  try {
    inbox.exec('VACUUM')
    parentPort.postMessage({ reclaimed: free, reclaimMs: performance.now() - t0 })
  } catch (e) {
    // A write in progress (SQLITE_BUSY): the next idle round tries again.
  }
}

// A chunk committed at synchronous=FULL held the main file's write lock through its fsync; moving a
// backlog chunk after chunk, the lock was then free for microseconds at a time, and a write on the
// engine thread (SQLite's busy handler retries every 100 ms after the first 0.3 s) waited for it
// 0.7–3.7 s: the TST-L1 stall (hl7-engine README). The sync is the same guarantee, after the lock:
// the moved rows leave the inbox, and the lane is told of them, only once it returns; a power loss
// before it loses the move and its cursor together (a WAL replays up to its last intact commit),
// so the rows are moved again; a lane that finds them sooner commits its outcome through the
// WriteBatcher, whose sync of the same WAL covers the move too (the WAL opened as it opens its own).
// A failed sync fails the chunk (its rows stay in the inbox) and, as the WriteBatcher does, every
// later chunk syncs inside its own COMMIT again.
let syncInCommit = false
function syncMoved() {
  if (syncInCommit) return
  try {
    if (walFd < 0) walFd = openWalForSync(fs, workerData.files.main + '-wal', dirname(workerData.files.main))
    fs.fdatasyncSync(walFd)
  } catch (e) {
    syncInCommit = true
    main.pragma('synchronous = FULL')
    throw e
  }
}

function chunk() {
  timer = null
  if (closed) return
  // The main thread may have moved rows too (start-up): the cursor is re-read inside the transaction.
  if (waiting.get(cursor) === undefined) {
    deleteMoved()
    if (cursor <= deleted) reclaim()
    return schedule(o.idleMs)
  }
  const t0 = performance.now()
  const moved = []
  let kept = 0
  let more = false
  try {
    // The first rows are read before the write lock is taken: reading a 5 MB row from the inbox
    // took 120–330 ms under TST-L1, and other writers of the main file waited for all of it.
    let first = after.all(cursor, FETCH)
    beginWithRetry(mBegin, o.lockWaitMs)
    const locked = performance.now()
    let c = getCursor.get()
    if (c !== cursor) first = null
    let n = 0
    let exhausted = false
    const search = []
    take: while (n < o.chunkRows) {
      const rows = first ?? after.all(c, FETCH)
      first = null
      for (const r of rows) {
        if (!moveRow(r, moved, search)) kept++
        c = r.id
        n++
        if (performance.now() - locked + (search.length / 2) * ftsMsPerRow >= o.sliceMs) break take
      }
      if (rows.length < FETCH) {
        exhausted = true
        break
      }
    }
    const f0 = performance.now()
    for (let i = 0; i < search.length; i += 2) ftsInsert.run(search[i], search[i + 1])
    if (search.length > 0) ftsMsPerRow = (performance.now() - f0) / (search.length / 2)
    setCursor.run(c, Date.now())
    mCommit.run()
    syncMoved()
    cursor = c
    more = !exhausted
  } catch (e) {
    if (main.inTransaction) { try { mRollback.run() } catch {} }
    parentPort.postMessage({ moveFailed: e.code || e.message })
    return schedule(1000)
  }
  deleteMoved()
  const ms = performance.now() - t0
  parentPort.postMessage({ moved, kept, ms, cursor })
  const busy = Date.now() - lastCommit[0] < o.busyMs
  const duty = busy ? o.duty : o.idleDuty
  notBefore = duty < 1 ? performance.now() + (ms * (1 - duty)) / duty : 0
  schedule(more ? 0 : o.idleMs)
}

parentPort.on('message', (m) => {
  if (m === 'cue') return schedule(o.pauseMs)
  if (m === 'close') {
    closed = true
    if (timer !== null) clearTimeout(timer)
    if (walFd >= 0) fs.closeSync(walFd)
    main.close()
    inbox.close()
    parentPort.postMessage('closed')
  }
})
schedule(0)
parentPort.postMessage('ready')
`

export class InboxMoveWorker {
  readonly stats: MoveStats = { moved: 0, chunks: 0, ms: 0, maxMs: 0, reclaims: 0, reclaimedBytes: 0 }
  private closing = false
  private dead = false
  private readonly movedListeners: ((rows: MovedRow[], cursor: number) => void)[] = []
  private readonly deathListeners: (() => void)[] = []

  private constructor(
    private readonly worker: Worker,
    private readonly logger: Logger,
    private readonly lastCommit: Float64Array,
  ) {
    worker.on('message', (m: unknown) => this.onMessage(m))
    worker.on('error', (e) => this.logger.error('the inbox mover failed; moving on the main thread from now on', { error: e.message }))
    worker.on('exit', () => this.die())
  }

  /** Null when the worker cannot start (the pipeline then moves on the main thread). */
  static async start(o: { mainFile: string; inboxFile: string; keyHex: string; logger: Logger; lockWaitMs?: number; move?: Partial<MoveOptions>; walLimitBytes?: number }): Promise<InboxMoveWorker | null> {
    const signal = new SharedArrayBuffer(8)
    const worker = await launchDbWorker({
      files: { main: o.mainFile, inbox: o.inboxFile },
      keyHex: o.keyHex,
      source: SOURCE,
      options: { ...DEFAULT_MOVE, ...o.move, lockWaitMs: o.lockWaitMs ?? 10_000, txInsertSql: TX_INSERT_SQL, rawSql: TX_RAW_SQL, ftsSql: TX_FTS_SQL, maxFtsChars: MAX_FTS_CHARS, signal },
      ...(o.walLimitBytes ? { walLimitBytes: o.walLimitBytes } : {}),
      what: 'the inbox mover',
      fallback: 'the inbox mover could not start; accepted messages are moved on the main thread',
      logger: o.logger,
    })
    return worker ? new InboxMoveWorker(worker, o.logger, new Float64Array(signal)) : null
  }

  get alive(): boolean {
    return !this.dead && !this.closing
  }

  /** The writer committed new rows. */
  cue(): void {
    this.lastCommit[0] = Date.now()
    if (this.alive) this.worker.postMessage('cue')
  }

  onMoved(fn: (rows: MovedRow[], cursor: number) => void): void {
    this.movedListeners.push(fn)
  }

  /** Called once if the worker dies (not when closed). */
  onDeath(fn: () => void): void {
    this.deathListeners.push(fn)
  }

  private onMessage(m: unknown): void {
    const msg = m as { moved?: [number, string, string, Direction, string][]; kept?: number; moveFailed?: string; ms?: number; cursor?: number; reclaimed?: number; reclaimMs?: number }
    if (msg.reclaimed !== undefined) {
      this.stats.reclaims++
      this.stats.reclaimedBytes += msg.reclaimed
      this.logger.info('the emptied inbox file was rebuilt small', { freedBytes: msg.reclaimed, ms: Math.round(msg.reclaimMs ?? 0) })
      return
    }
    if (msg.moveFailed) {
      this.logger.error('moving accepted messages into transactions failed; retrying', { code: msg.moveFailed })
      return
    }
    if (msg.ms === undefined) return
    this.stats.chunks++
    this.stats.ms += msg.ms
    this.stats.maxMs = Math.max(this.stats.maxMs, msg.ms)
    if (msg.kept) this.logger.warn('accepted messages were already transactions; kept the first of each', { count: msg.kept })
    const rows = (msg.moved ?? []).map(([id, practiceId, connector, direction, channel]) => ({ id, practiceId, connector, direction, channel, status: 'received' as const }))
    this.stats.moved += rows.length
    for (const fn of this.movedListeners) fn(rows, msg.cursor ?? 0)
  }

  private die(): void {
    if (this.dead) return
    this.dead = true
    if (!this.closing) for (const fn of this.deathListeners) fn()
  }

  async close(): Promise<void> {
    if (this.dead || this.closing) return
    this.closing = true
    await closeDbWorker(this.worker)
  }
}
