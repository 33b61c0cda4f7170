import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../../../electron/engine/store/database'
import { migrate, MIGRATIONS } from '../../../electron/engine/store/migrations'

function plan(db: Db, sql: string, ...params: unknown[]): string {
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join('\n')
}

describe('migration 0030 (athenaNet)', () => {
  let dir: string
  let db: Db
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ps-m30-'))
    db = openDatabase({ file: join(dir, 'db'), keyHex: randomBytes(32).toString('hex') })
  })
  afterEach(() => {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('applies on top of the earlier migrations and creates the athena tables', () => {
    migrate(db, MIGRATIONS.filter((m) => m.version < 30))
    db.prepare(`INSERT INTO practices (id, name, environment, time_zone, created_at, updated_at) VALUES ('p', 'P', 'sandbox', 'UTC', 1, 1)`).run()
    // Pinned to this version's own migrations: later ones add athena tables of their own (0180).
    const r = migrate(db, MIGRATIONS.filter((m) => m.version <= 30))
    expect(r.applied).toEqual([30])
    const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'athena_%' ORDER BY name`).all() as { name: string }[]).map((t) => t.name)
    // athena_push_cursors comes with 0050.
    expect(tables.filter((n) => n !== 'athena_push_cursors')).toEqual(['athena_api_calls', 'athena_feed_reads', 'athena_outbound', 'athena_reference', 'athena_sync_state', 'athena_usage'])
    expect(db.prepare(`SELECT count(*) AS n FROM practices`).get()).toEqual({ n: 1 })
    expect(migrate(db, MIGRATIONS.filter((m) => m.version <= 30)).applied).toEqual([])
  })

  it('serves the API log page and the feed journal from indexes', () => {
    migrate(db)
    expect(plan(db, `SELECT * FROM athena_api_calls WHERE practice_id = ? AND id < ? ORDER BY id DESC LIMIT 100`, 'p', 10)).toMatch(/athena_api_calls_practice/)
    expect(plan(db, `SELECT * FROM athena_api_calls WHERE practice_id = ? AND endpoint = ? ORDER BY id DESC LIMIT 100`, 'p', '/x')).toMatch(/athena_api_calls_endpoint/)
    expect(plan(db, `DELETE FROM athena_api_calls WHERE at < ?`, 1)).toMatch(/athena_api_calls_at/)
    expect(plan(db, `SELECT id FROM athena_feed_reads WHERE practice_id = ? AND feed = ? AND completed_at IS NULL ORDER BY id`, 'p', 'patients')).toMatch(/athena_feed_reads_open/)
  })

  it('checks outcomes, sync states and outbound states', () => {
    migrate(db)
    const bad = [
      `INSERT INTO athena_api_calls (at, practice_id, method, endpoint, path, outcome, latency_ms, attempt, request_id) VALUES (1, 'p', 'GET', '/', '/', 'maybe', 1, 1, 'r')`,
      `INSERT INTO athena_sync_state (practice_id, stream, status, updated_at) VALUES ('p', 'patients', 'paused', 1)`,
      `INSERT INTO athena_outbound (practice_id, op_key, state, created_at, updated_at) VALUES ('p', 'k', 'lost', 1, 1)`,
    ]
    for (const sql of bad) expect(() => db.prepare(sql).run()).toThrow(/CHECK/)
    db.prepare(`INSERT INTO athena_usage (practice_id, scope, day, calls) VALUES ('p', 'h|c', '2025-06-02', 3)`).run()
    expect(() => db.prepare(`INSERT INTO athena_usage (practice_id, scope, day, calls) VALUES ('p', 'h|c', '2025-06-02', 1)`).run()).toThrow(/UNIQUE|PRIMARY/)
  })
})
