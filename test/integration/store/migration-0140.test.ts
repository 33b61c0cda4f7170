import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../../../electron/engine/store/database'
import { migrate, MIGRATIONS } from '../../../electron/engine/store/migrations'

describe('migration 0140 (file jobs, pickups, row ledger)', () => {
  let dir: string
  let db: Db
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ps-m140-'))
    db = openDatabase({ file: join(dir, 'db'), keyHex: randomBytes(32).toString('hex') })
  })
  afterEach(() => {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('applies on top of the earlier migrations and keeps their data', () => {
    migrate(db, MIGRATIONS.filter((m) => m.version < 140))
    db.prepare("INSERT INTO practices (id, name, environment, time_zone, settings, created_at, updated_at) VALUES ('p', 'P', 'sandbox', 'UTC', '{}', 1, 1)").run()
    expect(migrate(db, MIGRATIONS.filter((m) => m.version <= 140)).applied).toEqual([140])
    expect(db.prepare('SELECT count(*) AS n FROM practices').get()).toEqual({ n: 1 })
  })

  it('allows one running run per job, one ledger entry per line, and checks outcomes', () => {
    migrate(db)
    db.prepare("INSERT INTO practices (id, name, environment, time_zone, settings, created_at, updated_at) VALUES ('p', 'P', 'sandbox', 'UTC', '{}', 1, 1)").run()
    db.prepare("INSERT INTO file_jobs (id, practice_id, connection_id, name, direction, kind, config, created_at, updated_at) VALUES ('j', 'p', 'c', 'n', 'inbound', 'demographics', '{}', 1, 1)").run()
    const run = db.prepare("INSERT INTO file_job_runs (job_id, practice_id, trigger, actor, status, started_at) VALUES ('j', 'p', 'manual', 'a', ?, 1)")
    run.run('running')
    expect(() => run.run('running')).toThrow(/UNIQUE/)
    run.run('ok')
    const row = db.prepare('INSERT INTO file_rows (tx_id, line, outcome) VALUES (?, ?, ?)')
    row.run(1, 2, 'created')
    expect(() => row.run(1, 2, 'updated')).toThrow(/UNIQUE|PRIMARY KEY/)
    expect(() => row.run(1, 3, 'maybe')).toThrow(/CHECK/)
    expect(() => db.prepare("INSERT INTO file_jobs (id, practice_id, connection_id, name, direction, kind, config, created_at, updated_at) VALUES ('k', 'p', 'c', 'n2', 'sideways', 'x', '{}', 1, 1)").run()).toThrow(/CHECK/)
    // Sequences count per job and day.
    const seq = db.prepare("INSERT INTO file_sequences (job_id, day, seq) VALUES ('j', ?, 1) ON CONFLICT (job_id, day) DO UPDATE SET seq = seq + 1 RETURNING seq")
    expect([seq.get('2026-06-01'), seq.get('2026-06-01'), seq.get('2026-06-02')]).toEqual([{ seq: 1 }, { seq: 2 }, { seq: 1 }])
  })
})
