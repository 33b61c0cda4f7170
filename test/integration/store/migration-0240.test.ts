import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../../../electron/engine/store/database'
import { migrate, MIGRATIONS } from '../../../electron/engine/store/migrations'
import { RecordStore } from '../../../electron/engine/records/record-store'
import { RetentionRepo } from '../../../electron/engine/maintenance/retention-repo'

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

describe('migration 0240 (document bodies stored by hash)', () => {
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

  it("moves 0230's bodies into `bodies` once per hash, keeps every record's body readable, and refuses a reference to a body that is not stored", () => {
    migrate(db, MIGRATIONS.filter((m) => m.version < 240))
    db.prepare(`INSERT INTO practices (id, name, environment, time_zone, created_at, updated_at) VALUES ('p', 'P', 'sandbox', 'UTC', 1, 1)`).run()
    const shared = Buffer.from(randomBytes(300_000).toString('base64'))
    const own = Buffer.from(Buffer.from('%PDF-1.4 another scan').toString('base64'))
    const inline = Buffer.from('%PDF-1.4 from before 0230').toString('base64')
    const insertRecord = db.prepare(`INSERT INTO records (id, practice_id, kind, data, created_at, updated_at) VALUES (?, 'p', 'document', ?, 1, 1)`)
    const insertBody = db.prepare('INSERT INTO record_bodies (record_id, bytes, sha256, body) VALUES (?, ?, ?, ?)')
    for (const [id, body] of [[1, shared], [2, shared], [3, own]] as const) {
      insertRecord.run(id, JSON.stringify({ title: `Doc ${id}` }))
      insertBody.run(id, body.length, sha(body), body)
    }
    insertRecord.run(4, JSON.stringify({ title: 'Doc 4', content_base64: inline }))
    expect(migrate(db).applied).toContain(240)

    expect(db.prepare('SELECT sha256, bytes FROM bodies ORDER BY bytes').all()).toEqual([
      { sha256: sha(own), bytes: own.length },
      { sha256: sha(shared), bytes: shared.length },
    ])
    expect(db.prepare('SELECT record_id, sha256, bytes FROM record_bodies ORDER BY record_id').all()).toEqual([
      { record_id: 1, sha256: sha(shared), bytes: shared.length },
      { record_id: 2, sha256: sha(shared), bytes: shared.length },
      { record_id: 3, sha256: sha(own), bytes: own.length },
    ])
    const store = new RecordStore(db, () => 10)
    expect(store.get(1)!.data).toEqual({ title: 'Doc 1', content_base64: shared.toString() })
    expect(store.get(2)!.data.content_base64).toBe(shared.toString())
    expect(store.get(3)!.data.content_base64).toBe(own.toString())
    // A body from before 0230 is still read inline, and moved into `bodies` at its next change.
    expect(store.get(4)!.data).toEqual({ title: 'Doc 4', content_base64: inline })
    store.patch(4, { title: 'Renamed' })
    expect(store.get(4)!.data).toEqual({ title: 'Renamed', content_base64: inline })
    expect(db.prepare('SELECT count(*) FROM bodies').pluck().get()).toBe(3)

    // The database's own rule: no reference to a body that is not stored.
    expect(() => db.prepare('UPDATE record_bodies SET sha256 = ? WHERE record_id = 3').run('0'.repeat(64))).toThrow(/FOREIGN KEY/)
    expect(() => db.prepare('DELETE FROM bodies WHERE sha256 = ?').run(sha(own))).toThrow(/FOREIGN KEY/)

    // A body two records share stays while one refers to it; once none does (and past the grace
    // period), retention deletes it, and only it.
    store.patch(1, { content_base64: own.toString() })
    const retention = new RetentionRepo(db)
    expect(retention.deleteOrphanBodies(Number.MAX_SAFE_INTEGER, 10).rows).toBe(0)
    store.patch(2, { content_base64: null })
    expect(retention.deleteOrphanBodies(0, 10).rows).toBe(0)
    expect(retention.deleteOrphanBodies(Number.MAX_SAFE_INTEGER, 10)).toEqual({ rows: 1, bytes: shared.length })
    expect(db.prepare('SELECT count(*) FROM bodies WHERE sha256 = ?').pluck().get(sha(shared))).toBe(0)
    expect(store.get(1)!.data.content_base64).toBe(own.toString())
    // A record deleted: its reference goes with it, and its body is then retention's.
    db.prepare('DELETE FROM records WHERE id IN (1, 3)').run()
    expect(retention.deleteOrphanBodies(Number.MAX_SAFE_INTEGER, 10).rows).toBe(1)
    expect(db.prepare('SELECT count(*) FROM bodies').pluck().get()).toBe(1)
    expect(migrate(db).applied).toEqual([])
  })
})
