import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../../../electron/engine/store/database'
import { migrate, MIGRATIONS } from '../../../electron/engine/store/migrations'

describe('migration 0142 (potential duplicates, reversible merges, records_updated)', () => {
  let dir: string
  let db: Db
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ps-m142-'))
    db = openDatabase({ file: join(dir, 'db'), keyHex: randomBytes(32).toString('hex') })
  })
  afterEach(() => {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('applies after 0141 and keeps each pair once, ordered, with a known grade and status', () => {
    migrate(db, MIGRATIONS.filter((m) => m.version <= 141))
    db.prepare("INSERT INTO practices (id, name, environment, time_zone, settings, created_at, updated_at) VALUES ('p', 'P', 'sandbox', 'UTC', '{}', 1, 1)").run()
    const rec = db.prepare("INSERT INTO records (practice_id, kind, data, created_at, updated_at) VALUES ('p', 'patient', '{}', 1, 1)")
    const a = Number(rec.run().lastInsertRowid)
    const b = Number(rec.run().lastInsertRowid)
    expect(migrate(db, MIGRATIONS.filter((m) => m.version <= 142)).applied).toEqual([142])
    const add = db.prepare("INSERT INTO duplicate_candidates (practice_id, record_a, record_b, score, grade, reasons, origin, status, created_at) VALUES ('p', ?, ?, 20, ?, '[]', 'file', ?, 1)")
    add.run(a, b, 'probable', 'open')
    expect(() => add.run(a, b, 'probable', 'open')).toThrow(/UNIQUE/)
    expect(() => add.run(b, a, 'probable', 'open')).toThrow(/CHECK/)
    expect(() => db.prepare("INSERT INTO duplicate_candidates (practice_id, record_a, record_b, score, grade, reasons, origin, status, created_at) VALUES ('p', ?, ?, 1, 'maybe', '[]', 'file', 'open', 1)").run(a, b + 1)).toThrow(/CHECK/)
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'records_updated'").get()).toEqual({ name: 'records_updated' })
  })
})
