/**
 * The acknowledgment path's store (docs/ARCHITECTURE.md, "Ingest"): accept() commits to the inbox
 * file on the ingest writer's thread, the mover's thread moves rows into transactions, and the
 * main thread takes over whatever a dead worker leaves. Real SQLCipher files, real worker threads.
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Worker } from 'node:worker_threads'
import { afterEach, describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { InboxRepo, toInboxItem } from '../../../electron/engine/pipeline/inbox-repo'
import { InboxMover } from '../../../electron/engine/pipeline/inbox-mover'
import { systemClock } from '../../../electron/engine/core/clock'
import { InboxWriter } from '../../../electron/engine/pipeline/inbox-writer'
import { silentLogger } from '../../../electron/engine/core/logger'
import { DB_FILE } from '../../../electron/engine/core/data-dir'
import { COMMIT_SEQ, newDurability, SYNCED_SEQ, WriteBatcher } from '../../../electron/engine/store/write-batcher'
import type { IncomingTx } from '../../../electron/engine/pipeline/types'
import { openDatabase, type Db } from '../../../electron/engine/store/database'
import { INBOX_FILE, migrateInbox, openInboxDb, reconcileInboxCursor } from '../../../electron/engine/store/inbox-db'
import { migrate } from '../../../electron/engine/store/migrations'
import { openTestEngine, randomKeyHex, tempDir, waitFor, type TestEngine } from './support/harness'
import { createTestHandler } from './support/test-handler'

let engines: TestEngine[] = []
const extra: Db[] = []
afterEach(async () => {
  for (const db of extra.splice(0)) if (db.open) db.close()
  for (const e of engines.splice(0)) await e.stop()
})

async function engine(opts: Parameters<typeof openTestEngine>[0] = {}): Promise<TestEngine> {
  const h = createTestHandler()
  const t = await openTestEngine({ ...opts, modules: [(e) => e.ctx.pipeline.register(h.handler)] })
  engines.push(t)
  return t
}

async function stopped(t: TestEngine): Promise<void> {
  await t.stop()
  engines = engines.filter((e) => e !== t)
}

const tx = (id: string, o: { key?: string | null; response?: string } = {}): IncomingTx => ({
  practiceId: 'sandbox',
  connector: 'test',
  channel: 'inbox-test',
  direction: 'in',
  contentType: 'json',
  messageType: 'TEST',
  controlId: id,
  raw: Buffer.from(JSON.stringify({ id, patient: { mrn: `MRN-${id}` } })),
  dedupKey: o.key === undefined ? `key-${id}` : o.key,
  response: o.response ?? `ACK ${id}`,
})

const txByControl = (t: TestEngine, id: string) => t.engine.ctx.db.prepare('SELECT t.*, r.raw AS raw FROM transactions AS t LEFT JOIN transaction_raw AS r ON r.tx_id = t.id WHERE control_id = ?').all(id) as { id: number; status: string; response: string }[]

async function inboxConnection(t: TestEngine): Promise<Db> {
  const key = await t.store.get('db-key')
  const db = openDatabase({ file: join(t.dataDir, INBOX_FILE), keyHex: key! })
  extra.push(db)
  return db
}

/**
 * Accepts a message, then holds this thread while the mover's thread moves it: its "moved" message
 * is then still unread, so the row is a committed transaction no lane has been told about yet.
 */
async function acceptWhileHoldingThisThread(t: TestEngine, id: string): Promise<void> {
  await t.engine.ctx.pipeline.accept(tx(id))
  // Bounded for a loaded machine (the other test worker and peers share two cores); it ends as soon as the row is moved.
  const until = Date.now() + 5_000
  while (Date.now() < until && t.engine.ctx.pipeline.inboxBacklog() > 0) {
    /* spin */
  }
  expect(t.engine.ctx.pipeline.inboxBacklog()).toBe(0)
}

describe('accept(): durable in the inbox, then moved into transactions', () => {
  it('resolves only once the row is committed in the inbox file, and the mover makes it a transaction that is processed', async () => {
    const t = await engine()
    expect(t.engine.ctx.pipeline.acceptsOffThread).toBe(true)
    const r = await t.engine.ctx.pipeline.accept(tx('a-1'))
    expect(r).toMatchObject({ duplicate: false })
    // Committed before accept() resolved: a separate connection sees it (in the inbox or already moved).
    const inbox = await inboxConnection(t)
    const inInbox = inbox.prepare("SELECT count(*) AS n FROM inbox WHERE dedup_key = 'key-a-1'").get() as { n: number }
    const moved = txByControl(t, 'a-1').length
    expect(inInbox.n + moved).toBeGreaterThan(0)
    const [row] = await waitFor(() => (txByControl(t, 'a-1')[0]?.status === 'done' ? txByControl(t, 'a-1') : null), 'the accepted message to be moved and processed')
    expect(row).toMatchObject({ status: 'done', control_id: 'a-1', channel: 'inbox-test' })
    await waitFor(() => t.engine.ctx.pipeline.inboxBacklog() === 0 || null, 'the inbox to drain')
    expect(t.engine.ctx.inboxMover!.stats.moved).toBeGreaterThanOrEqual(1)
  })

  it('idle() returns only once every accepted message has been moved and processed', async () => {
    const t = await engine()
    for (let i = 0; i < 3; i++) {
      await acceptWhileHoldingThisThread(t, `idle-${i}`)
      await t.engine.ctx.pipeline.idle()
      expect([`idle-${i}`, txByControl(t, `idle-${i}`)[0]?.status]).toEqual([`idle-${i}`, 'done'])
    }
  })

  it('a move on this thread that starts past rows the mover\'s thread has not announced yet still gets them processed', async () => {
    const t = await engine()
    for (let i = 0; i < 3; i++) {
      await acceptWhileHoldingThisThread(t, `gap-${i}`)
      // What a complete view does (the HL7 tests' rows()): finds nothing to move, the cursor already past the row.
      t.engine.ctx.pipeline.drainInbox()
      await t.engine.ctx.pipeline.idle()
      expect([`gap-${i}`, txByControl(t, `gap-${i}`)[0]?.status]).toEqual([`gap-${i}`, 'done'])
    }
  })

  it('keeps inbox-id order into transactions, so a lane processes in arrival order', async () => {
    const t = await engine()
    await Promise.all(Array.from({ length: 200 }, (_, i) => t.engine.ctx.pipeline.accept(tx(`o-${String(i).padStart(3, '0')}`))))
    await waitFor(() => (t.engine.ctx.db.prepare("SELECT count(*) AS n FROM transactions WHERE channel = 'inbox-test'").get() as { n: number }).n === 200 || null, '200 moved rows')
    const ids = t.engine.ctx.db.prepare("SELECT control_id FROM transactions WHERE channel = 'inbox-test' ORDER BY id").all() as { control_id: string }[]
    expect(ids.map((r) => r.control_id)).toEqual(Array.from({ length: 200 }, (_, i) => `o-${String(i).padStart(3, '0')}`))
  })

  it('a duplicate gets the original response whether the original is still in the inbox or already a transaction', async () => {
    const t = await engine()
    const [a, b] = await Promise.all([t.engine.ctx.pipeline.accept(tx('d-1', { response: 'FIRST' })), t.engine.ctx.pipeline.accept(tx('d-1', { response: 'SECOND' }))])
    expect(a).toMatchObject({ duplicate: false })
    expect(b).toMatchObject({ duplicate: true, response: 'FIRST', table: 'inbox', id: a.id })
    await waitFor(() => (txByControl(t, 'd-1')[0]?.status === 'done' ? true : null), 'the original to be moved and processed')
    const c = await t.engine.ctx.pipeline.accept(tx('d-1', { response: 'THIRD' }))
    // (Processing replaced the stored response by then: the answer is whatever the original row holds.)
    const [orig] = txByControl(t, 'd-1')
    expect(c).toMatchObject({ duplicate: true, response: orig!.response, table: 'transactions', id: orig!.id })
    expect(orig!.response).toBe('OK d-1')
    // Messages without a key are never duplicates.
    const n1 = await t.engine.ctx.pipeline.accept(tx('n-1', { key: null }))
    const n2 = await t.engine.ctx.pipeline.accept(tx('n-1', { key: null }))
    expect([n1.duplicate, n2.duplicate]).toEqual([false, false])
    await waitFor(() => txByControl(t, 'n-1').length === 2 || null, 'both keyless rows to be moved')
    expect(txByControl(t, 'd-1')).toHaveLength(1)
  })

  it('the inbox file is encrypted: no message text in it, and plain SQLite cannot open it', async () => {
    const t = await engine()
    await t.engine.ctx.pipeline.accept(tx('secret-canary-7731'))
    const file = join(t.dataDir, INBOX_FILE)
    for (const f of [file, `${file}-wal`]) if (existsSync(f)) expect(readFileSync(f).includes('secret-canary-7731')).toBe(false)
    expect(() => openDatabase({ file, keyHex: randomKeyHex(), readonly: true })).toThrow(/cannot be decrypted/)
    expect(statSync(file).mode & 0o777).toBe(0o600)
  })
})

describe('recovery and fallbacks', () => {
  it('rows accepted before a stop are moved at the next start, before lanes resume; rows already moved are not moved twice', async () => {
    const dataDir = tempDir()
    const first = await engine({ dataDir })
    await first.engine.ctx.pipeline.accept(tx('r-1'))
    await waitFor(() => txByControl(first, 'r-1').length === 1 || null, 'r-1 moved')
    await stopped(first)
    // As if the engine died twice over: once after the move committed but before its rows left the
    // inbox (r-1 sits at or below the cursor), once after accepting r-2 and r-3 (above it).
    const key = await first.store.get('db-key')
    const main = openDatabase({ file: join(dataDir, 'practice-studio.db'), keyHex: key! })
    const inbox = openInboxDb(join(dataDir, INBOX_FILE), key!)
    extra.push(main, inbox)
    const cursor = (main.prepare('SELECT moved_upto FROM inbox_moves').get() as { moved_upto: number }).moved_upto
    expect(cursor).toBeGreaterThan(0)
    const ins = inbox.prepare('INSERT INTO inbox (id, practice_id, channel, dedup_key, received_at, meta, raw, response) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    const meta = (id: string) => JSON.stringify({ connector: 'test', direction: 'in', messageType: 'TEST', contentType: 'json', controlId: id })
    ins.run(cursor, 'sandbox', 'inbox-test', 'key-r-1-again', 1, meta('r-1'), Buffer.from('{"id":"r-1"}'), 'ACK r-1')
    ins.run(cursor + 1, 'sandbox', 'inbox-test', 'key-r-2', 2, meta('r-2'), Buffer.from('{"id":"r-2"}'), 'ACK r-2')
    ins.run(cursor + 2, 'sandbox', 'inbox-test', 'key-r-3', 3, meta('r-3'), Buffer.from('{"id":"r-3"}'), 'ACK r-3')
    main.close()
    inbox.close()
    // No worker threads: the main thread's start-up move is what is tested.
    const second = await engine({ dataDir, storeThreads: false })
    expect(txByControl(second, 'r-1')).toHaveLength(1)
    expect(txByControl(second, 'r-2').map((r) => r.response)).toEqual(['ACK r-2'])
    expect(txByControl(second, 'r-3')).toHaveLength(1)
    expect(second.engine.ctx.pipeline.inboxBacklog()).toBe(0)
    const left = (await inboxConnection(second)).prepare('SELECT count(*) AS n FROM inbox').get() as { n: number }
    expect(left.n).toBe(0)
    await waitFor(() => (txByControl(second, 'r-3')[0]?.status === 'done' ? true : null), 'r-3 processed after the restart')
  })

  it('a duplicate of a transaction whose batch is committed but not yet synced is answered only after that sync', async () => {
    const t = await engine()
    await t.engine.ctx.pipeline.receive(tx('held-1'))
    // A writer that reads the main file while its batches are one ahead of their fsync.
    const d = newDurability()
    Atomics.store(d, COMMIT_SEQ, 5)
    Atomics.store(d, SYNCED_SEQ, 4)
    const files = { mainFile: join(t.dataDir, DB_FILE), inboxFile: join(t.dataDir, INBOX_FILE), keyHex: (await t.store.get('db-key'))! }
    const w = (await InboxWriter.start({ ...files, logger: silentLogger, durability: d, lockWaitMs: 30_000 }))!
    let answered = false
    const dup = w.write(toInboxItem(tx('held-1'), Date.now())).then((r) => ((answered = true), r))
    // A fresh message is not held: it is committed to the inbox and answered meanwhile.
    expect(await w.write(toInboxItem(tx('held-2'), Date.now()))).toMatchObject({ duplicate: false, table: 'inbox' })
    expect(answered).toBe(false)
    Atomics.store(d, SYNCED_SEQ, 5)
    expect(await dup).toMatchObject({ duplicate: true, table: 'transactions', id: txByControl(t, 'held-1')[0]!.id, response: txByControl(t, 'held-1')[0]!.response })
    // Never synced (a failed fsync): the duplicate is refused as retryable, never answered as stored.
    Atomics.store(d, COMMIT_SEQ, 9)
    const w2 = (await InboxWriter.start({ ...files, logger: silentLogger, durability: d, lockWaitMs: 200 }))!
    await expect(w2.write(toInboxItem(tx('held-1'), Date.now()))).rejects.toMatchObject({ code: 'db_locked', retryable: true })
    await w.close()
    await w2.close()
  })

  it('a direct receive() whose key is still waiting in the inbox moves it first and answers as a duplicate', async () => {
    const dataDir = tempDir()
    const first = await engine({ dataDir })
    await stopped(first)
    const key = await first.store.get('db-key')
    const inbox = openInboxDb(join(dataDir, INBOX_FILE), key!)
    inbox.prepare('INSERT INTO inbox (practice_id, channel, dedup_key, received_at, meta, raw, response) VALUES (?, ?, ?, ?, ?, ?, ?)').run('sandbox', 'inbox-test', 'key-w-1', 1, JSON.stringify({ connector: 'test', direction: 'in', contentType: 'json', controlId: 'w-1' }), Buffer.from('{"id":"w-1"}'), 'ORIGINAL')
    inbox.close()
    const t = await engine({ dataDir, storeThreads: false, start: false })
    const r = await t.engine.ctx.pipeline.receive(tx('w-1', { response: 'NEW' }))
    expect(r).toMatchObject({ duplicate: true, response: 'ORIGINAL' })
    expect(txByControl(t, 'w-1').map((x) => x.id)).toEqual([r.id])
  })

  it('without worker threads accept() stores on the main connection with the same answers', async () => {
    const t = await engine({ storeThreads: false })
    expect(t.engine.ctx.pipeline.acceptsOffThread).toBe(false)
    const a = await t.engine.ctx.pipeline.accept(tx('m-1', { response: 'FIRST' }))
    const b = await t.engine.ctx.pipeline.accept(tx('m-1', { response: 'SECOND' }))
    expect(a).toMatchObject({ duplicate: false, table: 'transactions' })
    expect(b).toMatchObject({ duplicate: true, table: 'transactions', id: a.id, response: 'FIRST' })
  })

  it('if the ingest writer dies, accept() falls back to the main connection and nothing is lost', async () => {
    const t = await engine()
    await t.engine.ctx.pipeline.accept(tx('x-1'))
    const w = (t.engine.ctx.inboxWriter as unknown as { worker: Worker }).worker
    await w.terminate()
    await waitFor(() => !t.engine.ctx.pipeline.acceptsOffThread || null, 'the writer to be seen as dead')
    const r = await t.engine.ctx.pipeline.accept(tx('x-2'))
    expect(r).toMatchObject({ duplicate: false, table: 'transactions' })
    // The original, accepted before the writer died, is found by the fallback's dedup too.
    const again = await t.engine.ctx.pipeline.accept(tx('x-1', { response: 'LATE' }))
    expect(again.duplicate).toBe(true)
    expect(again.response).not.toBe('LATE')
    await waitFor(() => (txByControl(t, 'x-1').length === 1 && txByControl(t, 'x-2').length === 1) || null, 'both stored once')
  })

  it('if the mover dies, the main thread moves what the writer keeps accepting, and the status says so', async () => {
    const t = await engine()
    const ingest = async () => (await t.call<{ engines: { name: string; state: string; detail?: string }[] }>('system.status')).engines.find((e) => e.name === 'ingest')
    expect(await ingest()).toMatchObject({ state: 'running', detail: expect.stringMatching(/^writer and mover on their own threads; 0 accepted messages waiting/) })
    const w = (t.engine.ctx.inboxMover as unknown as { worker: Worker }).worker
    await w.terminate()
    await waitFor(() => !t.engine.ctx.inboxMover!.alive || null, 'the mover to be seen as dead')
    const r = await t.engine.ctx.pipeline.accept(tx('y-1'))
    expect(r).toMatchObject({ duplicate: false, table: 'inbox' })
    await waitFor(() => txByControl(t, 'y-1').length === 1 || null, 'y-1 moved by the main thread')
    expect(t.logs.some((l) => l.includes('the inbox mover stopped'))).toBe(true)
    expect(await ingest()).toMatchObject({ state: 'degraded', detail: expect.stringMatching(/^inbox mover not running: the main thread does its work/) })
  })
})

describe('the main-thread mover', () => {
  it('a cue that arrives while a chunk is finishing is not lost: the rows accepted meanwhile are moved next', async () => {
    const t = await engine()
    // Only the mover under test moves: the mover's thread is closed (not dead, so no fallback starts).
    await t.engine.ctx.inboxMover!.close()
    let chunkRead = (): void => undefined
    const read = new Promise<void>((r) => (chunkRead = r))
    let release = (): void => undefined
    const released = new Promise<void>((r) => (release = r))
    // The real batcher; only the end of the first chunk waits for the test.
    class HeldBatcher extends WriteBatcher {
      private first = true
      override async run<T>(fn: () => T, opts?: { until?: 'disk' | 'commit' }): Promise<T> {
        const v = await super.run(fn, opts)
        if (this.first) {
          this.first = false
          chunkRead()
          await released
        }
        return v
      }
    }
    const db = t.engine.ctx.db
    const mover = new InboxMover({
      inbox: new InboxRepo(db, await inboxConnection(t)),
      repo: t.engine.ctx.txRepo,
      batcher: new HeldBatcher(db),
      clock: systemClock,
      logger: silentLogger,
      transact: (fn) => db.transaction(fn).immediate(),
      onMoved: () => undefined,
    })
    mover.activate()
    await read
    // The first chunk has read the inbox (empty) and is finishing; this message arrives now.
    expect(await t.engine.ctx.pipeline.accept(tx('cue-1'))).toMatchObject({ duplicate: false, table: 'inbox' })
    mover.cue()
    release()
    await waitFor(() => txByControl(t, 'cue-1').length === 1 || null, 'cue-1 moved by the next chunk')
    mover.stop()
  })
})

describe('the two movers', () => {
  it('the mover thread and the main thread write the same transaction row and search entry for the same message', async () => {
    const dataDir = tempDir()
    const onThread = await engine({ dataDir, start: false })
    const m = (id: string): IncomingTx => ({ ...tx(id), peer: '10.1.2.3:5000', mrn: 'MRN-EQ', searchText: `Ünïcödé text ${id}` })
    // Several rows (a chunk writes its search entries after all its rows): each entry matched to its row.
    await Promise.all(['eq-1', 'eq-1b', 'eq-1c'].map((id) => onThread.engine.ctx.pipeline.accept(m(id))))
    await waitFor(() => txByControl(onThread, 'eq-1c').length === 1 || null, 'eq-1c moved by the mover thread')
    await stopped(onThread)
    const key = await onThread.store.get('db-key')
    const inbox = openInboxDb(join(dataDir, INBOX_FILE), key!)
    for (const id of ['eq-2', 'eq-2b']) {
      const item = toInboxItem(m(id), Date.now())
      inbox.prepare('INSERT INTO inbox (practice_id, channel, dedup_key, received_at, meta, raw, response) VALUES (?, ?, ?, ?, ?, ?, ?)').run(item.practiceId, item.channel, item.dedupKey, item.receivedAt, item.meta, item.raw, item.response)
    }
    inbox.close()
    const onMain = await engine({ dataDir, storeThreads: false, start: false })
    onMain.engine.ctx.pipeline.drainInbox()
    const [a, b] = [txByControl(onMain, 'eq-1')[0]!, txByControl(onMain, 'eq-2')[0]!] as unknown as Record<string, unknown>[]
    const differ = new Set(['id', 'control_id', 'dedup_key', 'raw', 'raw_sha256', 'received_at', 'updated_at', 'response'])
    for (const col of Object.keys(a!)) if (!differ.has(col)) expect([col, b![col]]).toEqual([col, a![col]])
    for (const r of [a!, b!]) expect(r.raw_sha256).toBe(createHash('sha256').update(r.raw as Buffer).digest('hex'))
    expect([a!.response, b!.response]).toEqual(['ACK eq-1', 'ACK eq-2'])
    const match = onMain.engine.ctx.db.prepare('SELECT rowid FROM transactions_fts WHERE transactions_fts MATCH ? ORDER BY rowid').pluck()
    const ids = ['eq-1', 'eq-1b', 'eq-1c', 'eq-2', 'eq-2b'].map((id) => (txByControl(onMain, id)[0] as unknown as { id: number }).id)
    expect(match.all('Ünïcödé')).toEqual(ids)
    for (const [i, id] of ['eq-1', 'eq-1b', 'eq-1c', 'eq-2', 'eq-2b'].entries()) expect([id, match.all(`"text ${id}"`)]).toEqual([id, [ids[i]]])
  })
})

describe('inbox file and cursor', () => {
  it('a replaced inbox file (ids starting again) resets the cursor instead of hiding new rows', () => {
    const dir = tempDir()
    const key = randomKeyHex()
    const main = openDatabase({ file: join(dir, 'main.db'), keyHex: key })
    extra.push(main)
    migrate(main)
    main.prepare('UPDATE inbox_moves SET moved_upto = 500').run()
    const inbox = openInboxDb(join(dir, INBOX_FILE), key)
    extra.push(inbox)
    expect(reconcileInboxCursor(main, inbox, 1)).toEqual({ cursor: 0, reset: true })
    expect(reconcileInboxCursor(main, inbox, 2)).toEqual({ cursor: 0, reset: false })
  })

  it('the inbox schema is versioned: applied once, and a newer file is refused', () => {
    const dir = tempDir()
    const db = openDatabase({ file: join(dir, INBOX_FILE), keyHex: randomKeyHex() })
    extra.push(db)
    expect(migrateInbox(db)).toEqual([1])
    expect(migrateInbox(db)).toEqual([])
    db.pragma('user_version = 9')
    expect(() => migrateInbox(db)).toThrow(/newer version/)
  })
})
