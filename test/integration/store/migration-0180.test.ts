import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../../../electron/engine/store/database'
import { migrate, MIGRATIONS } from '../../../electron/engine/store/migrations'

describe('migration 0180 (athenaNet call headers and bodies)', () => {
  let dir: string
  let db: Db
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ps-m180-'))
    db = openDatabase({ file: join(dir, 'db'), keyHex: randomBytes(32).toString('hex') })
  })
  afterEach(() => {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const call = (d: Db) => (at: number, practice: string): number =>
    Number(
      d
        .prepare(`INSERT INTO athena_api_calls (at, practice_id, connection_id, method, endpoint, path, status, outcome, latency_ms, attempt, request_id) VALUES (?, ?, NULL, 'GET', '/v1/{practiceid}/ping', '/v1/1/ping', 200, 'ok', 1, 1, 'r')`)
        .run(at, practice).lastInsertRowid,
    )

  it('keeps calls logged before it (they have no detail) and prunes a detail with its call', () => {
    migrate(db, MIGRATIONS.filter((m) => m.version < 180))
    const old = call(db)(1, 'p')
    expect(migrate(db).applied).toContain(180)
    expect(db.prepare('SELECT count(*) AS n FROM athena_api_calls WHERE id = ?').get(old)).toEqual({ n: 1 })
    const detail = db.prepare('INSERT INTO athena_api_call_detail (call_id, request_headers, request_body, response_headers, response_body) VALUES (?, ?, ?, ?, ?)')
    const a = call(db)(10, 'p')
    const b = call(db)(20, 'q')
    detail.run(a, '{}', null, '{}', '{"ok":1}')
    detail.run(b, '{}', null, '{}', '{"ok":2}')
    // Retention deletes calls by age, count or practice; the trigger takes their detail along.
    db.prepare('DELETE FROM athena_api_calls WHERE at < ?').run(15)
    expect(db.prepare('SELECT call_id FROM athena_api_call_detail').all()).toEqual([{ call_id: b }])
    db.prepare('DELETE FROM athena_api_calls WHERE practice_id = ?').run('q')
    expect(db.prepare('SELECT count(*) AS n FROM athena_api_call_detail').get()).toEqual({ n: 0 })
    expect(migrate(db).applied).toEqual([])
  })
})
