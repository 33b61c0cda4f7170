/**
 * The main connection shares its file with worker-thread connections (store/db-worker.ts): its
 * transactions take the write lock up front, the WriteBatcher waits for a busy lock without
 * stopping the event loop, and the checkpointer keeps the WAL from growing while automatic
 * checkpoints are off. Real SQLCipher files, real threads.
 */
import { createHash, randomBytes } from 'node:crypto'
import { closeSync, openSync, readSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { silentLogger } from '../../../electron/engine/core/logger'
import { BigPayloads } from '../../../electron/engine/pipeline/big-payloads'
import { InboxMoveWorker } from '../../../electron/engine/pipeline/inbox-move-worker'
import { toInboxItem } from '../../../electron/engine/pipeline/inbox-repo'
import { DB_FILE } from '../../../electron/engine/core/data-dir'
import { INBOX_FILE, migrateInbox, openInboxDb } from '../../../electron/engine/store/inbox-db'
import { migrate } from '../../../electron/engine/store/migrations'
import { Checkpointer } from '../../../electron/engine/store/checkpointer'
import { openDatabase, type Db } from '../../../electron/engine/store/database'
import { COMMIT_SEQ, SYNCED_SEQ, WriteBatcher } from '../../../electron/engine/store/write-batcher'
import { randomKeyHex, tempDir } from '../foundation/support/harness'

const open: Db[] = []
afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close()
})

function pair(): { a: Db; b: Db; file: string; key: string } {
  const file = join(tempDir('ps-threads-'), 'x.db')
  const key = randomKeyHex()
  const a = openDatabase({ file, keyHex: key })
  a.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)')
  const b = openDatabase({ file, keyHex: key })
  open.push(a, b)
  return { a, b, file, key }
}

describe('sharing the file with other writers', () => {
  it('db.transaction(fn)() holds the write lock from its first statement, so a read-then-write never meets a stale snapshot', () => {
    const { a, b } = pair()
    b.pragma('busy_timeout = 0')
    const insertB = b.prepare('INSERT INTO t (v) VALUES (x\'01\')')
    const write = a.transaction(() => {
      a.prepare('SELECT count(*) FROM t').get()
      // Another connection cannot commit in between: the lock is already taken.
      expect(() => insertB.run()).toThrow(/locked|busy/i)
      a.prepare("INSERT INTO t (v) VALUES (x'02')").run()
    })
    write()
    expect(a.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 1 })
  })

  it('the WriteBatcher waits for a lock another connection holds without stopping the event loop, then commits', async () => {
    const { a, b } = pair()
    const batcher = new WriteBatcher(a)
    b.prepare('BEGIN IMMEDIATE').run()
    // The lock is released only from a timer callback on this thread, so the write can only commit
    // if the loop kept turning while it waited. Had the batcher slept in SQLite's busy handler, the
    // loop would stand still for the whole lock wait (5 s): the bound on the largest gap between
    // ticks is half that, far above any scheduling jitter, so a loaded machine cannot fail it.
    let settled = false
    let pendingWhileLocked = false
    let ticks = 0
    let last = performance.now()
    let maxGap = 0
    const timer = setInterval(() => {
      const now = performance.now()
      maxGap = Math.max(maxGap, now - last)
      last = now
      ticks++
      if (ticks === 1) pendingWhileLocked = !settled
      if (ticks === 3) b.prepare('COMMIT').run()
    }, 1)
    const id = await batcher
      .run(() => Number(a.prepare("INSERT INTO t (v) VALUES (x'03')").run().lastInsertRowid))
      .finally(() => {
        settled = true
      })
    clearInterval(timer)
    expect(id).toBe(1)
    expect(pendingWhileLocked).toBe(true)
    expect(ticks).toBeGreaterThanOrEqual(3)
    expect(maxGap).toBeLessThan(2500)
    expect(b.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 1 })
    batcher.close()
  })
})

describe('WriteBatcher with asyncFsync', () => {
  it('resolves a write only once an fdatasync issued after its COMMIT completed; other writes on the connection stay FULL', async () => {
    const { a, b } = pair()
    const batcher = new WriteBatcher(a, { asyncFsync: true })
    const d = batcher.durability
    const seen: { synced: number; committed: number; syncs: number }[] = []
    const writes = Array.from({ length: 30 }, (_, i) =>
      batcher
        .run(() => Number(a.prepare('INSERT INTO t (v) VALUES (?)').run(Buffer.from([i])).lastInsertRowid))
        .then((id) => {
          seen.push({ synced: Atomics.load(d, SYNCED_SEQ), committed: Atomics.load(d, COMMIT_SEQ), syncs: batcher.stats.syncs })
          return id
        }),
    )
    expect((await Promise.all(writes)).sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1))
    // At each resolution the batch holding it (numbered ≤ what had been committed) was synced.
    for (const s of seen) {
      expect(s.syncs).toBeGreaterThanOrEqual(1)
      expect(s.synced).toBeGreaterThanOrEqual(1)
    }
    expect(Atomics.load(d, SYNCED_SEQ)).toBe(Atomics.load(d, COMMIT_SEQ))
    expect(b.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 30 })
    // NORMAL only around the batcher's own transactions: a direct write still syncs in its COMMIT.
    expect(a.pragma('synchronous', { simple: true })).toBe(2)
    batcher.close()
  })

  it("until: 'commit' resolves at COMMIT, before the sync; synced() resolves once everything committed is on disk", async () => {
    const { a, b } = pair()
    const batcher = new WriteBatcher(a, { asyncFsync: true })
    const d = batcher.durability
    const at = await batcher.run(() => a.prepare("INSERT INTO t (v) VALUES (x'0c')").run().changes, { until: 'commit' }).then((n) => ({ n, synced: Atomics.load(d, SYNCED_SEQ), committed: Atomics.load(d, COMMIT_SEQ) }))
    expect(at).toEqual({ n: 1, synced: 0, committed: 1 })
    // Visible to another connection already.
    expect(b.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 1 })
    await batcher.synced()
    expect(Atomics.load(d, SYNCED_SEQ)).toBe(1)
    await expect(batcher.synced()).resolves.toBeUndefined()
    batcher.close()
  })

  it('close() settles a write whose fdatasync is still in flight, and a FULL batch settles the lazy ones before it', async () => {
    const { a } = pair()
    const batcher = new WriteBatcher(a, { asyncFsync: true })
    const first = batcher.run(() => a.prepare("INSERT INTO t (v) VALUES (x'0a')").run().changes)
    await new Promise((r) => setImmediate(r))
    const second = batcher.run(() => a.prepare("INSERT INTO t (v) VALUES (x'0b')").run().changes)
    batcher.close()
    await expect(Promise.all([first, second])).resolves.toEqual([1, 1])
    expect(Atomics.load(batcher.durability, SYNCED_SEQ)).toBe(Atomics.load(batcher.durability, COMMIT_SEQ))
    expect(a.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 2 })
  })
})

describe('WriteBatcher when an fdatasync fails', () => {
  it('refuses the writes that waited for it, syncs every later batch in its COMMIT, and never vouches for what came before', async () => {
    const { a, file } = pair()
    const errors: string[] = []
    const batcher = new WriteBatcher(a, { asyncFsync: true, walFile: `${file}-missing-wal`, onSyncError: (e) => errors.push((e as { code?: string }).code ?? '') })
    await expect(batcher.run(() => a.prepare("INSERT INTO t (v) VALUES (x'01')").run().changes)).rejects.toMatchObject({ code: 'storage_full', retryable: true })
    expect(errors).toEqual(['ENOENT'])
    expect(Atomics.load(batcher.durability, SYNCED_SEQ)).toBe(0)
    // Later writes are durable the old way (FULL COMMIT) and resolve; the mark stays put.
    await expect(batcher.run(() => a.prepare("INSERT INTO t (v) VALUES (x'02')").run().changes)).resolves.toBe(1)
    expect(batcher.stats.syncs).toBe(0)
    expect(Atomics.load(batcher.durability, SYNCED_SEQ)).toBe(0)
    batcher.close()
  })
})

/** The WAL header's checkpoint sequence number: SQLite bumps it each time the WAL restarts from the top. */
function walRestarts(file: string): number {
  const head = Buffer.alloc(16)
  const fd = openSync(`${file}-wal`, 'r')
  try {
    readSync(fd, head, 0, 16, 0)
  } finally {
    closeSync(fd)
  }
  return head.readUInt32BE(12)
}

describe('Checkpointer', () => {
  // Not a race against the disk: the test waits (up to its timeout) for the checkpointer to catch
  // up. With automatic checkpoints off and no checkpointer, the WAL would never restart.
  it('turns automatic checkpoints off while it runs and lets the WAL restart, so it stops growing; back on after close', async () => {
    const { a, file, key } = pair()
    const cp = await Checkpointer.start({ dbs: [a], files: [file], keyHex: key, logger: silentLogger, intervalMs: 20 })
    expect(cp).not.toBeNull()
    expect(a.pragma('wal_autocheckpoint', { simple: true })).toBe(0)
    const insert = a.prepare('INSERT INTO t (v) VALUES (?)')
    const writeFourMegabytes = (fill: number): void => {
      for (let i = 0; i < 20; i++) {
        a.transaction(() => {
          for (let k = 0; k < 50; k++) insert.run(Buffer.alloc(4000, fill))
        })()
      }
    }
    writeFourMegabytes(1)
    const restartsBefore = walRestarts(file)
    const sizeAfterFirst = statSync(`${file}-wal`).size
    expect(sizeAfterFirst).toBeGreaterThan(4 * 1024 * 1024)
    // A small write restarts the WAL once the checkpointer has copied every frame back.
    while (walRestarts(file) === restartsBefore) {
      a.prepare("INSERT INTO t (v) VALUES (x'00')").run()
      await new Promise((r) => setTimeout(r, 20))
    }
    // The same amount again reuses the file from the top instead of appending to it.
    writeFourMegabytes(2)
    expect(statSync(`${file}-wal`).size).toBeLessThanOrEqual(sizeAfterFirst + 64 * 1024)
    await cp!.close()
    expect(a.pragma('wal_autocheckpoint', { simple: true })).toBe(1000)
  }, 60_000)
})

describe('the big-payload thread (pipeline/big-payloads.ts)', () => {
  it('reads the original or the edited payload on its thread, byte for byte, empty when pruned; after it stops, reads reject so the caller reads on the main connection', async () => {
    const file = join(tempDir('ps-payloads-'), 'x.db')
    const key = randomKeyHex()
    const db = openDatabase({ file, keyHex: key })
    open.push(db)
    db.exec('CREATE TABLE transaction_raw (tx_id INTEGER PRIMARY KEY, raw BLOB NOT NULL); CREATE TABLE transaction_payloads (tx_id INTEGER, version INTEGER, raw BLOB NOT NULL, PRIMARY KEY (tx_id, version))')
    const big = randomBytes(3 * 1024 * 1024 + 7)
    const edit = randomBytes(1500)
    db.prepare('INSERT INTO transaction_raw VALUES (?, ?)').run(1, big)
    db.prepare('INSERT INTO transaction_raw VALUES (?, ?)').run(2, Buffer.from('orig'))
    db.prepare('INSERT INTO transaction_payloads VALUES (?, ?, ?)').run(2, 1, edit)
    const reader = await BigPayloads.start({ mainFile: file, keyHex: key, logger: silentLogger })
    expect(reader).not.toBeNull()
    const r = reader as BigPayloads
    try {
      expect((await r.read(1, 0)).equals(big)).toBe(true)
      expect((await r.read(2, 1)).equals(edit)).toBe(true)
      // A version that is not there: the original, as TransactionsRepo.payloadOf reads it.
      expect((await r.read(2, 2)).toString()).toBe('orig')
      expect((await r.read(3, 0)).length).toBe(0)
    } finally {
      await r.close()
    }
    await expect(r.read(1, 0)).rejects.toMatchObject({ code: 'db_locked', retryable: true })
  })

  it('stores a body by its SHA-256, committed before it answers, once however often it is given', async () => {
    const file = join(tempDir('ps-bodies-'), 'x.db')
    const key = randomKeyHex()
    const db = openDatabase({ file, keyHex: key })
    open.push(db)
    db.exec('CREATE TABLE bodies (sha256 TEXT PRIMARY KEY, bytes INTEGER NOT NULL, stored_at INTEGER NOT NULL, body BLOB NOT NULL)')
    const text = randomBytes(2 * 1024 * 1024).toString('base64') + 'é'
    const utf8 = Buffer.from(text, 'utf8')
    const sha256 = createHash('sha256').update(utf8).digest('hex')
    const w = (await BigPayloads.start({ mainFile: file, keyHex: key, logger: silentLogger })) as BigPayloads
    try {
      expect(await w.storeBody(text)).toEqual({ sha256, bytes: utf8.length })
      // Visible to the main connection as soon as it answered (committed, synchronous=FULL).
      expect((db.prepare('SELECT body FROM bodies WHERE sha256 = ?').pluck().get(sha256) as Buffer).equals(utf8)).toBe(true)
      const at = db.prepare('SELECT stored_at FROM bodies').pluck().get()
      expect(await w.storeBody(text)).toEqual({ sha256, bytes: utf8.length })
      expect(db.prepare('SELECT count(*) FROM bodies').pluck().get()).toBe(1)
      expect(db.prepare('SELECT stored_at FROM bodies').pluck().get()).toBe(at)
    } finally {
      await w.close()
    }
    await expect(w.storeBody(text)).rejects.toMatchObject({ code: 'db_locked', retryable: true })
  })
})

describe('the inbox mover thread (pipeline/inbox-move-worker.ts) and the main connection', () => {
  // TST-L1's 0.7–3.7 s stalls of the event loop: a write on the engine thread waits in SQLite's
  // busy handler (busy_timeout 5000, a retry every 100 ms after the first 0.3 s) while the mover
  // drains a backlog chunk after chunk. Each chunk held the main file's write lock through its read
  // of the inbox rows and its COMMIT's fsync, and took it back within a millisecond, so the lock
  // was almost never free when the engine thread looked. Now both happen outside the lock. Rows of
  // 512 KB (16 read per chunk, 1–2 inserted) make that read and that sync the bulk of a chunk's
  // time: a probe found the lock free 22–30 % of the time before, 56–67 % after (2 runs each).
  it('leaves the main file\'s write lock free most of the time while it drains a backlog of large rows', async () => {
    const dir = tempDir('ps-mover-lock-')
    const key = randomKeyHex()
    const mainFile = join(dir, DB_FILE)
    const inboxFile = join(dir, INBOX_FILE)
    const db = openDatabase({ file: mainFile, keyHex: key })
    open.push(db)
    migrate(db)
    const inbox = openInboxDb(inboxFile, key)
    open.push(inbox)
    migrateInbox(inbox)
    const ROWS = 60
    const insert = inbox.prepare('INSERT INTO inbox (practice_id, channel, dedup_key, received_at, meta, raw, response) VALUES (?, ?, ?, ?, ?, ?, ?)')
    inbox.transaction(() => {
      for (let i = 0; i < ROWS; i++) {
        const item = toInboxItem({ practiceId: 'sandbox', connector: 'test', channel: 'lock-test', direction: 'in', contentType: 'json', messageType: 'TEST', controlId: `m${i}`, raw: Buffer.from(randomBytes(256 * 1024).toString('hex')), dedupKey: `k${i}`, response: 'ACK', searchText: `m${i}` }, Date.now())
        insert.run(item.practiceId, item.channel, item.dedupKey, item.receivedAt, item.meta, item.raw, item.response)
      }
    })()
    db.pragma('busy_timeout = 0')
    const probe = db.prepare('BEGIN IMMEDIATE')
    const rollback = db.prepare('ROLLBACK')
    let moved = 0
    const mover = await InboxMoveWorker.start({ mainFile, inboxFile, keyHex: key, logger: silentLogger })
    expect(mover).not.toBeNull()
    mover!.onMoved((rows) => (moved += rows.length))
    let free = 0
    let busy = 0
    try {
      const until = Date.now() + 60_000
      while (moved < ROWS && Date.now() < until) {
        try {
          probe.run()
          rollback.run()
          free++
        } catch (e) {
          if ((e as { code?: string }).code !== 'SQLITE_BUSY') throw e
          busy++
        }
        await new Promise((r) => setTimeout(r, 1))
      }
    } finally {
      await mover!.close()
    }
    expect(moved).toBe(ROWS)
    expect(db.prepare("SELECT count(*) FROM transactions WHERE channel = 'lock-test'").pluck().get()).toBe(ROWS)
    expect(busy + free).toBeGreaterThan(20)
    // Midway between before (≤ 0.30) and after (≥ 0.56), with room for a loaded machine's scheduling.
    expect(free / (free + busy)).toBeGreaterThan(0.4)
  })
})
