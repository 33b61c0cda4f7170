/**
 * HIP-04 / HIP-08: the store is SQLCipher-encrypted at rest. The header is not "SQLite format 3",
 * nothing written through the API is readable in the .db or -wal bytes, and only the right key opens it.
 */
import Database from 'better-sqlite3-multiple-ciphers'
import { existsSync, openSync, readFileSync, readSync, writeSync, closeSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { AppError } from '../../../shared/errors'
import { openDatabase } from '../../../electron/engine/store/database'
import { migrate } from '../../../electron/engine/store/migrations'
import { fileMode, openTestEngine, randomKeyHex, tempDir, type TestEngine } from './support/harness'

const PLAIN_HEADER = Buffer.from('SQLite format 3\0', 'latin1')

function bytesOf(...files: string[]): Buffer[] {
  return files.filter((f) => existsSync(f)).map((f) => readFileSync(f))
}

describe('store encryption at rest', () => {
  let t: TestEngine | null = null
  afterEach(async () => {
    await t?.stop()
    t = null
  })

  it('a fresh engine database is encrypted: no plain header, no canary in .db or -wal, 0600', async () => {
    t = await openTestEngine()
    const canaryName = 'Canary Clinic ZQXJ7731'
    const canaryPayload = 'PHI-CANARY-PAYLOAD-KW88412 DOE^JANE^Q 19700101'
    await t.call('practices.create', { id: 'canary-clinic', name: canaryName })
    await t.engine.ctx.pipeline.receive({
      practiceId: 'canary-clinic',
      connector: 'nobody',
      channel: 'nobody',
      direction: 'in',
      contentType: 'text',
      raw: Buffer.from(canaryPayload),
      dedupKey: 'canary-1',
    })
    // The API really stored both: reading them back through the engine works.
    expect((await t.call<{ name: string }>('practices.get', { id: 'canary-clinic' })).name).toBe(canaryName)
    const list = await t.call<{ items: { id: number }[] }>('transactions.list', { practiceId: 'canary-clinic' })
    expect(list.items).toHaveLength(1)

    const db = t.dbFile
    const wal = `${db}-wal`
    // While the engine is open the writes sit in the WAL: it must exist and be encrypted too.
    expect(existsSync(wal)).toBe(true)
    expect(statSync(wal).size).toBeGreaterThan(0)
    for (const b of bytesOf(db, wal, `${db}-journal`)) {
      expect(b.includes(Buffer.from(canaryName))).toBe(false)
      expect(b.includes(Buffer.from('ZQXJ7731'))).toBe(false)
      expect(b.includes(Buffer.from('KW88412'))).toBe(false)
      expect(b.includes(Buffer.from('CREATE TABLE'))).toBe(false)
    }
    expect(readFileSync(db).subarray(0, 16).equals(PLAIN_HEADER)).toBe(false)
    expect(fileMode(db)).toBe(0o600)
    expect(fileMode(t.dataDir)).toBe(0o700)

    await t.stop()
    t = null
    // After a clean close (checkpointed into the main file) the canary is still not readable.
    for (const b of bytesOf(db, wal)) {
      expect(b.includes(Buffer.from('ZQXJ7731'))).toBe(false)
      expect(b.includes(Buffer.from('KW88412'))).toBe(false)
    }
    expect(readFileSync(db).subarray(0, 16).equals(PLAIN_HEADER)).toBe(false)
  })

  it('the scan itself works: the same canary IS visible in a plain SQLite file', () => {
    // Control for the test above: without encryption the bytes would contain the canary.
    const file = join(tempDir(), 'plain.db')
    const plain = new Database(file)
    plain.exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('Canary Clinic ZQXJ7731')")
    plain.close()
    const b = readFileSync(file)
    expect(b.subarray(0, 16).equals(PLAIN_HEADER)).toBe(true)
    expect(b.includes(Buffer.from('ZQXJ7731'))).toBe(true)
  })

  it('opens only with the right key; a plain open or a wrong key fails with db_open_failed', () => {
    const dir = tempDir()
    const file = join(dir, 'store.db')
    const key = randomKeyHex()
    const db = openDatabase({ file, keyHex: key })
    migrate(db)
    db.prepare("INSERT INTO settings (key, value) VALUES ('k', 'v')").run()
    db.close()

    // A plain SQLite open (no key) cannot read it.
    const plain = new Database(file)
    expect(() => plain.prepare('SELECT count(*) FROM sqlite_master').get()).toThrow(/not a database/i)
    plain.close()

    // The wrong key: a typed error with a message that says what is wrong, not a raw SQLite code.
    let err: unknown
    try {
      openDatabase({ file, keyHex: randomKeyHex() })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(AppError)
    expect((err as AppError).code).toBe('db_open_failed')
    expect((err as AppError).message).toMatch(/cannot be decrypted/)
    expect((err as AppError).message).toContain(file)

    // A malformed key never reaches SQLite.
    expect(() => openDatabase({ file, keyHex: 'not-a-key' })).toThrow(expect.objectContaining({ code: 'db_key_unavailable' }))

    // The right key works and the data is there.
    const again = openDatabase({ file, keyHex: key })
    expect(again.prepare("SELECT value FROM settings WHERE key = 'k'").get()).toEqual({ value: 'v' })
    expect(again.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(again.pragma('synchronous', { simple: true })).toBe(2) // FULL: durable before acknowledged
    expect(again.pragma('foreign_keys', { simple: true })).toBe(1)
    again.close()
  })

  it('a plain (unencrypted) SQLite file is refused with db_open_failed, not silently used', () => {
    const file = join(tempDir(), 'plain.db')
    const plain = new Database(file)
    plain.exec('CREATE TABLE t (v TEXT)')
    plain.close()
    expect(() => openDatabase({ file, keyHex: randomKeyHex() })).toThrow(expect.objectContaining({ code: 'db_open_failed' }))
  })

  it('a flipped byte in an encrypted page is detected (HMAC), not silently read', () => {
    const file = join(tempDir(), 'tamper.db')
    const key = randomKeyHex()
    const db = openDatabase({ file, keyHex: key })
    migrate(db)
    const ins = db.prepare("INSERT INTO settings (key, value) VALUES (?, 'some value that fills pages')")
    db.transaction(() => {
      for (let i = 0; i < 500; i++) ins.run(`k${i}`)
    })()
    db.pragma('wal_checkpoint(TRUNCATE)')
    db.close()

    const pageSize = 4096
    const size = statSync(file).size
    expect(size).toBeGreaterThan(pageSize * 4)
    // Flip one byte in the middle of the last page (a settings leaf page, not the header page).
    const offset = size - pageSize / 2
    const fd = openSync(file, 'r+')
    const one = Buffer.alloc(1)
    readSync(fd, one, 0, 1, offset)
    one[0] ^= 0xff
    writeSync(fd, one, 0, 1, offset)
    closeSync(fd)

    const reopened = openDatabase({ file, keyHex: key })
    let detected = false
    try {
      const check = reopened.pragma('integrity_check', { simple: true })
      const rows = reopened.prepare('SELECT count(*) AS n FROM settings').get() as { n: number }
      detected = check !== 'ok' || rows.n !== 500
    } catch {
      detected = true
    }
    reopened.close()
    expect(detected).toBe(true)
  })
})
