/**
 * Migration 0001 (core schema) against a real SQLCipher database: the tables and indexes exist,
 * every table is STRICT, the dedup index is unique, and the audit triggers make audit_log append-only.
 */
import { join } from 'node:path'
import { beforeEach, afterEach, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../../../electron/engine/store/database'
import { checksum, migrate } from '../../../electron/engine/store/migrations'
import { migration0001 } from '../../../electron/engine/store/migrations/0001-core'
import { randomKeyHex, tempDir } from '../foundation/support/harness'

const TABLES = ['settings', 'practices', 'connections', 'transactions', 'transaction_steps', 'transaction_payloads', 'records', 'external_ids', 'record_changes', 'audit_log']
const INDEXES = [
  'tx_lane',
  'tx_practice',
  'tx_practice_status',
  'tx_status',
  'tx_received',
  'tx_control',
  'tx_mrn',
  'tx_patient',
  'tx_appointment',
  'tx_dedup',
  'tx_error_group',
  'tx_steps_tx',
  'records_kind',
  'records_key1',
  'records_key23',
  'records_patient',
  'external_ids_record',
  'record_changes_tx',
  'record_changes_record',
  'audit_target',
  'audit_practice',
]

describe('migration 0001 (core)', () => {
  let db: Db
  beforeEach(() => {
    db = openDatabase({ file: join(tempDir(), 'm1.db'), keyHex: randomKeyHex() })
    const r = migrate(db, [migration0001])
    expect(r.applied).toEqual([1])
  })
  afterEach(() => db.close())

  it('is recorded with its version, name and checksum', () => {
    expect(db.prepare('SELECT version, name, checksum FROM schema_migrations').all()).toEqual([{ version: 1, name: 'core', checksum: checksum(migration0001) }])
  })

  it('creates every table, STRICT, plus the FTS table', () => {
    const tables = db.prepare("SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND type = 'table'").all() as { name: string; strict: number }[]
    const byName = new Map(tables.map((t) => [t.name, t.strict]))
    for (const t of TABLES) {
      expect(byName.has(t), `table ${t}`).toBe(true)
      expect(byName.get(t), `table ${t} is STRICT`).toBe(1)
    }
    const fts = db.prepare("SELECT sql FROM sqlite_master WHERE name = 'transactions_fts'").get() as { sql: string } | undefined
    expect(fts?.sql).toMatch(/USING fts5/)
    // STRICT really bites: a wrong type is an error, not a silent coercion.
    expect(() =>
      db.prepare("INSERT INTO practices (id, name, environment, time_zone, created_at, updated_at) VALUES ('p', 'P', 'preview', 'UTC', 'yesterday', 0)").run(),
    ).toThrow(/cannot store TEXT value in INTEGER column practices.created_at/)
  })

  it('creates every index; the dedup index is unique and partial', () => {
    const idx = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").all() as { name: string; sql: string }[]
    const names = idx.map((i) => i.name)
    for (const n of INDEXES) expect(names, `index ${n}`).toContain(n)
    const dedup = idx.find((i) => i.name === 'tx_dedup')!
    expect(dedup.sql).toMatch(/CREATE UNIQUE INDEX/)
    expect(dedup.sql).toMatch(/WHERE dedup_key IS NOT NULL/)
    // The lane index is what the worker uses to find the next row of a lane.
    const plan = db
      .prepare("EXPLAIN QUERY PLAN SELECT * FROM transactions WHERE practice_id = 'p' AND connector = 'c' AND id > 0 AND status IN ('received','queued','processing') ORDER BY id LIMIT 1")
      .all() as { detail: string }[]
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/tx_lane/)
  })

  it('enforces the status and environment CHECK constraints and the dedup uniqueness', () => {
    const now = Date.now()
    db.prepare("INSERT INTO practices (id, name, environment, time_zone, created_at, updated_at) VALUES ('p', 'P', 'preview', 'UTC', ?, ?)").run(now, now)
    expect(() => db.prepare("INSERT INTO practices (id, name, environment, time_zone, created_at, updated_at) VALUES ('q', 'Q', 'staging', 'UTC', ?, ?)").run(now, now)).toThrow(/CHECK constraint/)
    const ins = db.prepare(`INSERT INTO transactions (practice_id, connector, channel, direction, status, received_at, updated_at, content_type, raw, raw_sha256, dedup_key)
      VALUES ('p', 'c', 'ch', 'in', ?, 0, 0, 'text', x'00', 'h', ?)`)
    ins.run('received', 'k1')
    ins.run('received', null)
    ins.run('received', null) // NULL keys never collide
    expect(() => ins.run('received', 'k1')).toThrow(/UNIQUE constraint failed/)
    expect(() => ins.run('lost', 'k2')).toThrow(/CHECK constraint/)
  })

  it('makes audit_log append-only: UPDATE and DELETE are rejected by triggers', () => {
    const ins = db.prepare(`INSERT INTO audit_log (at, actor, action, outcome, details, prev_hash, hash) VALUES (1, 'a', 'x', 'ok', '{}', 'p', 'h')`)
    ins.run()
    ins.run()
    expect(() => db.prepare("UPDATE audit_log SET details = '{\"tampered\":true}' WHERE seq = 1").run()).toThrow(/audit_log is append-only/)
    expect(() => db.prepare('DELETE FROM audit_log WHERE seq = 2').run()).toThrow(/audit_log is append-only/)
    expect(() => db.prepare('DELETE FROM audit_log').run()).toThrow(/audit_log is append-only/)
    expect((db.prepare('SELECT count(*) AS n FROM audit_log').get() as { n: number }).n).toBe(2)
    expect(db.prepare("SELECT details FROM audit_log WHERE seq = 1").get()).toEqual({ details: '{}' })
    const triggers = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'").all() as { name: string }[]).map((r) => r.name)
    expect(triggers.sort()).toEqual(['audit_no_delete', 'audit_no_update'])
  })

  it('cascades a practice delete to its connections and records', () => {
    const now = Date.now()
    db.prepare("INSERT INTO practices (id, name, environment, time_zone, created_at, updated_at) VALUES ('p', 'P', 'preview', 'UTC', ?, ?)").run(now, now)
    db.prepare("INSERT INTO connections (id, practice_id, kind, name, config, created_at, updated_at) VALUES ('c1', 'p', 'athena-rest', 'a', '{}', ?, ?)").run(now, now)
    db.prepare("INSERT INTO records (practice_id, kind, data, created_at, updated_at) VALUES ('p', 'patient', '{}', ?, ?)").run(now, now)
    db.prepare("DELETE FROM practices WHERE id = 'p'").run()
    expect((db.prepare('SELECT count(*) AS n FROM connections').get() as { n: number }).n).toBe(0)
    expect((db.prepare('SELECT count(*) AS n FROM records').get() as { n: number }).n).toBe(0)
  })
})
