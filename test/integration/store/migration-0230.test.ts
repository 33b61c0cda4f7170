import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../../../electron/engine/store/database'
import { migrate, MIGRATIONS } from '../../../electron/engine/store/migrations'
import { RecordStore } from '../../../electron/engine/records/record-store'

describe('migration 0230 (document bodies in a table of their own)', () => {
  let dir: string
  let db: Db
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ps-m230-'))
    db = openDatabase({ file: join(dir, 'db'), keyHex: randomBytes(32).toString('hex') })
  })
  afterEach(() => {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('reads a body stored inline before it, moves it out at its next change, and goes with its record', () => {
    migrate(db, MIGRATIONS.filter((m) => m.version < 230))
    db.prepare(`INSERT INTO practices (id, name, environment, time_zone, created_at, updated_at) VALUES ('p', 'P', 'sandbox', 'UTC', 1, 1)`).run()
    const body = Buffer.from('%PDF-1.4 an old scan').toString('base64')
    db.prepare(`INSERT INTO records (id, practice_id, kind, data, created_at, updated_at) VALUES (7, 'p', 'document', ?, 1, 1)`).run(JSON.stringify({ title: 'Old', content_base64: body }))
    db.prepare(`INSERT INTO external_ids (practice_id, kind, system, value, record_id) VALUES ('p', 'document', 'x', 'D1', 7)`).run()
    expect(migrate(db).applied).toContain(230)

    const store = new RecordStore(db, () => 10)
    expect(store.get(7)!.data).toEqual({ title: 'Old', content_base64: body })
    // Nothing changes: the inline body stays where it is.
    expect(store.upsert({ practiceId: 'p', kind: 'document', ids: [{ system: 'x', value: 'D1' }], data: { content_base64: body } }).op).toBe('unchanged')
    expect(db.prepare('SELECT count(*) FROM record_bodies').pluck().get()).toBe(0)
    // A metadata change moves it out: the row small, the body read back the same, the history a summary.
    const r = store.patch(7, { title: 'Renamed' })
    expect(r.op).toBe('update')
    expect(JSON.parse(db.prepare('SELECT data FROM records WHERE id = 7').pluck().get() as string)).toEqual({ title: 'Renamed' })
    expect(store.get(7)!.data).toEqual({ title: 'Renamed', content_base64: body })
    const change = db.prepare('SELECT before, after FROM record_changes WHERE record_id = 7').get() as { before: string; after: string }
    expect(JSON.parse(change.before).content_base64).toMatch(/^\(content: \d+ bytes, sha256 [0-9a-f]{64}\)$/)
    expect(JSON.parse(change.after).content_base64).toBe(JSON.parse(change.before).content_base64)
    // Null clears the body; the record goes, and its body with it.
    store.patch(7, { content_base64: null })
    expect(store.get(7)!.data).toEqual({ title: 'Renamed', content_base64: null })
    expect(db.prepare('SELECT count(*) FROM record_bodies').pluck().get()).toBe(0)
    store.patch(7, { content_base64: body })
    expect(db.prepare('SELECT count(*) FROM record_bodies').pluck().get()).toBe(1)
    db.prepare('DELETE FROM records WHERE id = 7').run()
    expect(db.prepare('SELECT count(*) FROM record_bodies').pluck().get()).toBe(0)
    expect(migrate(db).applied).toEqual([])
  })
})
