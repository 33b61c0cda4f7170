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

describe('migration 0040 (operator console)', () => {
  let dir: string
  let db: Db
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ps-m40-'))
    db = openDatabase({ file: join(dir, 'db'), keyHex: randomBytes(32).toString('hex') })
  })
  afterEach(() => {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('applies on top of the earlier migrations, keeping their data', () => {
    migrate(db, MIGRATIONS.filter((m) => m.version < 40))
    db.prepare(`INSERT INTO practices (id, name, environment, time_zone, created_at, updated_at) VALUES ('p', 'P', 'sandbox', 'UTC', 1, 1)`).run()
    db.prepare(`INSERT INTO transactions (practice_id, connector, channel, direction, status, received_at, updated_at, content_type, raw, raw_sha256, error_group, error_at)
      VALUES ('p', 'hl7', 'adt-in', 'in', 'error', 5, 5, 'hl7v2', x'00', 'x', 'validation_error|x', 5)`).run()
    const r = migrate(db)
    expect(r.applied).toContain(40)
    const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]).map((t) => t.name)
    expect(tables).toEqual(expect.arrayContaining(['saved_searches', 'alert_rules', 'notifications']))
    expect(db.prepare(`SELECT count(*) AS n FROM transactions INDEXED BY tx_practice_error_group WHERE practice_id = 'p' AND status = 'error'`).get()).toEqual({ n: 1 })
    expect(migrate(db).applied).toEqual([])
  })

  it('gives the console queries index-only plans', () => {
    migrate(db)
    expect(plan(db, `SELECT count(*) FROM transactions INDEXED BY tx_practice_channel WHERE practice_id = ? AND connector = ? AND channel = ? AND received_at >= ? AND received_at < ?`, 'p', 'c', 'x', 0, 1)).toMatch(/COVERING INDEX tx_practice_channel/)
    expect(plan(db, `SELECT error_group, connector, channel, triage_state, count(*) FROM transactions INDEXED BY tx_practice_error_group WHERE practice_id = ? AND status = 'error' GROUP BY error_group, connector, channel, triage_state`, 'p')).not.toMatch(/TEMP B-TREE/)
    expect(plan(db, `SELECT id FROM transactions WHERE practice_id = ? AND received_at >= ? AND received_at < ? ORDER BY received_at DESC, id DESC LIMIT 100`, 'p', 0, 1)).toMatch(/tx_practice_received/)
  })

  it('removes a practice’s saved searches, rules and notifications with the practice', () => {
    migrate(db)
    db.prepare(`INSERT INTO practices (id, name, environment, time_zone, created_at, updated_at) VALUES ('p', 'P', 'sandbox', 'UTC', 1, 1)`).run()
    db.prepare(`INSERT INTO saved_searches (id, practice_id, name, filter, created_by, created_at, updated_at) VALUES ('s', 'p', 'n', '{}', 'a', 1, 1)`).run()
    db.prepare(`INSERT INTO alert_rules (id, practice_id, name, kind, level, threshold, window_minutes, created_at, updated_at) VALUES ('r', 'p', 'n', 'queue_depth', 'warning', 1, 1, 1, 1)`).run()
    db.prepare(`INSERT INTO notifications (id, practice_id, rule_id, level, title, message, at) VALUES ('n', 'p', 'r', 'warning', 't', 'm', 1)`).run()
    db.prepare(`DELETE FROM practices WHERE id = 'p'`).run()
    for (const t of ['saved_searches', 'alert_rules', 'notifications']) expect(db.prepare(`SELECT count(*) AS n FROM ${t}`).get()).toEqual({ n: 0 })
  })
})
