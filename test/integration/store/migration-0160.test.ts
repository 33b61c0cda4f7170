import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../../../electron/engine/store/database'
import { migrate, MIGRATIONS } from '../../../electron/engine/store/migrations'
import { TransactionsRepo } from '../../../electron/engine/pipeline/transactions-repo'

describe('migration 0160 (raw bytes in their own table)', () => {
  let dir: string
  let db: Db
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ps-m160-'))
    db = openDatabase({ file: join(dir, 'db'), keyHex: randomBytes(32).toString('hex') })
  })
  afterEach(() => {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('moves existing raw bytes out of the transactions rows, keeping pruned rows empty', () => {
    migrate(db, MIGRATIONS.filter((m) => m.version < 160))
    const insert = db.prepare(`INSERT INTO transactions (practice_id, connector, channel, direction, status, received_at, updated_at, content_type, raw, raw_sha256, raw_pruned_at)
      VALUES ('p', 'hl7', 'in', 'in', 'done', 1, 1, 'hl7v2', ?, 'x', ?)`)
    const kept = Number(insert.run(Buffer.from('MSH|^~\\&|A'), null).lastInsertRowid)
    const pruned = Number(insert.run(Buffer.alloc(0), 5).lastInsertRowid)
    expect(migrate(db, MIGRATIONS.filter((m) => m.version <= 160)).applied).toEqual([160])
    expect(db.prepare('SELECT tx_id, raw FROM transaction_raw').all()).toEqual([{ tx_id: kept, raw: Buffer.from('MSH|^~\\&|A') }])
    expect(db.prepare('SELECT sum(length(raw)) AS n FROM transactions').get()).toEqual({ n: 0 })
    const repo = new TransactionsRepo(db)
    expect(repo.get(kept)?.raw.toString()).toBe('MSH|^~\\&|A')
    expect(repo.get(pruned)?.raw.length).toBe(0)
    expect(migrate(db, MIGRATIONS.filter((m) => m.version <= 160)).applied).toEqual([])
  })

  it('a new transaction writes its bytes once to transaction_raw; a status change leaves them alone', () => {
    migrate(db)
    const repo = new TransactionsRepo(db)
    const raw = Buffer.alloc(300_000, 0x41)
    const r = repo.insert({ practiceId: 'p', connector: 'hl7', channel: 'in', direction: 'in', contentType: 'hl7v2', raw }, 1)
    expect((db.prepare('SELECT length(raw) AS n FROM transactions WHERE id = ?').get(r.id) as { n: number }).n).toBe(0)
    expect(repo.payloadOf(repo.get(r.id)!)).toEqual(raw)
    // A status change rewrites the row, which is now a few hundred bytes instead of the payload.
    const pages = (): number => (db.prepare("SELECT sum(pgsize) AS n FROM dbstat WHERE name = 'transactions'").get() as { n: number }).n
    const before = pages()
    repo.finish({ id: r.id, status: 'done', attempt: 1, startedAt: 2, finishedAt: 3, steps: [] })
    expect(pages()).toBe(before)
    expect(repo.get(r.id)?.raw).toEqual(raw)
  })
})
