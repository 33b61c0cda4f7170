/**
 * HIP-05 / HIP-06: the audit trail is hash-chained and the verifier names the exact first broken
 * sequence number after tampering that bypasses the triggers; every configuration change through
 * the API is exactly one audit row with who / what / when, and no secret value ever appears in it.
 */
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AuditLog, GENESIS_HASH } from '../../../electron/engine/audit/audit-log'
import { openDatabase, type Db } from '../../../electron/engine/store/database'
import { migrate } from '../../../electron/engine/store/migrations'
import { ACTOR, manualClock, openTestEngine, randomKeyHex, tempDir, type TestEngine } from './support/harness'

interface Row {
  seq: number
  at: number
  actor: string
  action: string
  practice_id: string | null
  target_type: string | null
  target_id: string | null
  outcome: string
  details: string
  prev_hash: string
  hash: string
}

function freshLog(n: number): { db: Db; audit: AuditLog } {
  const db = openDatabase({ file: join(tempDir(), 'audit.db'), keyHex: randomKeyHex() })
  migrate(db)
  const clock = manualClock()
  const audit = new AuditLog(db, clock)
  for (let i = 1; i <= n; i++) {
    clock.advance(1000)
    audit.append({ actor: `user${i}@host`, action: 'practice.update', practiceId: 'p', targetType: 'practice', targetId: 'p', details: { i, changed: { name: { from: `n${i - 1}`, to: `n${i}` } } } })
  }
  return { db, audit }
}

const dropTriggers = (db: Db) => db.exec('DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;')

describe('hash chain', () => {
  let db: Db
  afterEach(() => db?.close())

  it('appends linked rows and verifies the whole chain', () => {
    const l = freshLog(6)
    db = l.db
    const rows = db.prepare('SELECT * FROM audit_log ORDER BY seq').all() as Row[]
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6])
    expect(rows[0].prev_hash).toBe(GENESIS_HASH)
    for (let i = 1; i < rows.length; i++) expect(rows[i].prev_hash).toBe(rows[i - 1].hash)
    expect(new Set(rows.map((r) => r.hash)).size).toBe(6)
    expect(l.audit.verify()).toMatchObject({ ok: true, checked: 6, firstBrokenSeq: null })
  })

  it('the triggers stop an ordinary UPDATE or DELETE', () => {
    const l = freshLog(3)
    db = l.db
    expect(() => db.prepare("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2").run()).toThrow(/append-only/)
    expect(() => db.prepare('DELETE FROM audit_log WHERE seq = 2').run()).toThrow(/append-only/)
    expect(l.audit.verify().ok).toBe(true)
  })

  it('an edited row (triggers dropped) → the exact seq, "row content changed"', () => {
    const l = freshLog(6)
    db = l.db
    dropTriggers(db)
    db.prepare(`UPDATE audit_log SET details = '{"i":3,"changed":{}}' WHERE seq = 3`).run()
    expect(l.audit.verify()).toMatchObject({ ok: false, checked: 2, firstBrokenSeq: 3, reason: 'row content changed' })
  })

  it('a changed timestamp or actor is caught too', () => {
    const l = freshLog(6)
    db = l.db
    dropTriggers(db)
    db.prepare("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 5").run()
    expect(l.audit.verify()).toMatchObject({ ok: false, firstBrokenSeq: 5 })
    db.prepare('UPDATE audit_log SET at = at + 1 WHERE seq = 2').run()
    expect(l.audit.verify()).toMatchObject({ ok: false, firstBrokenSeq: 2 })
  })

  it('a deleted row → the seq that is missing', () => {
    const l = freshLog(6)
    db = l.db
    dropTriggers(db)
    db.prepare('DELETE FROM audit_log WHERE seq = 4').run()
    expect(l.audit.verify()).toMatchObject({ ok: false, checked: 3, firstBrokenSeq: 4, reason: 'missing row' })
  })

  it('reordered rows (contents swapped between seq 2 and 3) → seq 2', () => {
    const l = freshLog(5)
    db = l.db
    dropTriggers(db)
    const r2 = db.prepare('SELECT * FROM audit_log WHERE seq = 2').get() as Row
    const r3 = db.prepare('SELECT * FROM audit_log WHERE seq = 3').get() as Row
    const put = db.prepare('UPDATE audit_log SET at = ?, actor = ?, details = ?, prev_hash = ?, hash = ? WHERE seq = ?')
    put.run(r3.at, r3.actor, r3.details, r3.prev_hash, r3.hash, 2)
    put.run(r2.at, r2.actor, r2.details, r2.prev_hash, r2.hash, 3)
    expect(l.audit.verify()).toMatchObject({ ok: false, firstBrokenSeq: 2 })
  })

  it('a forged row with a recomputed hash still breaks the link to the next row', () => {
    const l = freshLog(5)
    db = l.db
    dropTriggers(db)
    // The forger rewrites row 2 and gives it a self-consistent hash; row 3 still points at the old one.
    db.prepare("UPDATE audit_log SET actor = 'mallory', hash = ? WHERE seq = 2").run('f'.repeat(64))
    expect(l.audit.verify()).toMatchObject({ ok: false, firstBrokenSeq: 2 })
    const r2 = db.prepare('SELECT * FROM audit_log WHERE seq = 2').get() as Row
    const canonical = JSON.stringify([r2.seq, r2.at, r2.actor, r2.action, r2.practice_id, r2.target_type, r2.target_id, r2.outcome, r2.details])
    const forged = createHash('sha256').update(r2.prev_hash).update('\n').update(canonical).digest('hex')
    db.prepare('UPDATE audit_log SET hash = ? WHERE seq = 2').run(forged)
    expect(l.audit.verify()).toMatchObject({ ok: false, checked: 2, firstBrokenSeq: 3, reason: 'chain link broken' })
  })
})

describe('signed checkpoint (keyed with a secret outside the database)', () => {
  function signedLog(n: number): { db: Db; audit: AuditLog; key: Buffer } {
    const db = openDatabase({ file: join(tempDir(), 'audit-cp.db'), keyHex: randomKeyHex() })
    migrate(db)
    const clock = manualClock()
    const key = Buffer.from(randomKeyHex(), 'hex')
    const audit = new AuditLog(db, clock, key)
    for (let i = 1; i <= n; i++) {
      clock.advance(1000)
      audit.append({ actor: 'u@h', action: 'practice.update', details: { i } })
    }
    audit.storeCheckpoint(audit.sign(audit.head()!))
    return { db, audit, key }
  }

  it('verifies an intact chain against its checkpoint', () => {
    const { audit } = signedLog(5)
    expect(audit.verify()).toMatchObject({ ok: true, checked: 5, firstBrokenSeq: null })
  })

  it('detects the newest entries being deleted (the chain alone cannot)', () => {
    const { db, audit } = signedLog(6)
    dropTriggers(db)
    db.prepare('DELETE FROM audit_log WHERE seq >= 5').run()
    const r = audit.verify()
    expect(r.ok).toBe(false)
    expect(r.firstBrokenSeq).toBe(5)
    expect(r.reason).toMatch(/5\.\.6 were removed/)
  })

  it('detects a whole chain recomputed from scratch', () => {
    const { db, audit } = signedLog(4)
    dropTriggers(db)
    const rows = db.prepare('SELECT * FROM audit_log ORDER BY seq').all() as Row[]
    let prev = GENESIS_HASH
    const upd = db.prepare('UPDATE audit_log SET actor = ?, prev_hash = ?, hash = ? WHERE seq = ?')
    for (const r of rows) {
      const actor = 'someone-else@host'
      const canonical = JSON.stringify([r.seq, r.at, actor, r.action, r.practice_id, r.target_type, r.target_id, r.outcome, r.details])
      const hash = createHash('sha256').update(prev).update('\n').update(canonical).digest('hex')
      upd.run(actor, prev, hash, r.seq)
      prev = hash
    }
    const r = audit.verify()
    expect(r.ok).toBe(false)
    expect(r.reason).toMatch(/rewritten/)
  })

  it('a checkpoint signed with another key does not verify', () => {
    const { db } = signedLog(3)
    const other = new AuditLog(db, manualClock(), Buffer.from(randomKeyHex(), 'hex'))
    const r = other.verify()
    expect(r.ok).toBe(false)
    expect(r.reason).toMatch(/signature/)
  })
})

describe('audit.verify through the API after tampering', () => {
  it('reports the first broken seq and records the failed verification', async () => {
    const t = await openTestEngine()
    try {
      for (let i = 0; i < 4; i++) await t.call('practices.create', { id: `p-${i}`, name: `Practice ${i}` })
      expect(await t.call('audit.verify')).toMatchObject({ ok: true, checked: 5, firstBrokenSeq: null }) // + the sandbox practice
      const target = (t.engine.ctx.db.prepare("SELECT seq FROM audit_log WHERE target_id = 'p-2' AND action = 'practice.create'").get() as { seq: number }).seq
      dropTriggers(t.engine.ctx.db)
      t.engine.ctx.db.prepare(`UPDATE audit_log SET details = '{"name":"Someone Else"}' WHERE seq = ?`).run(target)
      expect(await t.call('audit.verify')).toMatchObject({ ok: false, checked: target - 1, firstBrokenSeq: target, reason: 'row content changed' })
      const verifications = t.engine.ctx.audit.list({ action: 'audit.verify' })
      expect(verifications.map((v) => v.outcome)).toEqual(['error', 'ok'])
      expect(verifications[0].details).toEqual({ checked: target - 1, firstBrokenSeq: target })
    } finally {
      await t.stop()
    }
  })
})

describe('configuration changes through the API', () => {
  let t: TestEngine
  const clock = manualClock()
  beforeEach(async () => {
    t = await openTestEngine({ clock })
  })
  afterEach(async () => {
    await t.stop()
  })

  /** Runs one API call and returns the audit rows it produced (fails if the call fails). */
  async function audited(method: string, input: unknown): Promise<{ rows: ReturnType<TestEngine['engine']['ctx']['audit']['list']>; at: number; value: unknown }> {
    clock.advance(60_000)
    const at = clock.now()
    const lastSeq = t.engine.ctx.audit.list({ limit: 1 })[0]?.seq ?? 0
    const value = await t.call(method, input)
    const rows = t.engine.ctx.audit.list({ limit: 1000 }).filter((r) => r.seq > lastSeq)
    return { rows, at, value }
  }

  it('each change is exactly one row with who, what and when; secrets never appear', async () => {
    const SECRET = 'AUDIT-SECRET-CANARY-4471'
    const SECRET2 = 'AUDIT-SECRET-CANARY-9902'
    const one = async (method: string, input: unknown, expected: { action: string; practiceId: string; targetType: string; targetId?: string }) => {
      const { rows, at, value } = await audited(method, input)
      expect(rows, `${method} → exactly one audit row`).toHaveLength(1)
      expect(rows[0]).toMatchObject({ actor: ACTOR.actor, at, outcome: 'ok', ...expected })
      return { row: rows[0], value }
    }

    const pc = await one('practices.create', { id: 'audited', name: 'Audited Practice', athenaPracticeId: '1234' }, { action: 'practice.create', practiceId: 'audited', targetType: 'practice', targetId: 'audited' })
    expect(pc.row.details).toEqual({ name: 'Audited Practice', environment: 'preview', athenaPracticeId: '1234' })

    const pu = await one('practices.update', { id: 'audited', name: 'Audited Practice 2' }, { action: 'practice.update', practiceId: 'audited', targetType: 'practice', targetId: 'audited' })
    expect(pu.row.details).toEqual({ changed: { name: { from: 'Audited Practice', to: 'Audited Practice 2' } } })

    const cc = await one(
      'connections.create',
      { practiceId: 'audited', kind: 'athena-rest', name: 'athena', config: { environment: 'preview', clientId: 'cid' } },
      { action: 'connection.create', practiceId: 'audited', targetType: 'connection' },
    )
    const connId = (cc.value as { id: string }).id
    expect(cc.row.targetId).toBe(connId)
    expect(cc.row.details).toMatchObject({ kind: 'athena-rest', name: 'athena' })

    await one('connections.update', { id: connId, kind: 'athena-rest', name: 'athena', config: { environment: 'production', clientId: 'cid' } }, { action: 'connection.update', practiceId: 'audited', targetType: 'connection', targetId: connId })

    const ss = await one('connections.setSecret', { id: connId, field: 'client_secret', value: SECRET }, { action: 'connection.secret.set', practiceId: 'audited', targetType: 'connection', targetId: connId })
    expect(ss.row.details).toEqual({ field: 'client_secret' })
    // Rotating the secret is another change: another single row.
    await one('connections.setSecret', { id: connId, field: 'client_secret', value: SECRET2 }, { action: 'connection.secret.set', practiceId: 'audited', targetType: 'connection', targetId: connId })
    expect(await t.store.get(`connection:${connId}:client_secret`)).toBe(SECRET2)

    await one('connections.clearSecret', { id: connId, field: 'client_secret' }, { action: 'connection.secret.clear', practiceId: 'audited', targetType: 'connection', targetId: connId })
    await t.call('connections.setSecret', { id: connId, field: 'client_secret', value: SECRET })

    await one('connections.delete', { id: connId }, { action: 'connection.delete', practiceId: 'audited', targetType: 'connection', targetId: connId })
    expect(await t.store.get(`connection:${connId}:client_secret`)).toBeNull() // its secrets go with it

    // A practice delete is one row, even when it takes connections (and their secrets) with it.
    const c2 = (await t.call<{ id: string }>('connections.create', { practiceId: 'audited', kind: 'athena-rest', name: 'athena-2', config: { environment: 'preview' } })).id
    await t.call('connections.setSecret', { id: c2, field: 'client_secret', value: SECRET })
    const pd = await one('practices.delete', { id: 'audited', confirm: 'audited' }, { action: 'practice.delete', practiceId: 'audited', targetType: 'practice', targetId: 'audited' })
    expect(pd.row.details).toMatchObject({ name: 'Audited Practice 2', connections: 1 })
    expect(await t.store.get(`connection:${c2}:client_secret`)).toBeNull()

    const everything = JSON.stringify(t.engine.ctx.audit.list({ limit: 1000 }))
    expect(everything).not.toContain(SECRET)
    expect(everything).not.toContain(SECRET2)
    expect(JSON.stringify(t.engine.ctx.db.prepare('SELECT * FROM audit_log').all())).not.toContain('CANARY')
    expect(t.engine.ctx.audit.verify().ok).toBe(true)
  })

  it('a refused change writes no audit row', async () => {
    await t.call('practices.create', { id: 'dup', name: 'Dup' })
    const count = () => (t.engine.ctx.db.prepare('SELECT count(*) AS n FROM audit_log').get() as { n: number }).n
    const n = count()
    for (const [method, input, code] of [
      ['practices.create', { id: 'dup', name: 'Again' }, 'conflict'],
      ['practices.create', { id: 'Bad Id' }, 'invalid_input'],
      ['practices.delete', { id: 'dup', confirm: 'wrong' }, 'invalid_input'],
      ['practices.delete', { id: 'sandbox', confirm: 'sandbox' }, 'forbidden'],
      ['connections.create', { practiceId: 'nope', kind: 'athena-rest', name: 'a', config: { environment: 'preview' } }, 'not_found'],
      ['connections.setSecret', { id: 'nope', field: 'client_secret', value: 'x' }, 'not_found'],
    ] as const) {
      const r = await t.callRaw(method, input)
      expect(r.ok, method).toBe(false)
      expect(!r.ok && r.error.code, method).toBe(code)
    }
    expect(count()).toBe(n)
  })
})
