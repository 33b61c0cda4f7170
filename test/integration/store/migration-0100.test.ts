import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AuditLog, GENESIS_HASH } from '../../../electron/engine/audit/audit-log'
import { systemClock } from '../../../electron/engine/core/clock'
import { openDatabase, type Db } from '../../../electron/engine/store/database'
import { migrate, MIGRATIONS } from '../../../electron/engine/store/migrations'

describe('migration 0100 (people, roles, grants, sessions, break-glass; audit names the person)', () => {
  let dir: string
  let db: Db
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ps-m100-'))
    db = openDatabase({ file: join(dir, 'db'), keyHex: randomBytes(32).toString('hex') })
  })
  afterEach(() => {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('applies on top of earlier migrations; audit entries written before still verify and new ones carry person, permission and break-glass', () => {
    migrate(db, MIGRATIONS.filter((m) => m.version < 100))
    // A row as the audit log wrote it before 0100 (hash over the nine original fields).
    const old = [1, 1000, 'old@host (console)', 'practice.create', 'p', null, null, 'ok', '{}']
    const hash = createHash('sha256').update(GENESIS_HASH).update('\n').update(JSON.stringify(old)).digest('hex')
    db.prepare('INSERT INTO audit_log (seq, at, actor, action, practice_id, target_type, target_id, outcome, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').run(...old, GENESIS_HASH, hash)
    expect(migrate(db).applied).toContain(100)
    const audit = new AuditLog(db, systemClock, null, () => ({ personId: 'person-1', permission: 'msg.view_phi', breakglassId: 'bg-1' }))
    const e = audit.append({ actor: 'alice (Alice)', action: 'transaction.view_payload', practiceId: 'p' })
    expect(e).toMatchObject({ personId: 'person-1', permission: 'msg.view_phi', breakglassId: 'bg-1' })
    expect(audit.verify()).toMatchObject({ ok: true, checked: 2 })
    expect(audit.list({ personId: 'person-1' }).map((x) => x.seq)).toEqual([2])
    expect(() => db.prepare("UPDATE audit_log SET person_id = 'x'").run()).toThrow(/append-only/)
    expect(migrate(db).applied).toEqual([])
  })

  it('usernames are unique regardless of case; statuses and grants are constrained', () => {
    migrate(db)
    const ins = db.prepare(`INSERT INTO people (id, username, display_name, created_by, created_at, updated_at) VALUES (?, ?, 'x', 't', 1, 1)`)
    ins.run('a', 'Alice')
    expect(() => ins.run('b', 'alice')).toThrow(/UNIQUE/)
    expect(() => db.prepare("UPDATE people SET status = 'gone' WHERE id = 'a'").run()).toThrow(/CHECK/)
    db.prepare("INSERT INTO roles (id, name, permissions, created_at, updated_at) VALUES ('r', 'R', '[]', 1, 1)").run()
    db.prepare("INSERT INTO grants (person_id, practice_id, role_id, granted_by, granted_at) VALUES ('a', '*', 'r', 't', 1)").run()
    expect(() => db.prepare("INSERT INTO grants (person_id, practice_id, role_id, granted_by, granted_at) VALUES ('a', '*', 'r', 't', 1)").run()).toThrow(/UNIQUE|PRIMARY/)
    expect(() => db.prepare("INSERT INTO sessions (id, token_hash, person_id, transport, method, created_at, last_seen_at, auth_at, expires_at) VALUES ('s', 'h', 'a', 'http', 'password', 1, 1, 1, 2)").run()).not.toThrow()
    expect(() => db.prepare("INSERT INTO sessions (id, token_hash, person_id, transport, method, created_at, last_seen_at, auth_at, expires_at) VALUES ('s2', 'h', 'a', 'http', 'password', 1, 1, 1, 2)").run()).toThrow(/UNIQUE/)
  })
})
