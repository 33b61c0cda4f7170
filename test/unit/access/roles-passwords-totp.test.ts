/**
 * The permission table (the shipped roles), the password rules and the TOTP rules, as pure
 * functions. The engine-side enforcement is proved over HTTP in test/integration/access.
 */
import { describe, expect, it } from 'vitest'
import { contract } from '../../../shared/api'
import { PERMISSIONS } from '../../../shared/api/permissions'
import { BREAKGLASS_PERMISSIONS, BUILTIN_ROLES } from '../../../electron/engine/access/roles'
import { hashPassword, needsRehash, passwordProblems, verifyPassword } from '../../../electron/engine/access/passwords'
import { checkTotp, hashRecoveryCode, newRecoveryCodes, newTotpSecret, totpCode, TOTP_PERIOD_S } from '../../../electron/engine/access/totp'

const role = (id: string) => {
  const r = BUILTIN_ROLES.find((x) => x.id === id)
  if (!r) throw new Error(`no role ${id}`)
  return new Set(r.permissions)
}
const PHI = ['msg.view_phi', 'msg.reveal_phi', 'msg.edit_payload'] as const

describe('the permission table', () => {
  it('ships the six roles of the brief, each built only from known, grantable permissions', () => {
    expect(BUILTIN_ROLES.map((r) => r.id).sort()).toEqual(['auditor', 'mapping_designer', 'operator', 'practice_admin', 'system_admin', 'viewer'])
    for (const r of BUILTIN_ROLES) {
      for (const p of r.permissions) {
        expect(PERMISSIONS, `${r.id}: ${p}`).toContain(p)
        expect(['public', 'session'], `${r.id} grants ${p}`).not.toContain(p)
      }
      expect(new Set(r.permissions).size, r.id).toBe(r.permissions.length)
    }
  })

  it('least privilege: viewer and auditor see no PHI and change nothing; the system admin sees no PHI by default', () => {
    expect([...role('viewer')]).toEqual(['msg.view_meta'])
    expect([...role('auditor')].sort()).toEqual(['audit.view', 'msg.view_meta'])
    for (const p of PHI) expect(role('system_admin').has(p), p).toBe(false)
    expect(role('system_admin').has('users.manage')).toBe(true)
  })

  it('the mapping designer edits but cannot publish; the operator works queues but cannot edit mappings or manage people', () => {
    expect(role('mapping_designer').has('mapping.edit')).toBe(true)
    expect(role('mapping_designer').has('mapping.publish')).toBe(false)
    for (const p of ['msg.reprocess', 'msg.discard', 'msg.reveal_phi', 'breakglass.invoke'] as const) expect(role('operator').has(p), p).toBe(true)
    for (const p of ['mapping.edit', 'mapping.publish', 'users.manage', 'conn.manage'] as const) expect(role('operator').has(p), p).toBe(false)
  })

  it('the practice admin holds every grantable permission, so every method of the contract is reachable by some role', () => {
    expect([...role('practice_admin')].sort()).toEqual(PERMISSIONS.filter((p) => p !== 'public' && p !== 'session').sort())
    const granted = new Set(BUILTIN_ROLES.flatMap((r) => r.permissions))
    for (const [m, d] of Object.entries(contract)) if (d.permission !== 'public' && d.permission !== 'session') expect(granted.has(d.permission), m).toBe(true)
  })

  it('break-glass opens PHI and reprocessing only: never export, edit, discard, mappings or people', () => {
    expect([...BREAKGLASS_PERMISSIONS].sort()).toEqual(['msg.reprocess', 'msg.reveal_phi', 'msg.view_meta', 'msg.view_phi'])
  })
})

describe('password rules', () => {
  it('refuses short, common, repetitive, sequential and self-naming passwords, each with its reason', () => {
    expect(passwordProblems('short1!')).toEqual([expect.stringMatching(/at least 12/)])
    expect(passwordProblems('password1234').join(' ')).toMatch(/commonly used/)
    expect(passwordProblems('aaaaaaaaaaaaaa').join(' ')).toMatch(/more than one or two different characters/)
    expect(passwordProblems('abcdefghijklmn').join(' ')).toMatch(/consecutive/)
    expect(passwordProblems('my-name-is-jsmith-ok', { username: 'jsmith' }).join(' ')).toMatch(/username or name/)
    expect(passwordProblems('x'.repeat(64) + 'y'.repeat(65)).join(' ')).toMatch(/at most 128/)
  })

  it('accepts a passphrase of unrelated words', () => {
    expect(passwordProblems('copper lantern orchard velvet', { username: 'jsmith', displayName: 'Jane Smith' })).toEqual([])
  })

  it('hashes with argon2id at the configured cost and verifies only the right password', async () => {
    const stored = await hashPassword('copper lantern orchard velvet')
    expect(stored).toMatch(/^\$argon2id\$/)
    expect(needsRehash(stored)).toBe(false)
    expect(await verifyPassword(stored, 'copper lantern orchard velvet')).toBe(true)
    expect(await verifyPassword(stored, 'copper lantern orchard velvet ')).toBe(false)
    expect(await verifyPassword(null, 'anything at all here')).toBe(false)
  })
})

describe('TOTP rules', () => {
  const secret = newTotpSecret()
  const now = Date.UTC(2026, 11, 6, 12, 0, 15)

  it('accepts the current code and the neighbouring step (clock drift), nothing further', () => {
    expect(checkTotp(secret, totpCode(secret, now), now, null)).not.toBeNull()
    expect(checkTotp(secret, totpCode(secret, now - TOTP_PERIOD_S * 1000), now, null)).not.toBeNull()
    expect(checkTotp(secret, totpCode(secret, now - 3 * TOTP_PERIOD_S * 1000), now, null)).toBeNull()
    expect(checkTotp(secret, 'abcdef', now, null)).toBeNull()
    expect(checkTotp(secret, '12345', now, null)).toBeNull()
  })

  it('refuses a replay: a code of a step at or before the last accepted one', () => {
    const code = totpCode(secret, now)
    const step = checkTotp(secret, code, now, null)
    expect(step).not.toBeNull()
    expect(checkTotp(secret, code, now, step)).toBeNull()
  })

  it('recovery codes: ten distinct codes, stored as hashes that ignore case, spaces and dashes', () => {
    const { codes, hashes } = newRecoveryCodes()
    expect(codes).toHaveLength(10)
    expect(new Set(codes).size).toBe(10)
    for (const c of codes) expect(c).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/)
    expect(hashRecoveryCode(` ${codes[0]!.toUpperCase().replace('-', ' ')} `)).toBe(hashes[0])
    expect(hashes[0]).not.toContain(codes[0]!.slice(0, 5))
  })
})
