import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../../../electron/engine/store/database'
import { migrate, MIGRATIONS } from '../../../electron/engine/store/migrations'

describe('migration 0060 (inbox move cursor)', () => {
  let dir: string
  let db: Db
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ps-m60-'))
    db = openDatabase({ file: join(dir, 'db'), keyHex: randomBytes(32).toString('hex') })
  })
  afterEach(() => {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('applies on top of the earlier migrations, keeping their data, and starts at nothing moved', () => {
    migrate(db, MIGRATIONS.filter((m) => m.version < 60))
    db.prepare(`INSERT INTO transactions (practice_id, connector, channel, direction, status, received_at, updated_at, content_type, raw, raw_sha256)
      VALUES ('p', 'hl7', 'in', 'in', 'received', 1, 1, 'hl7v2', x'4d5348', 'x')`).run()
    const upTo60 = MIGRATIONS.filter((m) => m.version <= 60)
    expect(migrate(db, upTo60).applied).toEqual([60])
    expect(db.prepare('SELECT count(*) AS n FROM transactions').get()).toEqual({ n: 1 })
    expect(db.prepare('SELECT id, moved_upto FROM inbox_moves').all()).toEqual([{ id: 1, moved_upto: 0 }])
    expect(migrate(db, upTo60).applied).toEqual([])
  })

  it('holds exactly one cursor row with an integer position', () => {
    migrate(db)
    expect(() => db.prepare('INSERT INTO inbox_moves VALUES (2, 0, 0)').run()).toThrow(/CHECK/)
    expect(() => db.prepare("UPDATE inbox_moves SET moved_upto = 'x' WHERE id = 1").run()).toThrow(/cannot store TEXT value in INTEGER column/)
  })
})
