/**
 * Issue #17 item 1: after an investigated break, a person with users.manage accepts it and starts
 * a new checkpoint series (audit.acceptBreak). The break is recorded for good in the trail, the
 * checkpoint in the secret store moves to the new series, the alert closes, and tampering after
 * the acceptance (the acceptance entry included) is detected again. Refused when nothing is broken
 * and for someone without users.manage.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { parseCheckpoint } from '../../../electron/engine/audit/audit-log'
import { openAccessEngine, type AccessEngine } from '../access/support'

const REASON = 'restored nothing; edit traced to IT ticket 4411'

/** What an attacker with the database key does while the engine runs: the triggers are no obstacle. */
function editRow(t: AccessEngine, seq: number): void {
  const db = t.engine.ctx.db
  db.exec('DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;')
  db.prepare(`UPDATE audit_log SET details = '{"name":"Someone Else"}' WHERE seq = ?`).run(seq)
}

interface Verify {
  ok: boolean
  firstBrokenSeq: number | null
  reason?: string
}

describe('audit.acceptBreak', () => {
  let t: AccessEngine | null = null
  afterEach(async () => {
    await t?.close()
    t = null
  })

  it('starts a new series after a break; the record is permanent and later tampering is found again', async () => {
    t = await openAccessEngine()
    const admin = await t.person('root', [{ practiceId: '*', roleId: 'system_admin' }])
    const auditor = await t.person('reader', [{ practiceId: '*', roleId: 'auditor' }])
    for (let i = 0; i < 3; i++) await t.internal('practices.create', { id: `p-${i}`, name: `Practice ${i}` })

    // Nothing broken: refused, and nothing changes.
    const anchorBefore = await t.engine.ctx.secrets.get('audit-anchor')
    expect((await admin.ok<Verify>('audit.verify')).ok).toBe(true)
    const refused = await admin.call('audit.acceptBreak', { reason: REASON })
    expect(refused).toMatchObject({ ok: false, error: { code: 'no_break' } })
    expect(t.engine.ctx.audit.list({ action: 'audit.break_accepted' })).toHaveLength(0)
    expect((await admin.call('audit.acceptBreak', { reason: 'short' })).ok).toBe(false)

    // Tamper → verification fails, the persistent alert is raised.
    const target = (t.engine.ctx.db.prepare("SELECT seq FROM audit_log WHERE target_id = 'p-1' AND action = 'practice.create'").get() as { seq: number }).seq
    editRow(t, target)
    expect(await admin.ok<Verify>('audit.verify')).toMatchObject({ ok: false, firstBrokenSeq: target, reason: 'row content changed' })
    expect(await admin.ok<unknown[]>('audit.alerts', { openOnly: true })).toHaveLength(1)
    const brokenAnchor = parseCheckpoint((await t.engine.ctx.secrets.get('audit-anchor'))!)!
    expect(anchorBefore).not.toBeNull()

    // Someone who audits but does not manage users is refused; the trail stays broken.
    const denied = await auditor.call('audit.acceptBreak', { reason: REASON })
    expect(denied).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    expect((await admin.ok<Verify>('audit.verify')).ok).toBe(false)

    // Accepted by the named person.
    const accepted = await admin.ok<{ seriesStart: number; firstBrokenSeq: number | null; anchor: { seq: number } }>('audit.acceptBreak', { reason: REASON })
    expect(accepted.firstBrokenSeq).toBe(target)
    const [record] = t.engine.ctx.audit.list({ action: 'audit.break_accepted' })
    expect(record).toMatchObject({ seq: accepted.seriesStart, personId: admin.personId, permission: 'users.manage', outcome: 'ok' })
    expect(record.details).toEqual({
      firstBrokenSeq: target,
      brokenReason: 'row content changed',
      oldAnchor: { seq: brokenAnchor.seq, hash: brokenAnchor.hash, at: brokenAnchor.at },
      reason: REASON,
    })
    // The checkpoint in the secret store names the new series; the alert is closed in the person's name.
    const anchor = parseCheckpoint((await t.engine.ctx.secrets.get('audit-anchor'))!)!
    expect(anchor.base).toEqual({ seq: record.seq, hash: record.hash })
    expect(t.engine.ctx.audit.signatureValid(anchor)).toBe(true)
    expect(await admin.ok<unknown[]>('audit.alerts', { openOnly: true })).toHaveLength(0)
    const acks = t.engine.ctx.audit.list({ action: 'security_alert.acknowledge' })
    expect(acks).toHaveLength(1)
    expect(acks[0].personId).toBe(admin.personId)

    // Verifies going forward, with new entries; the status says where the series starts.
    await t.internal('practices.create', { id: 'after', name: 'After' })
    expect(await admin.ok<Verify>('audit.verify')).toMatchObject({ ok: true, firstBrokenSeq: null })
    const status = await admin.ok<{ audit: { state: string; seriesStart: number | null; openAlerts: number } }>('system.status')
    expect(status.audit).toMatchObject({ state: 'ok', seriesStart: record.seq, openAlerts: 0 })
    expect(parseCheckpoint((await t.engine.ctx.secrets.get('audit-anchor'))!)!.base).toEqual({ seq: record.seq, hash: record.hash })
    // A second acceptance is refused: nothing is broken now.
    expect(await admin.call('audit.acceptBreak', { reason: REASON })).toMatchObject({ ok: false, error: { code: 'no_break' } })

    // The acceptance itself cannot be changed unnoticed: it is the signed start of the series.
    const frozen = await t.engine.ctx.secrets.get('audit-anchor')
    editRow(t, record.seq)
    expect(await admin.ok<Verify>('audit.verify')).toMatchObject({ ok: false, firstBrokenSeq: record.seq })
    expect(await admin.ok<unknown[]>('audit.alerts', { openOnly: true })).toHaveLength(1)
    expect(await t.engine.ctx.secrets.get('audit-anchor')).toBe(frozen)
  })

  it('a tampered entry after the acceptance is detected again', async () => {
    t = await openAccessEngine()
    for (let i = 0; i < 3; i++) await t.internal('practices.create', { id: `p-${i}`, name: `Practice ${i}` })
    editRow(t, 2)
    expect((await t.internal<Verify>('audit.verify')).ok).toBe(false)
    const { seriesStart } = await t.internal<{ seriesStart: number }>('audit.acceptBreak', { reason: REASON })
    for (let i = 3; i < 6; i++) await t.internal('practices.create', { id: `p-${i}`, name: `Practice ${i}` })
    expect((await t.internal<Verify>('audit.verify')).ok).toBe(true)
    const later = (t.engine.ctx.db.prepare("SELECT seq FROM audit_log WHERE target_id = 'p-4' AND action = 'practice.create'").get() as { seq: number }).seq
    expect(later).toBeGreaterThan(seriesStart)
    editRow(t, later)
    expect(await t.internal<Verify>('audit.verify')).toMatchObject({ ok: false, firstBrokenSeq: later, reason: 'row content changed' })
    const status = await t.internal<{ audit: { state: string; openAlerts: number } }>('system.status')
    expect(status.audit).toMatchObject({ state: 'broken', openAlerts: 1 })
  })
})
