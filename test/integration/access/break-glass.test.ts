/**
 * Break-glass through the real HTTP transport: a person without PHI rights opens emergency
 * access to one practice (password again and a reason), sees PHI there and nowhere else, every
 * call under it is audited with the break-glass session, practice admins get a notification, the
 * access ends by itself after 60 minutes (engine clock) or when stopped, and an admin other than
 * the person signs it off in the review list.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { adtMessage, openAccessEngine, PASSWORD, type AccessEngine } from './support'

let t: AccessEngine
let txId: number
beforeEach(async () => {
  t = await openAccessEngine()
  await t.internal('practices.create', { id: 'north', name: 'North Clinic' })
  await t.internal('practices.create', { id: 'south', name: 'South Clinic' })
  const r = await t.engine.ctx.pipeline.receive({ practiceId: 'north', connector: 'test', channel: 'adt-in', direction: 'in', contentType: 'hl7v2', mrn: 'M1', raw: Buffer.from(adtMessage({ control: 'C1', mrn: 'M1', last: 'DOE' })) })
  txId = r.id
})
afterEach(async () => {
  await t.close()
})

describe('break-glass', () => {
  it('opens PHI of one practice for 60 minutes, audited, alerted, then ends by itself and is reviewed', async () => {
    await t.internal('roles.save', { id: 'oncall', name: 'On-call', permissions: ['msg.view_meta', 'breakglass.invoke'] })
    const nick = await t.person('nick', [
      { practiceId: 'north', roleId: 'oncall' },
      { practiceId: 'south', roleId: 'oncall' },
    ])
    const admin = await t.person('nora', [{ practiceId: 'north', roleId: 'practice_admin' }])
    expect(await nick.call('transactions.payload', { id: txId, stage: 'raw' })).toMatchObject({ ok: false, error: { code: 'forbidden' } })

    const short = await nick.call('breakglass.start', { practiceId: 'north', reasonCategory: 'treatment', reason: 'urgent', password: PASSWORD })
    expect(short).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
    const wrong = await nick.call('breakglass.start', { practiceId: 'north', reasonCategory: 'treatment', reason: 'patient in clinic, chart needed now', password: 'not my password' })
    expect(wrong).toMatchObject({ ok: false, error: { code: 'auth_failed' } })

    const bg = await nick.ok<{ id: string; expiresAt: number; startedAt: number }>('breakglass.start', { practiceId: 'north', reasonCategory: 'treatment', reason: 'patient in clinic, chart needed now', password: PASSWORD })
    expect(bg.expiresAt - bg.startedAt).toBe(60 * 60_000)
    const me = await nick.ok<{ me: { breakGlass: { id: string }[]; permissions: Record<string, string[]> } }>('auth.state')
    expect(me.me.breakGlass.map((b) => b.id)).toEqual([bg.id])
    expect(me.me.permissions.north).toContain('msg.view_phi')
    expect(me.me.permissions.south).not.toContain('msg.view_phi')

    // PHI of north now; still none of south.
    const payload = await nick.call('transactions.payload', { id: txId, stage: 'raw' })
    expect(payload).toMatchObject({ ok: true })
    const entries = await t.internal<{ action: string; personId: string; breakglassId: string | null; permission: string | null }[]>('audit.list', { practiceId: 'north', limit: 100 })
    const view = entries.find((e) => e.action === 'transaction.view_payload')!
    expect(view).toMatchObject({ personId: nick.personId, breakglassId: bg.id, permission: 'msg.view_phi' })
    expect(entries.some((e) => e.action === 'breakglass.start' && e.breakglassId === bg.id)).toBe(true)

    // The practice's admins were alerted through the notifications.
    const notes = await admin.ok<{ items: { title: string; message: string; practiceId: string }[] }>('alerts.notifications', { practiceId: 'north' })
    expect(notes.items.find((n) => n.title === 'Emergency access opened')?.message).toContain('nick')

    // Not reviewable while open; after 60 minutes it ends by itself (and is audited as such).
    expect(await admin.call('breakglass.review', { id: bg.id, note: 'checked the chart access' })).toMatchObject({ ok: false, error: { code: 'conflict' } })
    for (let i = 0; i < 6; i++) {
      t.clock.advance(10 * 60_000)
      await nick.ok('system.ping')
      await admin.ok('system.ping')
    }
    t.clock.advance(1)
    expect(await nick.call('transactions.payload', { id: txId, stage: 'raw' })).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    const stop = (await t.internal<{ action: string; details: { reason: string } }[]>('audit.list', { action: 'breakglass.stop' }))[0]
    expect(stop.details.reason).toBe('expired')

    // The person cannot sign off their own; an admin can, once.
    expect(await nick.call('breakglass.review', { id: bg.id, note: 'fine' })).toMatchObject({ ok: false })
    const pending = await admin.ok<{ id: string }[]>('breakglass.list', { unreviewedOnly: true })
    expect(pending.map((b) => b.id)).toEqual([bg.id])
    const reviewed = await admin.ok<{ reviewedBy: string; reviewNote: string }>('breakglass.review', { id: bg.id, note: 'checked the chart access' })
    expect(reviewed.reviewedBy).toMatch(/^nora/)
    expect(await admin.ok('breakglass.list', { unreviewedOnly: true })).toEqual([])
  })

  it('stopping it ends the access at once', async () => {
    await t.internal('roles.save', { id: 'oncall', name: 'On-call', permissions: ['msg.view_meta', 'breakglass.invoke'] })
    const nick = await t.person('nick', [{ practiceId: 'north', roleId: 'oncall' }])
    const before = nick.cookie!
    const bg = await nick.ok<{ id: string }>('breakglass.start', { practiceId: 'north', reasonCategory: 'system_outage', reason: 'the EHR is down, need the last ADT', password: PASSWORD })
    // The session got a new token with the emergency access: the old token opens nothing.
    expect(nick.cookie).not.toBe(before)
    const thief = t.client()
    thief.cookie = before
    expect(await thief.call('transactions.payload', { id: txId, stage: 'raw' })).toMatchObject({ ok: false, error: { code: 'unauthorized' } })
    expect(await nick.call('transactions.payload', { id: txId, stage: 'raw' })).toMatchObject({ ok: true })
    await nick.ok('breakglass.stop', { id: bg.id })
    expect(await nick.call('transactions.payload', { id: txId, stage: 'raw' })).toMatchObject({ ok: false, error: { code: 'forbidden' } })
  })

  it('a session nobody reviews within 7 days raises an alert (engine clock), repeated daily, resolved by the review', async () => {
    await t.internal('roles.save', { id: 'oncall', name: 'On-call', permissions: ['msg.view_meta', 'breakglass.invoke'] })
    const nick = await t.person('nick', [{ practiceId: 'north', roleId: 'oncall' }])
    expect(await t.internal<unknown[]>('alerts.rules', { practiceId: 'north' })).toEqual([])
    const bg = await nick.ok<{ id: string }>('breakglass.start', { practiceId: 'north', reasonCategory: 'treatment', reason: 'patient in clinic, chart needed now', password: PASSWORD })
    await nick.ok('breakglass.stop', { id: bg.id })
    // The first break-glass on the practice added its review rule (a rule like any other, audited).
    const rules = await t.internal<{ id: string; kind: string; threshold: number; enabled: boolean }[]>('alerts.rules', { practiceId: 'north' })
    expect(rules).toMatchObject([{ kind: 'breakglass_unreviewed', threshold: 7, enabled: true }])
    expect((await t.internal<{ action: string }[]>('audit.list', { practiceId: 'north', action: 'alert_rule.create' })).length).toBe(1)
    const overdue = async () => (await t.internal<{ title: string; message: string; practiceId: string }[]>('alerts.evaluate', { practiceId: 'north' })).map((n) => n.title)

    t.clock.advance(7 * 86_400_000 - 60_000)
    expect(await overdue()).toEqual([])
    t.clock.advance(60_000)
    expect(await overdue()).toEqual(['Break-glass review overdue'])
    expect(await overdue()).toEqual([])
    const notes = await t.internal<{ items: { title: string; message: string; practiceId: string }[] }>('alerts.notifications', { practiceId: 'north' })
    expect(notes.items.find((n) => n.title === 'Break-glass review overdue')).toMatchObject({ practiceId: 'north', message: expect.stringContaining('1 break-glass session') })
    t.clock.advance(24 * 60 * 60_000)
    expect(await overdue()).toEqual(['Still: Break-glass review overdue'])

    // South has no rule and nothing to review; a review resolves north.
    expect(await t.internal<unknown[]>('alerts.rules', { practiceId: 'south' })).toEqual([])
    const admin = await t.person('nora', [{ practiceId: 'north', roleId: 'practice_admin' }])
    await admin.ok('breakglass.review', { id: bg.id, note: 'late, but checked' })
    expect(await overdue()).toEqual(['Resolved: Break-glass review overdue'])

    // A second break-glass does not add a second rule.
    const nick2 = await t.person('nick2', [{ practiceId: 'north', roleId: 'oncall' }])
    await nick2.ok('breakglass.start', { practiceId: 'north', reasonCategory: 'treatment', reason: 'patient in clinic, chart needed now', password: PASSWORD })
    expect(await t.internal<unknown[]>('alerts.rules', { practiceId: 'north' })).toHaveLength(1)
  })

  it('PHI is masked in summaries without view PHI; a viewer cannot open the inspector', async () => {
    const vic = await t.person('vic', [{ practiceId: 'north', roleId: 'viewer' }])
    const op = await t.person('opal', [{ practiceId: 'north', roleId: 'operator' }])
    const masked = await vic.ok<{ items: { mrn: string | null }[] }>('transactions.list', { practiceId: 'north' })
    expect(masked.items[0].mrn).toBe('•••')
    const clear = await op.ok<{ items: { mrn: string | null }[] }>('transactions.list', { practiceId: 'north' })
    expect(clear.items[0].mrn).toBe('M1')
    expect(await vic.call('inspector.view', { id: txId })).toMatchObject({ ok: false, error: { code: 'forbidden' } })
  })
})
