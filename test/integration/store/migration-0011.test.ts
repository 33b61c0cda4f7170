import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../../../electron/engine/store/database'
import { migrate, MIGRATIONS } from '../../../electron/engine/store/migrations'

describe('migration 0011 (mapping studio)', () => {
  let dir: string
  let db: Db
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ps-m11-'))
    db = openDatabase({ file: join(dir, 'db'), keyHex: randomBytes(32).toString('hex') })
  })
  afterEach(() => {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('applies on top of 0010, keeping mapping versions and misses', () => {
    migrate(db, MIGRATIONS.filter((m) => m.version <= 10))
    db.prepare(`INSERT INTO practices (id, name, environment, time_zone, created_at, updated_at) VALUES ('p', 'P', 'sandbox', 'UTC', 1, 1)`).run()
    db.prepare(`INSERT INTO mapping_versions (practice_id, set_key, version, body, author, comment, created_at) VALUES ('p', 'a.b', 1, '{"baseKey":"a.b"}', 'x', 'c', 1)`).run()
    db.prepare(`INSERT INTO code_misses (practice_id, set_key, map_name, value, count, first_seen, last_seen, examples) VALUES ('p', 'a.b', 'm', 'X', 3, 1, 2, '[1,2]')`).run()
    expect(migrate(db).applied).toContain(11)
    expect(db.prepare('SELECT count(*) AS n FROM mapping_versions').get()).toEqual({ n: 1 })
    expect(db.prepare('SELECT count FROM code_misses').get()).toEqual({ count: 3 })
    expect(migrate(db).applied).toEqual([])
  })

  it('holds either sample text or a transaction reference, and goes with the practice', () => {
    migrate(db)
    db.prepare(`INSERT INTO practices (id, name, environment, time_zone, created_at, updated_at) VALUES ('p', 'P', 'sandbox', 'UTC', 1, 1)`).run()
    const ins = db.prepare(`INSERT INTO mapping_samples (practice_id, name, kind, origin, tx_id, content, sensitive, created_by, created_at) VALUES ('p', 'n', ?, 'file', ?, ?, 0, 'a', 1)`)
    ins.run('hl7', null, 'MSH|...')
    ins.run('hl7', 7, null)
    expect(() => ins.run('hl7', 7, 'both')).toThrow(/CHECK/)
    expect(() => ins.run('hl7', null, null)).toThrow(/CHECK/)
    expect(() => ins.run('xml', null, '<a/>')).toThrow(/CHECK/)
    db.prepare(`INSERT INTO code_miss_transactions (practice_id, set_key, map_name, value, tx_id, seen_at) VALUES ('p', 'a.b', 'm', 'X', 7, 1)`).run()
    expect(() => db.prepare(`INSERT INTO code_miss_transactions (practice_id, set_key, map_name, value, tx_id, seen_at) VALUES ('p', 'a.b', 'm', 'X', 7, 2)`).run()).toThrow(/UNIQUE|PRIMARY/)
    db.prepare(`DELETE FROM practices WHERE id = 'p'`).run()
    for (const t of ['mapping_samples', 'code_miss_transactions']) expect(db.prepare(`SELECT count(*) AS n FROM ${t}`).get()).toEqual({ n: 0 })
  })
})
