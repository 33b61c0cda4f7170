/**
 * Accounts and sessions through the real HTTP transport: the first administrator (setup token,
 * once), sign-in with password and TOTP (and a recovery code, once), lockout with back-off,
 * idle and absolute limits and step-up against the engine's clock, disabling a person ends their
 * sessions and event streams at once, sessions listed and revoked by their owner and by admins.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openAccessEngine, PASSWORD, type AccessEngine } from './support'

let t: AccessEngine
beforeEach(async () => {
  t = await openAccessEngine()
})
afterEach(async () => {
  await t.close()
})

describe('first run', () => {
  it('needs the one-time setup token over HTTP; creates a system admin who is signed in; works once', async () => {
    const c = t.client()
    expect((await c.ok<{ setupRequired: boolean; setupNeedsToken: boolean }>('auth.state')).setupRequired).toBe(true)
    const token = t.engine.ctx.access.armSetupToken()!
    const wrong = await c.call('auth.setup', { setupToken: 'nope', username: 'admin', displayName: 'Ada Admin', password: PASSWORD })
    expect(wrong).toMatchObject({ ok: false, error: { code: 'unauthorized' } })
    const weak = await c.call('auth.setup', { setupToken: token, username: 'admin', displayName: 'Ada Admin', password: 'password123' })
    expect(weak).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
    const r = await c.ok<{ me: { username: string; permissions: Record<string, string[]> } }>('auth.setup', { setupToken: token, username: 'admin', displayName: 'Ada Admin', password: PASSWORD })
    expect(r.me.username).toBe('admin')
    expect(r.me.permissions['*']).toContain('users.manage')
    expect(r.me.permissions['*']).not.toContain('msg.view_phi')
    expect(c.lastSetCookie[0]).toMatch(/^psc_sid=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict$/)
    expect(await c.ok('system.ping')).toMatchObject({ pong: true })
    const again = await t.client().call('auth.setup', { setupToken: token, username: 'eve', displayName: 'Eve', password: PASSWORD })
    expect(again).toMatchObject({ ok: false, error: { code: 'conflict' } })
    const audit = await t.internal<{ action: string; outcome: string }[]>('audit.list', { action: 'auth.setup' })
    expect(audit.map((a) => a.outcome).sort()).toEqual(['denied', 'ok'])
  })

  it('before setup every non-public method answers unauthorized with setupRequired', async () => {
    const r = await t.client().call('transactions.list', {})
    expect(r).toMatchObject({ ok: false, error: { code: 'unauthorized', details: { setupRequired: true } } })
  })
})

describe('sign-in', () => {
  it('a temporary password allows only changing it; then the console opens', async () => {
    const { temporaryPassword } = await t.internal<{ temporaryPassword: string }>('people.invite', { username: 'olga', displayName: 'Olga Operator', grants: [{ practiceId: 'sandbox', roleId: 'operator' }] })
    const c = t.client()
    await c.signIn('olga', temporaryPassword)
    expect(await c.call('transactions.list', {})).toMatchObject({ ok: false, error: { code: 'forbidden', details: { mustChangePassword: true } } })
    expect(await c.call('account.changePassword', { current: temporaryPassword, next: 'olga123456789' })).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
    await c.ok('account.changePassword', { current: temporaryPassword, next: PASSWORD })
    expect(await c.call('transactions.list', {})).toMatchObject({ ok: true })
  })

  it('wrong passwords lock the account with doubling back-off; the right one works after the lock; unknown names answer alike', async () => {
    await t.person('lou', [{ practiceId: 'sandbox', roleId: 'viewer' }])
    const c = t.client()
    for (let i = 0; i < 5; i++) expect(await c.call('auth.signIn', { username: 'lou', password: 'wrong password!' })).toMatchObject({ ok: false, error: { code: 'auth_failed' } })
    const locked = await c.call('auth.signIn', { username: 'lou', password: PASSWORD })
    expect(locked).toMatchObject({ ok: false, error: { code: 'account_locked', details: { retryAfterS: 30 } } })
    t.clock.advance(31_000)
    expect(await c.call('auth.signIn', { username: 'lou', password: 'wrong again!!!' })).toMatchObject({ ok: false, error: { code: 'auth_failed' } })
    expect(await c.call('auth.signIn', { username: 'lou', password: PASSWORD })).toMatchObject({ ok: false, error: { code: 'account_locked', details: { retryAfterS: 60 } } })
    t.clock.advance(61_000)
    expect(await c.call('auth.signIn', { username: 'lou', password: PASSWORD })).toMatchObject({ ok: true })
    const ghost = t.client()
    for (let i = 0; i < 5; i++) expect(await ghost.call('auth.signIn', { username: 'ghost', password: 'whatever it is' })).toMatchObject({ ok: false, error: { code: 'auth_failed' } })
    expect(await ghost.call('auth.signIn', { username: 'ghost', password: 'whatever it is' })).toMatchObject({ ok: false, error: { code: 'account_locked' } })
    const audit = await t.internal<{ action: string; outcome: string }[]>('audit.list', { action: 'auth.locked' })
    expect(audit.length).toBe(2)
  })

  it('TOTP: the code is required, a replayed code is refused, a recovery code works once', async () => {
    const p = await t.person('tess', [{ practiceId: 'sandbox', roleId: 'viewer' }], { totp: true })
    const c = t.client()
    expect(await c.call('auth.signIn', { username: 'tess', password: PASSWORD })).toMatchObject({ ok: true, value: { status: 'second_factor_required' } })
    const code = c.code(p.totpSecret!)
    expect(await c.call('auth.signIn', { username: 'tess', password: PASSWORD, code })).toMatchObject({ ok: true, value: { status: 'signed_in' } })
    expect(await t.client().call('auth.signIn', { username: 'tess', password: PASSWORD, code })).toMatchObject({ ok: false, error: { code: 'auth_failed' } })
    t.clock.advance(30_000)
    expect(await t.client().call('auth.signIn', { username: 'tess', password: PASSWORD, code: '000000' })).toMatchObject({ ok: false, error: { code: 'auth_failed' } })
    // Recovery codes came with the enrolment; enrol again to learn a fresh set.
    await p.ok('auth.reauthenticate', { password: PASSWORD, code: p.code(p.totpSecret!) })
    t.clock.advance(30_000)
    const { secret } = await p.ok<{ secret: string }>('account.totpBegin', { password: PASSWORD })
    const { recoveryCodes } = await p.ok<{ recoveryCodes: string[] }>('account.totpConfirm', { code: p.code(secret) })
    expect(recoveryCodes).toHaveLength(10)
    t.clock.advance(30_000)
    expect(await t.client().call('auth.signIn', { username: 'tess', password: PASSWORD, code: recoveryCodes[0] })).toMatchObject({ ok: true, value: { status: 'signed_in' } })
    expect(await t.client().call('auth.signIn', { username: 'tess', password: PASSWORD, code: recoveryCodes[0] })).toMatchObject({ ok: false, error: { code: 'auth_failed' } })
  })
})

describe('session limits (engine clock)', () => {
  it('idle for 15 minutes ends the session (background calls do not count); auth.state says why', async () => {
    const c = await t.person('ivy', [{ practiceId: 'sandbox', roleId: 'viewer' }])
    t.clock.advance(14 * 60_000)
    expect(await c.call('system.ping', {}, { activity: false })).toMatchObject({ ok: true })
    t.clock.advance(60_000 + 1)
    expect(await c.call('system.ping')).toMatchObject({ ok: false, error: { code: 'unauthorized', details: { reason: 'idle' } } })
    expect(await c.ok('auth.state')).toMatchObject({ me: null, ended: 'idle' })
  })

  it('activity keeps it alive, up to the absolute 12 hours', async () => {
    const c = await t.person('abe', [{ practiceId: 'sandbox', roleId: 'viewer' }])
    for (let i = 0; i < 12 * 6 - 1; i++) {
      t.clock.advance(10 * 60_000)
      expect(await c.call('system.ping')).toMatchObject({ ok: true })
    }
    t.clock.advance(10 * 60_000)
    expect(await c.call('system.ping')).toMatchObject({ ok: false, error: { code: 'unauthorized', details: { reason: 'expired' } } })
  })

  it('step-up: after 5 minutes, revealing PHI needs the password again', async () => {
    const c = await t.person('sue', [{ practiceId: 'sandbox', roleId: 'practice_admin' }])
    t.clock.advance(5 * 60_000 + 1)
    const r = await c.call('inspector.reveal', { id: 1, stage: 'raw', path: 'PID-5' })
    expect(r).toMatchObject({ ok: false, error: { code: 'reauth_required' } })
    expect(await c.call('auth.reauthenticate', { password: 'not it at all' })).toMatchObject({ ok: false, error: { code: 'auth_failed' } })
    await c.ok('auth.reauthenticate', { password: PASSWORD })
    expect(await c.call('inspector.reveal', { id: 1, stage: 'raw', path: 'PID-5' })).toMatchObject({ ok: false, error: { code: 'not_found' } })
  })

  it('step-up gives the session a new token: the one from before stops working, the session goes on', async () => {
    const c = await t.person('rosa', [{ practiceId: 'sandbox', roleId: 'practice_admin' }])
    const before = c.cookie!
    const sessionId = (await c.ok<{ me: { session: { id: string } } }>('auth.state')).me.session.id
    const stream = await c.events()
    expect(stream.status).toBe(200)
    t.clock.advance(5 * 60_000 + 1)
    await c.ok('auth.reauthenticate', { password: PASSWORD })
    expect(c.lastSetCookie.join(';')).toMatch(/HttpOnly/i)
    expect(c.cookie).not.toBe(before)
    // Same session (its list, its limits), new token.
    expect(await c.ok('auth.state')).toMatchObject({ me: { username: 'rosa', session: { id: sessionId } } })
    const thief = t.client()
    thief.cookie = before
    expect(await thief.call('system.ping')).toMatchObject({ ok: false, error: { code: 'unauthorized' } })
    expect(await thief.call('inspector.reveal', { id: 1, stage: 'raw', path: 'PID-5' })).toMatchObject({ ok: false, error: { code: 'unauthorized' } })
    expect((await thief.events()).status).toBe(401)
    // A stream opened with the old token closes at the next event it would get.
    t.engine.ctx.events.emit('listeners.changed', {})
    await stream.ended
    expect(await c.ok<unknown[]>('account.sessions')).toHaveLength(1)
    const stepUp = (await t.internal<{ details: { tokenRotated: boolean } }[]>('audit.list', { action: 'auth.step_up' }))[0]
    expect(stepUp.details.tokenRotated).toBe(true)
  })
})

describe('ending sessions', () => {
  it('disabling a person ends their sessions and event streams at once', async () => {
    const admin = await t.person('root', [{ practiceId: '*', roleId: 'system_admin' }])
    const c = await t.person('dan', [{ practiceId: 'sandbox', roleId: 'viewer' }])
    const stream = await c.events()
    expect(stream.status).toBe(200)
    await admin.ok('people.setStatus', { id: c.personId, status: 'disabled' })
    await stream.ended
    expect(await c.call('system.ping')).toMatchObject({ ok: false, error: { code: 'unauthorized', details: { reason: 'disabled' } } })
    expect(await t.client().call('auth.signIn', { username: 'dan', password: PASSWORD })).toMatchObject({ ok: false, error: { code: 'forbidden' } })
  })

  it('sessions are listed and revoked by their owner and by an admin; sign-out ends the session server-side', async () => {
    const admin = await t.person('root', [{ practiceId: '*', roleId: 'system_admin' }])
    const a = await t.person('meg', [{ practiceId: 'sandbox', roleId: 'viewer' }])
    const b = t.client()
    await b.signIn('meg', PASSWORD)
    const mine = await a.ok<{ id: string; current: boolean }[]>('account.sessions')
    expect(mine).toHaveLength(2)
    const other = mine.find((s) => !s.current)!
    expect(await a.ok('account.revokeSession', { id: other.id })).toEqual({ revoked: 1 })
    expect(await b.call('system.ping')).toMatchObject({ ok: false, error: { code: 'unauthorized', details: { reason: 'revoked' } } })
    const listed = await admin.ok<{ id: string }[]>('people.sessions', { id: a.personId })
    expect(listed).toHaveLength(1)
    await admin.ok('people.revokeSession', { id: a.personId, sessionId: listed[0].id })
    expect(await a.call('system.ping')).toMatchObject({ ok: false, error: { code: 'unauthorized' } })
    const c = t.client()
    await c.signIn('meg', PASSWORD)
    const stale = c.cookie
    await c.ok('auth.signOut')
    expect(c.cookie).toBeNull()
    c.cookie = stale
    expect(await c.call('system.ping')).toMatchObject({ ok: false, error: { code: 'unauthorized', details: { reason: 'signed_out' } } })
  })
})
