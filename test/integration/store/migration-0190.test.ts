import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../../../electron/engine/store/database'
import { migrate, MIGRATIONS } from '../../../electron/engine/store/migrations'

const H = 3_600_000
// Pinned to this migration: a later one must not change what this test expects to be applied.
const UP_TO_0190 = MIGRATIONS.filter((m) => m.version <= 190)
type Row = { practice_id: string; connector: string; channel: string; hour: number; received: number; done: number; filtered: number; error: number; discarded: number }

describe('migration 0190 (hourly transaction rollup)', () => {
  let dir: string
  let db: Db
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ps-m190-'))
    db = openDatabase({ file: join(dir, 'db'), keyHex: randomBytes(32).toString('hex') })
  })
  afterEach(() => {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const insert = (practice: string, channel: string, status: string, at: number): number =>
    Number(
      db
        .prepare(`INSERT INTO transactions (practice_id, connector, channel, direction, status, received_at, updated_at, content_type, raw, raw_sha256)
          VALUES (?, 'hl7', ?, 'in', ?, ?, ?, 'hl7v2', x'', 'x')`)
        .run(practice, channel, status, at, at).lastInsertRowid,
    )
  const rollup = (): Row[] => db.prepare('SELECT * FROM tx_hourly ORDER BY practice_id, connector, channel, hour').all() as Row[]

  it('fills the rollup from the rows already stored, per practice, lane and hour of receipt', () => {
    migrate(db, MIGRATIONS.filter((m) => m.version < 190))
    insert('a', 'adt', 'done', 5 * H + 1)
    insert('a', 'adt', 'error', 5 * H + 2)
    insert('a', 'adt', 'received', 6 * H - 1)
    insert('a', 'adt', 'filtered', 6 * H)
    insert('b', 'adt', 'discarded', 5 * H)
    expect(migrate(db, UP_TO_0190).applied).toEqual([190])
    expect(rollup()).toEqual([
      { practice_id: 'a', connector: 'hl7', channel: 'adt', hour: 5, received: 3, done: 1, filtered: 0, error: 1, discarded: 0 },
      { practice_id: 'a', connector: 'hl7', channel: 'adt', hour: 6, received: 1, done: 0, filtered: 1, error: 0, discarded: 0 },
      { practice_id: 'b', connector: 'hl7', channel: 'adt', hour: 5, received: 1, done: 0, filtered: 0, error: 0, discarded: 1 },
    ])
    expect(migrate(db, UP_TO_0190).applied).toEqual([])
  })

  it('keeps it in step with inserts, status changes and deletes from then on', () => {
    migrate(db, UP_TO_0190)
    const id = insert('a', 'adt', 'received', 7 * H)
    const refused = insert('a', 'adt', 'error', 7 * H + 10)
    expect(rollup()).toMatchObject([{ hour: 7, received: 2, done: 0, error: 1 }])
    // received → processing is not a finished status: nothing changes.
    db.prepare(`UPDATE transactions SET status = 'processing' WHERE id = ?`).run(id)
    db.prepare(`UPDATE transactions SET status = 'error' WHERE id = ?`).run(id)
    expect(rollup()).toMatchObject([{ received: 2, error: 2 }])
    // Reprocess (error → queued) takes it out of error; then it ends done.
    db.prepare(`UPDATE transactions SET status = 'queued' WHERE id = ?`).run(id)
    expect(rollup()).toMatchObject([{ received: 2, error: 1, done: 0 }])
    db.prepare(`UPDATE transactions SET status = 'done' WHERE id = ?`).run(id)
    db.prepare(`UPDATE transactions SET status = 'discarded' WHERE id = ?`).run(refused)
    expect(rollup()).toMatchObject([{ received: 2, error: 0, done: 1, discarded: 1 }])
    db.prepare('DELETE FROM transactions WHERE id = ?').run(id)
    expect(rollup()).toMatchObject([{ received: 1, done: 0, discarded: 1 }])
  })
})
