import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../../../electron/engine/store/database'
import { migrate, MIGRATIONS } from '../../../electron/engine/store/migrations'

describe('migration 0050 (athena push cursors)', () => {
  let dir: string
  let db: Db
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ps-m50-'))
    db = openDatabase({ file: join(dir, 'db'), keyHex: randomBytes(32).toString('hex') })
  })
  afterEach(() => {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('applies on top of the earlier migrations, keeping their data', () => {
    migrate(db, MIGRATIONS.filter((m) => m.version < 50))
    db.prepare(`INSERT INTO practices (id, name, environment, time_zone, created_at, updated_at) VALUES ('p', 'P', 'sandbox', 'UTC', 1, 1)`).run()
    db.prepare(`INSERT INTO records (practice_id, kind, data, created_at, updated_at) VALUES ('p', 'appointment', '{}', 1, 1)`).run()
    db.prepare(`INSERT INTO record_changes (practice_id, record_id, kind, op, after, at) VALUES ('p', 1, 'appointment', 'create', '{}', 1)`).run()
    const r = migrate(db)
    expect(r.applied).toContain(50)
    expect(db.prepare('SELECT count(*) AS n FROM record_changes').get()).toEqual({ n: 1 })
    expect(migrate(db).applied).toEqual([])
  })

  it('one cursor per (practice, athena connection), integer change ids', () => {
    migrate(db)
    const cols = (db.prepare("SELECT name FROM pragma_table_info('athena_push_cursors')").all() as { name: string }[]).map((c) => c.name)
    expect(cols).toEqual(['practice_id', 'connection_id', 'last_change_id', 'updated_at'])
    db.prepare('INSERT INTO athena_push_cursors VALUES (?, ?, ?, ?)').run('p', 'c', 1, 1)
    expect(() => db.prepare('INSERT INTO athena_push_cursors VALUES (?, ?, ?, ?)').run('p', 'c', 2, 2)).toThrow(/UNIQUE/)
    expect(() => db.prepare('INSERT INTO athena_push_cursors VALUES (?, ?, ?, ?)').run('p', 'd', 'x', 2)).toThrow()
    db.prepare(`INSERT INTO athena_push_cursors VALUES ('p', 'c', 5, 3) ON CONFLICT (practice_id, connection_id) DO UPDATE SET last_change_id = excluded.last_change_id`).run()
    expect(db.prepare('SELECT last_change_id FROM athena_push_cursors').get()).toEqual({ last_change_id: 5 })
  })
})
