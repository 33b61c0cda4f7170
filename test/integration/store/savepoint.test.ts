/**
 * store/database.ts savepoint(): what `db.transaction(fn)()` did for a lane's rows and the
 * WriteBatcher's writes, on an encrypted file: inside an open transaction a failing `fn` rolls back
 * only its own writes (nested ones too) and the transaction goes on; outside one it is a
 * transaction of its own.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase, savepoint, type Db } from '../../../electron/engine/store/database'

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
})
