import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../../../electron/engine/store/database'
import { migrate, MIGRATIONS } from '../../../electron/engine/store/migrations'

const H = 3_600_000
const UP_TO_0240 = MIGRATIONS.filter((m) => m.version <= 240)

describe('migration 0240 (the rollup status trigger dropped; status counts kept in code)', () => {
  let dir: string
  let db: Db
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ps-m240-'))
    db = openDatabase({ file: join(dir, 'db'), keyHex: randomBytes(32).toString('hex') })
  })
  afterEach(() => {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const triggers = (): string[] => db.prepare(`SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'transactions' ORDER BY name`).pluck().all() as string[]
  const insert = (status: string, at: number): number =>
    Number(
      db
        .prepare(`INSERT INTO transactions (practice_id, connector, channel, direction, status, received_at, updated_at, content_type, raw, raw_sha256)
          VALUES ('a', 'hl7', 'adt', 'in', ?, ?, ?, 'hl7v2', x'', 'x')`)
        .run(status, at, at).lastInsertRowid,
    )
  const rollup = (): unknown[] => db.prepare('SELECT hour, received, done, filtered, error, discarded FROM tx_hourly ORDER BY hour').all()

  it('drops only the status trigger: the rollup keeps its rows, inserts and deletes are still counted, an UPDATE of status no longer is', () => {
    migrate(db, MIGRATIONS.filter((m) => m.version < 240))
    expect(triggers()).toEqual(['tx_hourly_delete', 'tx_hourly_insert', 'tx_hourly_status'])
    const id = insert('received', 5 * H)
    db.prepare(`UPDATE transactions SET status = 'done' WHERE id = ?`).run(id)
    expect(rollup()).toEqual([{ hour: 5, received: 1, done: 1, filtered: 0, error: 0, discarded: 0 }])

    expect(migrate(db, UP_TO_0240).applied).toEqual([240])
    expect(triggers()).toEqual(['tx_hourly_delete', 'tx_hourly_insert'])
    expect(rollup()).toEqual([{ hour: 5, received: 1, done: 1, filtered: 0, error: 0, discarded: 0 }])
    const other = insert('error', 5 * H + 1)
    expect(rollup()).toEqual([{ hour: 5, received: 2, done: 1, filtered: 0, error: 1, discarded: 0 }])
    // The code that changes a status counts it now (pipeline/status-counts.ts); a bare UPDATE does not.
    db.prepare(`UPDATE transactions SET status = 'discarded' WHERE id = ?`).run(other)
    expect(rollup()).toEqual([{ hour: 5, received: 2, done: 1, filtered: 0, error: 1, discarded: 0 }])
    db.prepare('DELETE FROM transactions WHERE id = ?').run(id)
    expect(rollup()).toEqual([{ hour: 5, received: 1, done: 0, filtered: 0, error: 1, discarded: 0 }])
    expect(migrate(db, UP_TO_0240).applied).toEqual([])
  })
})
