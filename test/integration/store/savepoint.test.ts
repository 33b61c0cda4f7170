/**
 * store/database.ts savepoint(): what `db.transaction(fn)()` did for a lane's rows and the
 * WriteBatcher's writes, on an encrypted file: inside an open transaction a failing `fn` rolls back
 * only its own writes (nested ones too) and the transaction goes on; outside one it is a
 * transaction of its own. withoutSavepoints(): the savepoints inside it skipped, and any failure
 * inside one of them (caught or not) reported as SavepointsNeeded, so that the caller rolls back
 * and runs the work again with them.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase, savepoint, SavepointsNeeded, withoutSavepoints, type Db } from '../../../electron/engine/store/database'

let dir: string
let db: Db
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ps-savepoint-'))
  db = openDatabase({ file: join(dir, 'x.db'), keyHex: randomBytes(32).toString('hex') })
  db.exec('CREATE TABLE t (v TEXT NOT NULL UNIQUE)')
})
afterEach(() => {
  db.close()
  rmSync(dir, { recursive: true, force: true })
})

const values = (): string[] => (db.prepare('SELECT v FROM t ORDER BY rowid').pluck().all() as string[])
const add = (v: string): void => void db.prepare('INSERT INTO t (v) VALUES (?)').run(v)

describe('savepoint', () => {
  it('inside a transaction: a failing fn rolls back only its own writes, nested ones included', () => {
    db.exec('BEGIN IMMEDIATE')
    add('before')
    expect(savepoint(db, () => (add('kept'), 'value'))).toBe('value')
    expect(() =>
      savepoint(db, () => {
        add('undone')
        savepoint(db, () => add('undone inner'))
        throw new Error('row failed')
      }),
    ).toThrow('row failed')
    savepoint(db, () => {
      add('outer')
      // An inner failure, caught: the outer savepoint keeps its own write.
      expect(() => savepoint(db, () => (add('inner'), add('before')))).toThrow(/UNIQUE/)
    })
    expect(db.inTransaction).toBe(true)
    db.exec('COMMIT')
    expect(values()).toEqual(['before', 'kept', 'outer'])
  })

  it('outside a transaction: its own, committed or rolled back whole', () => {
    savepoint(db, () => add('a'))
    expect(db.inTransaction).toBe(false)
    expect(() => savepoint(db, () => (add('b'), add('a')))).toThrow(/UNIQUE/)
    expect(db.inTransaction).toBe(false)
    expect(values()).toEqual(['a'])
  })

  it('without savepoints: the writes land as they are when nothing inside fails', () => {
    db.exec('BEGIN IMMEDIATE')
    const v = withoutSavepoints(db, () => {
      savepoint(db, () => add('a'))
      savepoint(db, () => savepoint(db, () => add('b')))
      // Nested: the outer call decides.
      withoutSavepoints(db, () => savepoint(db, () => add('c')))
      return 'value'
    })
    expect(v).toBe('value')
    db.exec('COMMIT')
    expect(values()).toEqual(['a', 'b', 'c'])
  })

  it('without savepoints: a failure inside a skipped savepoint, even caught, asks for the work again', () => {
    const attempt = (): void => {
      savepoint(db, () => add('a'))
      try {
        // Writes, then fails: with a savepoint 'half' would be taken back; without, it is still there.
        savepoint(db, () => (add('half'), add('a')))
      } catch {
        // The caller goes on, as a handler that records a warning would.
      }
      savepoint(db, () => add('b'))
    }
    db.exec('BEGIN IMMEDIATE')
    // The caller's own savepoint around the stretch takes it back, then the work runs with savepoints.
    expect(() => savepoint(db, () => withoutSavepoints(db, attempt))).toThrow(SavepointsNeeded)
    expect(values()).toEqual([])
    savepoint(db, attempt)
    db.exec('COMMIT')
    expect(values()).toEqual(['a', 'b'])
  })

  it('without savepoints: an error from outside every savepoint is thrown as it is', () => {
    db.exec('BEGIN IMMEDIATE')
    const plain = (): void => {
      add('y')
      throw new Error('not in a savepoint')
    }
    expect(() => savepoint(db, () => withoutSavepoints(db, plain))).toThrow('not in a savepoint')
    // One out of a skipped savepoint asks for the work again.
    expect(() => savepoint(db, () => withoutSavepoints(db, () => savepoint(db, () => (add('z'), add('z')))))).toThrow(SavepointsNeeded)
    db.exec('COMMIT')
    expect(values()).toEqual([])
  })

  it('without savepoints, outside a transaction: each savepoint is a transaction of its own, as before', () => {
    withoutSavepoints(db, () => {
      savepoint(db, () => add('a'))
      expect(() => savepoint(db, () => (add('b'), add('a')))).toThrow(/UNIQUE/)
    })
    expect(db.inTransaction).toBe(false)
    expect(values()).toEqual(['a'])
  })
})
