import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../../../electron/engine/store/database'
import { migrate, MIGRATIONS } from '../../../electron/engine/store/migrations'

describe('migration 0151 (appointment batches)', () => {
  let dir: string
  let db: Db
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ps-m151-'))
    db = openDatabase({ file: join(dir, 'db'), keyHex: randomBytes(32).toString('hex') })
  })
  afterEach(() => {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('applies on top of 0150, keeping its data', () => {
    migrate(db, MIGRATIONS.filter((m) => m.version < 151))
    db.prepare(`INSERT INTO x12_sequences VALUES ('p', 'interchange', 7)`).run()
    expect(migrate(db).applied).toContain(151)
    expect(db.prepare('SELECT last_value FROM x12_sequences').get()).toEqual({ last_value: 7 })
  })

  it('one run per file transaction, one report row per line, one base per appointment and source', () => {
    migrate(db)
    const run = (tx: number | null): number =>
      Number(db.prepare(`INSERT INTO appt_batch_runs (practice_id, tx_id, direction, file_name, format, trigger, status, started_at, started_by) VALUES ('p', ?, 'import', 'f.csv', 'csv', 'on demand', 'running', 1, 't')`).run(tx).lastInsertRowid)
    const r = run(5)
    expect(() => run(5)).toThrow(/UNIQUE/)
    run(null)
    run(null) // exports have no transaction
    db.prepare(`INSERT INTO appt_batch_rows (run_id, line, outcome, message) VALUES (?, 2, 'held', 'x')`).run(r)
    expect(() => db.prepare(`INSERT INTO appt_batch_rows (run_id, line, outcome, message) VALUES (?, 2, 'held', 'y')`).run(r)).toThrow(/UNIQUE|PRIMARY/)
    db.prepare(`INSERT INTO appt_sync_base VALUES ('p', 1, 'athena', '{}', ?)`).run(r)
    expect(() => db.prepare(`INSERT INTO appt_sync_base VALUES ('p', 1, 'athena', '{}', ?)`).run(r)).toThrow(/UNIQUE|PRIMARY/)
    expect(() => db.prepare(`INSERT INTO appt_conflicts (practice_id, run_id, line, record_id, appointment_id, rule, fields, ours, theirs, status, created_at) VALUES ('p', 1, 1, 1, 'a', 'r', '[]', '{}', '{}', 'maybe', 1)`).run()).toThrow(/CHECK/)
    expect(() => db.prepare(`UPDATE appt_batch_runs SET status = 'paused' WHERE id = ?`).run(r)).toThrow(/CHECK/)
  })
})
