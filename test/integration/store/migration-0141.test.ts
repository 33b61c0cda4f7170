import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../../../electron/engine/store/database'
import { migrate, MIGRATIONS } from '../../../electron/engine/store/migrations'

describe('migration 0141 (demographics reconciliation)', () => {
  let dir: string
  let db: Db
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ps-m141-'))
    db = openDatabase({ file: join(dir, 'db'), keyHex: randomBytes(32).toString('hex') })
  })
  afterEach(() => {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('applies after 0140, keeps one last-sent row per patient and source, and goes with the patient', () => {
    migrate(db, MIGRATIONS.filter((m) => m.version <= 140))
    expect(migrate(db, MIGRATIONS.filter((m) => m.version <= 141)).applied).toEqual([141])
    db.prepare("INSERT INTO practices (id, name, environment, time_zone, settings, created_at, updated_at) VALUES ('p', 'P', 'sandbox', 'UTC', '{}', 1, 1)").run()
    const rec = Number(db.prepare("INSERT INTO records (practice_id, kind, data, created_at, updated_at) VALUES ('p', 'patient', '{}', 1, 1)").run().lastInsertRowid)
    const sent = db.prepare("INSERT INTO patient_source_values (practice_id, record_id, source, data, at) VALUES ('p', ?, 'file:j', '{}', 1)")
    sent.run(rec)
    expect(() => sent.run(rec)).toThrow(/UNIQUE|PRIMARY KEY/)
    const ch = db.prepare("INSERT INTO patient_field_changes (practice_id, record_id, field, new_value, source, policy, status, at) VALUES ('p', ?, 'email', '\"a@b.c\"', 'file:j', 'review', ?, 1)")
    ch.run(rec, 'held')
    expect(() => ch.run(rec, 'pending')).toThrow(/CHECK/)
    db.pragma('foreign_keys = ON')
    db.prepare('DELETE FROM records WHERE id = ?').run(rec)
    expect(db.prepare('SELECT count(*) AS n FROM patient_source_values').get()).toEqual({ n: 0 })
    expect(db.prepare('SELECT count(*) AS n FROM patient_field_changes').get()).toEqual({ n: 0 })
  })
})
