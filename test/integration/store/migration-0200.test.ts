import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../../../electron/engine/store/database'
import { migrate, MIGRATIONS } from '../../../electron/engine/store/migrations'
import { SyncStateRepo } from '../../../electron/engine/connectors/athena/store/sync-state-repo'

describe('migration 0200 (totals of the last finished athenaNet sync)', () => {
  let dir: string
  let db: Db
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ps-m200-'))
    db = openDatabase({ file: join(dir, 'db'), keyHex: randomBytes(32).toString('hex') })
  })
  afterEach(() => {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('keeps the sync state before it, holds one total per practice, stream and mode, and goes with its practice', () => {
    migrate(db, MIGRATIONS.filter((m) => m.version < 200))
    db.prepare(`INSERT INTO practices (id, name, environment, time_zone, created_at, updated_at) VALUES ('p', 'P', 'sandbox', 'UTC', 1, 1), ('q', 'Q', 'sandbox', 'UTC', 1, 1)`).run()
    db.prepare(`INSERT INTO athena_sync_state (practice_id, stream, status, updated_at, records) VALUES ('p', 'patients', 'done', 1, 40)`).run()
    expect(migrate(db).applied).toContain(200)
    expect(db.prepare('SELECT records FROM athena_sync_state').get()).toEqual({ records: 40 })

    const repo = new SyncStateRepo(db)
    expect(repo.lastTotals('p', 'patients', 'full')).toBeNull()
    repo.putTotals('p', 'patients', 'full', 1200, 24, 10)
    repo.putTotals('p', 'patients', 'full', 1250, 25, 20)
    repo.putTotals('p', 'patients', 'incremental', 3, 1, 30)
    repo.putTotals('q', 'patients', 'full', 7, 1, 40)
    expect(repo.lastTotals('p', 'patients', 'full')).toEqual({ items: 1250, pages: 25, finishedAt: 20 })
    expect(repo.lastTotals('p', 'patients', 'incremental')).toEqual({ items: 3, pages: 1, finishedAt: 30 })
    expect(repo.lastTotals('p', 'appointments', 'full')).toBeNull()
    expect(() => db.prepare(`INSERT INTO athena_sync_totals (practice_id, stream, mode, items, pages, finished_at) VALUES ('nobody', 'patients', 'full', 1, 1, 1)`).run()).toThrow(/FOREIGN KEY/)

    db.prepare(`DELETE FROM practices WHERE id = 'p'`).run()
    expect(db.prepare('SELECT practice_id FROM athena_sync_totals').all()).toEqual([{ practice_id: 'q' }])
    expect(migrate(db).applied).toEqual([])
  })
})
