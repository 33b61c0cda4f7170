/**
 * Migration 0010 (mapping): versions, drafts and code-miss counters, on top of 0001. Checks the
 * tables, their keys, and that deleting a practice takes its mapping data with it.
 */
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../../../electron/engine/store/database'
import { migrate } from '../../../electron/engine/store/migrations'
import { migration0001 } from '../../../electron/engine/store/migrations/0001-core'
import { migration0010 } from '../../../electron/engine/store/migrations/0010-mapping'
import { randomKeyHex, tempDir } from '../foundation/support/harness'

describe('migration 0010 (mapping)', () => {
  let db: Db
  beforeEach(() => {
    db = openDatabase({ file: join(tempDir(), 'm10.db'), keyHex: randomKeyHex() })
    expect(migrate(db, [migration0001]).applied).toEqual([1])
    expect(migrate(db, [migration0001, migration0010]).applied).toEqual([10])
    db.prepare("INSERT INTO practices (id, name, environment, time_zone, created_at, updated_at) VALUES ('p1', 'P', 'preview', 'America/New_York', 1, 1)").run()
  })
  afterEach(() => db.close())

  it('creates STRICT mapping tables', () => {
    const strict = new Map((db.prepare("SELECT name, strict FROM pragma_table_list WHERE schema = 'main'").all() as { name: string; strict: number }[]).map((t) => [t.name, t.strict]))
    for (const t of ['mapping_versions', 'mapping_drafts', 'code_misses']) expect(strict.get(t), t).toBe(1)
  })

  it('keeps one row per (practice, set, version) and one draft per (practice, set)', () => {
    const v = db.prepare("INSERT INTO mapping_versions (practice_id, set_key, version, body, author, comment, created_at) VALUES ('p1', 'athena.patient.in', ?, '{}', 'a', 'c', 1)")
    v.run(1)
    v.run(2)
    expect(() => v.run(2)).toThrow(/UNIQUE/)
    const d = db.prepare("INSERT INTO mapping_drafts (practice_id, set_key, body, updated_by, updated_at) VALUES ('p1', 'athena.patient.in', '{}', 'a', 1)")
    d.run()
    expect(() => d.run()).toThrow(/UNIQUE/)
  })

  it('counts code misses by (practice, set, map, value) and indexes the open ones', () => {
    const m = db.prepare("INSERT INTO code_misses (practice_id, set_key, map_name, value, count, first_seen, last_seen, examples) VALUES ('p1', 'hl7.adt.patient.in', 'sex', ?, 1, 1, 1, '[]')")
    m.run('X')
    expect(() => m.run('X')).toThrow(/UNIQUE/)
    const plan = db.prepare("EXPLAIN QUERY PLAN SELECT * FROM code_misses WHERE practice_id = 'p1' AND resolved_at IS NULL ORDER BY last_seen").all() as { detail: string }[]
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/code_misses_open/)
  })

  it('removes a practice’s mapping data with the practice', () => {
    db.prepare("INSERT INTO mapping_versions (practice_id, set_key, version, body, author, comment, created_at) VALUES ('p1', 'k', 1, '{}', 'a', 'c', 1)").run()
    db.prepare("INSERT INTO mapping_drafts (practice_id, set_key, body, updated_by, updated_at) VALUES ('p1', 'k', '{}', 'a', 1)").run()
    db.prepare("INSERT INTO code_misses (practice_id, set_key, map_name, value, count, first_seen, last_seen, examples) VALUES ('p1', 'k', 'm', 'v', 1, 1, 1, '[]')").run()
    db.prepare("DELETE FROM practices WHERE id = 'p1'").run()
    for (const t of ['mapping_versions', 'mapping_drafts', 'code_misses']) expect((db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n, t).toBe(0)
  })
})
