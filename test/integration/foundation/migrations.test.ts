/**
 * The migration runner: forward-only, checksummed, idempotent, and refusing anything it cannot
 * fully understand (an edited applied migration, a newer database, a migration below the highest applied).
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AppError } from '../../../shared/errors'
import { openDatabase, type Db } from '../../../electron/engine/store/database'
import { MIGRATIONS, migrate, type Migration } from '../../../electron/engine/store/migrations'
import { randomKeyHex, tempDir } from './support/harness'

const m = (version: number, sql: string, name = `m${version}`): Migration => ({ version, name, sql })

function tables(db: Db): string[] {
  return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name)
}

function thrown(fn: () => unknown): AppError {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(AppError)
    return e as AppError
  }
  throw new Error('expected an error')
}

describe('migration runner', () => {
  let db: Db
  beforeEach(() => {
    db = openDatabase({ file: join(tempDir(), 'mig.db'), keyHex: randomKeyHex() })
  })
  afterEach(() => db.close())

  it('applies the shipped migrations once and is idempotent', () => {
    const first = migrate(db)
    expect(first.applied).toEqual(MIGRATIONS.map((x) => x.version).sort((a, b) => a - b))
    const rows = db.prepare('SELECT version, checksum, applied_at FROM schema_migrations ORDER BY version').all()
    const schema = db.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY name').all()
    const second = migrate(db)
    expect(second.applied).toEqual([])
    expect(second.current).toBe(first.current)
    expect(db.prepare('SELECT version, checksum, applied_at FROM schema_migrations ORDER BY version').all()).toEqual(rows)
    expect(db.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY name').all()).toEqual(schema)
  })

  it('refuses an applied migration whose SQL changed (checksum)', () => {
    migrate(db, [m(1, 'CREATE TABLE a (x TEXT) STRICT')])
    const e = thrown(() => migrate(db, [m(1, 'CREATE TABLE a (x TEXT, y TEXT) STRICT')]))
    expect(e.code).toBe('db_open_failed')
    expect(e.message).toMatch(/Migration 1 "m1" was changed after it was applied/)
    // Nothing was touched: the original table is as it was.
    expect((db.prepare("SELECT sql FROM sqlite_master WHERE name = 'a'").get() as { sql: string }).sql).toBe('CREATE TABLE a (x TEXT) STRICT')
  })

  it('refuses a database written by a newer version (unknown applied migration)', () => {
    migrate(db, [m(1, 'CREATE TABLE a (x TEXT) STRICT'), m(2, 'CREATE TABLE b (x TEXT) STRICT', 'future')])
    const e = thrown(() => migrate(db, [m(1, 'CREATE TABLE a (x TEXT) STRICT')]))
    expect(e.code).toBe('db_open_failed')
    expect(e.message).toMatch(/newer version.*schema 2 "future"/)
  })

  it('refuses to apply a migration numbered below the highest applied one, and applies nothing', () => {
    migrate(db, [m(1, 'CREATE TABLE a (x TEXT) STRICT'), m(5, 'CREATE TABLE e (x TEXT) STRICT')])
    const e = thrown(() => migrate(db, [m(1, 'CREATE TABLE a (x TEXT) STRICT'), m(3, 'CREATE TABLE c (x TEXT) STRICT'), m(5, 'CREATE TABLE e (x TEXT) STRICT'), m(6, 'CREATE TABLE f (x TEXT) STRICT')]))
    expect(e.code).toBe('db_open_failed')
    expect(e.message).toMatch(/Migration 3 "m3" is older than the newest applied one \(5\)/)
    expect(tables(db)).not.toContain('c')
    expect(tables(db)).not.toContain('f')
  })

  it('allows gaps (numbers are reserved per area) and applies in version order', () => {
    const r = migrate(db, [m(10, 'CREATE TABLE j (x TEXT) STRICT'), m(1, 'CREATE TABLE a (x TEXT) STRICT')])
    expect(r.applied).toEqual([1, 10])
    expect(r.current).toBe(10)
  })

  it('runs each migration in its own transaction: a failing one leaves no trace, earlier ones stay', () => {
    const bad = m(2, 'CREATE TABLE b (x TEXT) STRICT; INSERT INTO nowhere VALUES (1);')
    expect(() => migrate(db, [m(1, 'CREATE TABLE a (x TEXT) STRICT'), bad])).toThrow(/no such table: nowhere/)
    expect(tables(db)).toContain('a')
    expect(tables(db)).not.toContain('b')
    expect((db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version)).toEqual([1])
  })

  it('refuses two migrations with the same number', () => {
    expect(() => migrate(db, [m(1, 'CREATE TABLE a (x TEXT)'), m(1, 'CREATE TABLE b (x TEXT)')])).toThrow(/share version 1/)
  })

  it('every shipped migration has a unique number and its own test under test/integration/store/', () => {
    const versions = MIGRATIONS.map((x) => x.version)
    expect(new Set(versions).size).toBe(versions.length)
    for (const x of MIGRATIONS) {
      const file = join('test/integration/store', `migration-${String(x.version).padStart(4, '0')}.test.ts`)
      expect(existsSync(file), `${file} (docs/ARCHITECTURE.md: each migration has a test)`).toBe(true)
    }
  })
})
