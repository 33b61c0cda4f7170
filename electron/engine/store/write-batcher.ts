/**
 * Group commit. Callers queue small write functions; they are run together in one SQLite
 * transaction on the next turn of the event loop, so one fsync (synchronous=FULL) covers many
 * messages. Each function runs in its own savepoint: one failing write (say, a constraint) rolls
 * back only itself and rejects only its caller. A promise resolves only after the batch is on
 * disk, which is what "durable before acknowledged" needs.
 *
 * With `asyncFsync` the fsync leaves the event loop: the batch commits with synchronous=NORMAL
 * (written to the WAL, not synced) and its promises resolve after an fdatasync of the WAL file,
 * issued after that COMMIT returned, completes in libuv's thread pool. One fdatasync is in flight
 * at a time and the next covers every batch committed meanwhile. The guarantee is the one FULL
 * gives (Linux syncs the file whatever descriptor wrote it, and a WAL is replayed up to its last
 * intact commit), but the event loop keeps answering peers during the ~1 ms a sync takes.
 * Writes outside the batcher keep synchronous=FULL. Another thread can read a batch before it is
 * synced: `durability` tells it how far syncs have got (see InboxWriter's dedup).
 */
import { closeSync, fdatasync, fdatasyncSync, fsyncSync, openSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Db } from './database'
import { mapSqliteError, savepoint } from './database'

/**
 * Opens a WAL file to fdatasync it after NORMAL commits, its directory synced first: a WAL created
 * by a NORMAL commit has no synced directory entry yet, and SQLite only syncs the directory on the
 * file's first FULL sync. Self-contained (`fs` passed in): the inbox mover's worker runs its source.
 */
export function openWalForSync(f: { openSync: typeof openSync; fsyncSync: typeof fsyncSync; closeSync: typeof closeSync }, walFile: string, dir: string): number {
  const d = f.openSync(dir, 'r')
  try {
    f.fsyncSync(d)
  } finally {
    f.closeSync(d)
  }
  return f.openSync(walFile, 'r+')
}

/** How long a batch waits for another connection's write lock before it fails (database.ts sets the same busy_timeout). */
const LOCK_WAIT_MS = 5000

interface Pending {
  fn: () => unknown
  /** Resolve at COMMIT instead of once on disk (see run()). */
  atCommit: boolean
  resolve: (v: unknown) => void
  reject: (e: unknown) => void
}

export interface WriteBatcherStats {
  batches: number
  writes: number
  maxBatch: number
  /** fdatasyncs done off the event loop (asyncFsync), each covering one or more batches. */
  syncs: number
}

/**
 * Shared with other threads reading the same file: [0] the number of the last batch whose COMMIT
 * has started, [1] the number of the last batch known to be on disk. A row another connection
 * sees was committed by a batch numbered at most [0] as read after seeing it.
 */
export type Durability = Int32Array

export const COMMIT_SEQ = 0
export const SYNCED_SEQ = 1

export function newDurability(): Durability {
  return new Int32Array(new SharedArrayBuffer(8))
}

export interface WriteBatcherOptions {
  maxBatch?: number
  /** Fsync the WAL off the event loop (see above). */
  asyncFsync?: boolean
  durability?: Durability
  /** An fdatasync failed: its writers were refused and every batch now syncs in its own COMMIT. */
  onSyncError?: (e: Error) => void
  /** The WAL file to fdatasync; the connection's own unless a test points it elsewhere. */
  walFile?: string
}

interface Group {
  settle: () => void
  fail: (e: unknown) => void
  seq: number
}

export class WriteBatcher {
  private queue: Pending[] = []
  private busySince: number | null = null
  private readonly begin
  private readonly commit
  private readonly rollback
  private scheduled = false
  private closed = false
  readonly stats: WriteBatcherStats = { batches: 0, writes: 0, maxBatch: 0, syncs: 0 }
  readonly durability: Durability
  private readonly maxBatch: number
  private asyncFsync: boolean
  private walFd = -1
  private syncing: Group[] | null = null
  private unsynced: Group[] = []
  private seq = 0
  private syncBroken = false
  private readonly onSyncError: ((e: Error) => void) | undefined
  private readonly walFile: string

  constructor(
    private readonly db: Db,
    opts: WriteBatcherOptions = {},
  ) {
    this.maxBatch = opts.maxBatch ?? 2000
    this.asyncFsync = opts.asyncFsync === true
    this.durability = opts.durability ?? newDurability()
    this.onSyncError = opts.onSyncError
    this.walFile = opts.walFile ?? `${db.name}-wal`
    this.begin = db.prepare('BEGIN IMMEDIATE')
    this.commit = db.prepare('COMMIT')
    this.rollback = db.prepare('ROLLBACK')
  }

  /**
   * Queues a write; resolves once its batch is on disk. With `until: 'commit'` it resolves at
   * COMMIT (visible to every reader, on disk shortly after): for work whose next step only needs
   * to see it, and that tells no one outside before `synced()` resolves.
   */
  run<T>(fn: () => T, opts: { until?: 'disk' | 'commit' } = {}): Promise<T> {
    if (this.closed) return Promise.reject(mapSqliteError(Object.assign(new Error('store closed'), { code: 'SQLITE_MISUSE' })))
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, atCommit: opts.until === 'commit', resolve: resolve as (v: unknown) => void, reject })
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
      const lazy = this.asyncFsync && !wait
      // Outside the transaction: SQLite refuses to change it inside one.
      if (lazy) this.db.pragma('synchronous = NORMAL')
      try {
        if (!this.runBatch(wait, lazy)) return
      } finally {
        if (lazy) this.db.pragma('synchronous = FULL')
      }
    }
  }

  /** One batch from the head of the queue; false when the lock is busy (a retry is scheduled). */
  private runBatch(wait: boolean, lazy: boolean): boolean {
    const lock = wait ? this.lockWaiting() : this.tryLock()
    if (lock === 'busy') {
      // Another connection (the inbox mover's thread) is writing: come back in a millisecond
      // instead of sleeping in SQLite's busy handler with the event loop stopped.
      this.scheduled = true
      setTimeout(() => this.flush(), 1)
      return false
    }
    const batch = this.queue.splice(0, this.maxBatch)
    if (lock !== 'locked') {
      const err = mapSqliteError(lock)
      for (const p of batch) p.reject(err)
      return true
    }
    const results: { ok: boolean; value: unknown }[] = []
    const seq = ++this.seq
    // Announced before COMMIT, so a reader on another thread that sees this batch's rows reads a
    // number at least this one and waits for its sync.
    Atomics.store(this.durability, COMMIT_SEQ, seq)
    try {
      // Inside the open transaction, each write is a savepoint of its own.
      for (const p of batch) {
        try {
          results.push({ ok: true, value: savepoint(this.db, p.fn) })
        } catch (e) {
          results.push({ ok: false, value: e })
        }
      }
      this.commit.run()
    } catch (e) {
      if (this.db.inTransaction) this.rollback.run()
      const err = mapSqliteError(e)
      for (const p of batch) p.reject(err)
      this.afterFailedCommit(seq)
      return true
    }
    this.stats.batches++
    this.stats.writes += batch.length
    this.stats.maxBatch = Math.max(this.stats.maxBatch, batch.length)
    const settle = (atCommit: boolean): void =>
      batch.forEach((p, i) => {
        if (p.atCommit !== atCommit) return
        const r = results[i] as { ok: boolean; value: unknown }
        if (r.ok) p.resolve(r.value)
        else p.reject(r.value)
      })
    settle(true)
    const fail = (e: unknown): void => {
      const err = mapSqliteError(Object.assign(new Error((e as Error).message), { code: 'SQLITE_IOERR_FSYNC' }))
      for (const p of batch) if (!p.atCommit) p.reject(err)
    }
    this.afterCommit({ seq, settle: () => settle(false), fail }, lazy)
    return true
  }

  private afterCommit(g: Group, lazy: boolean): void {
    if (!lazy) {
      // Synced by its own COMMIT (FULL), and so is every batch committed before it.
      const before = [...(this.syncing ?? []), ...this.unsynced.splice(0)]
      this.syncing = null
      this.markSynced(g.seq)
      for (const b of before) b.settle()
      g.settle()
      return
    }
    this.unsynced.push(g)
    this.syncNext()
  }

  /**
   * Resolves once every batch committed so far is on disk (at once when none is waiting for its
   * fsync); rejects if that fsync fails.
   */
  synced(): Promise<void> {
    if (!this.syncing && this.unsynced.length === 0) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      this.unsynced.push({ seq: this.seq, settle: resolve, fail: reject })
      this.syncNext()
    })
  }

  /** Nothing of a rolled-back batch is visible, but its number counts as synced only once the batches before it are. */
  private afterFailedCommit(seq: number): void {
    if (this.syncing || this.unsynced.length > 0) {
      this.unsynced.push({ seq, settle: () => undefined, fail: () => undefined })
      this.syncNext()
    } else {
      this.markSynced(seq)
    }
  }

  private markSynced(seq: number): void {
    // After a failed fsync nothing committed before it is known to be on disk, and a later
    // successful sync does not bring back pages the kernel dropped: the mark stays where it was.
    if (this.syncBroken) return
    if (Atomics.load(this.durability, SYNCED_SEQ) < seq) Atomics.store(this.durability, SYNCED_SEQ, seq)
  }

  private syncNext(): void {
    if (this.syncing || this.unsynced.length === 0 || this.closed) return
    if (this.walFd < 0 && !this.openWal()) return
    const groups = this.unsynced
    this.unsynced = []
    this.syncing = groups
    fdatasync(this.walFd, (err) => {
      if (this.syncing !== groups) return // settled by close()
      this.syncing = null
      if (err) {
        this.syncFailed(groups, err)
        return
      }
      this.stats.syncs++
      this.markSynced((groups[groups.length - 1] as Group).seq)
      for (const g of groups) g.settle()
      this.syncNext()
    })
  }

  /** The WAL file, opened once (it lives as long as the connection). */
  private openWal(): boolean {
    try {
      this.walFd = openWalForSync({ openSync, fsyncSync, closeSync }, this.walFile, dirname(this.walFile))
      return true
    } catch (e) {
      this.syncFailed(this.unsynced.splice(0), e)
      return false
    }
  }

  /**
   * A failed fsync means the kernel may have dropped the pages: nothing waiting is known to be on
   * disk. Its writers get a storage error (a listener answers AE/CE and the peer resends), and
   * from now on every batch syncs in its own COMMIT again.
   */
  private syncFailed(groups: Group[], e: unknown): void {
    this.asyncFsync = false
    this.syncBroken = true
    this.onSyncError?.(e as Error)
    for (const g of [...groups, ...this.unsynced.splice(0)]) g.fail(e)
  }

  /** Commits what is queued and waits until everything committed is on disk. */
  close(): void {
    this.flush(true)
    const pending = [...(this.syncing ?? []), ...this.unsynced.splice(0)]
    this.syncing = null
    if (this.walFd >= 0) {
      try {
        fdatasyncSync(this.walFd)
        if (pending.length > 0) this.markSynced((pending[pending.length - 1] as Group).seq)
        for (const g of pending) g.settle()
      } catch (e) {
        for (const g of pending) g.fail(e)
      }
      closeSync(this.walFd)
      this.walFd = -1
    }
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
