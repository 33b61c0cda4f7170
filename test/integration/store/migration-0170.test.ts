import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../../../electron/engine/store/database'
import { migrate, MIGRATIONS } from '../../../electron/engine/store/migrations'

describe('migration 0170 (the retention rule that removed a raw payload)', () => {
  let dir: string
  let db: Db
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ps-m170-'))
    db = openDatabase({ file: join(dir, 'db'), keyHex: randomBytes(32).toString('hex') })
  })
  afterEach(() => {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('applies on top of the earlier migrations: a row pruned before it keeps its date and has no rule; the scope is checked', () => {
    migrate(db, MIGRATIONS.filter((m) => m.version < 170))
    const insert = db.prepare(`INSERT INTO transactions (practice_id, connector, channel, direction, status, received_at, updated_at, content_type, raw, raw_sha256, raw_pruned_at)
      VALUES ('p', 'hl7', 'in', 'in', 'done', 1, 1, 'hl7v2', x'', 'x', ?)`)
    insert.run(5)
    expect(migrate(db, MIGRATIONS.filter((m) => m.version <= 170)).applied).toEqual([170])
    expect(db.prepare('SELECT raw_pruned_at, raw_pruned_days, raw_pruned_scope FROM transactions').get()).toEqual({ raw_pruned_at: 5, raw_pruned_days: null, raw_pruned_scope: null })
    const id = Number(insert.run(6).lastInsertRowid)
    db.prepare("UPDATE transactions SET raw_pruned_days = 30, raw_pruned_scope = 'connector' WHERE id = ?").run(id)
    expect(() => db.prepare("UPDATE transactions SET raw_pruned_scope = 'whim' WHERE id = ?").run(id)).toThrow(/CHECK/)
    expect(() => db.prepare("UPDATE transactions SET raw_pruned_days = 'a month' WHERE id = ?").run(id)).toThrow(/cannot store TEXT value in INTEGER column/)
    expect(migrate(db, MIGRATIONS.filter((m) => m.version <= 170)).applied).toEqual([])
  })
})
