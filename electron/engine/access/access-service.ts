/**
 * Accounts, sessions and break-glass: sign-in (password, TOTP, lockout with back-off), the first
 * administrator, server-side sessions with idle and absolute limits, step-up, and who may manage
 * whom. The dispatcher (access/guard.ts) asks it who is calling; the handlers
 * (access/access-handlers.ts) expose it through the contract.
 */
import { createHash, randomBytes, randomInt, randomUUID, timingSafeEqual } from 'node:crypto'
import type { BreakGlass, Grant, Me, Person, Role, SessionDto } from '../../../shared/api/access'
import { ALL_PRACTICES } from '../../../shared/api/access'
import type { Permission } from '../../../shared/api/permissions'
import { AppError } from '../../../shared/errors'
import type { AuditLog } from '../audit/audit-log'
import type { Clock } from '../core/clock'
import type { Logger } from '../core/logger'
import type { Db } from '../store/database'
import type { AccessStore, BreakGlassRow, PersonRow, SessionRow } from './access-store'
import { assertPasswordAcceptable, hashPassword, needsRehash, verifyPassword } from './passwords'
import { can, canEverywhere, practicesWith, type Principal } from './principal'
import { BREAKGLASS_PERMISSIONS } from './roles'
import type { SecretBox } from './secret-box'
import type { AccessSettings } from './settings'
import { checkTotp, hashRecoveryCode, newRecoveryCodes, newTotpSecret, totpQrDataUrl, totpUri } from './totp'

/** How stale a session's last-seen time may be before a call writes it again. */
const TOUCH_EVERY_MS = 5_000

export interface SessionOrigin {
  transport: 'http' | 'ipc' | 'internal'
  /** Where from, for the sessions list (peer address, user agent). */
  client: string
}

export interface IssuedSession {
  id: string
  token: string
  expiresAt: number
}

export type Resolved = { kind: 'session'; principal: Principal; session: SessionRow } | { kind: 'ended'; reason: string } | { kind: 'none' }

export interface AccessDeps {
  db: Db
  store: AccessStore
  audit: AuditLog
  clock: Clock
  logger: Logger
  box: SecretBox
  settings: AccessSettings
  /** Practice admins hear of a break-glass start (the console's notifications). */
  notify?: (practiceId: string, title: string, message: string) => void
  /**
   * Runs a write that nobody waits for (a session's last-seen clock) with the next group commit,
   * so a request never waits on the main connection for the write lock or an fsync; synchronous
   * when absent.
   */
  defer?: (write: () => void) => void
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex')

export class AccessService {
  /** The one-time token `serve` prints for creating the first administrator over HTTP. */
  private setupToken: string | null = null
  private readonly endedListeners: ((ids: string[]) => void)[] = []
  /** Failures for usernames that do not exist, so the answer looks the same (in memory only). */
  private readonly unknownFailures = new Map<string, { failed: number; lockedUntil: number }>()
  /** Bumped on every change that can alter someone's permissions (event streams re-check then). */
  generation = 0

  constructor(private readonly d: AccessDeps) {
    d.store.seedRoles(d.clock.now())
  }

  /** Who hears of a break-glass start (the console's notifications, wired by the handlers). */
  setNotifier(fn: (practiceId: string, title: string, message: string) => void): void {
    this.d.notify = fn
  }

  get settings(): AccessSettings {
    return this.d.settings
  }

  /** The transports close event streams of sessions that end. */
  onSessionsEnded(fn: (ids: string[]) => void): void {
    this.endedListeners.push(fn)
  }

  private ended(ids: string[]): void {
    if (!ids.length) return
    this.generation++
    for (const l of this.endedListeners) l(ids)
  }

  setupRequired(): boolean {
    return this.d.store.countPeople() === 0
  }

  /** Arms a one-time setup token (headless first run); null when setup is already done. */
  armSetupToken(): string | null {
    if (!this.setupRequired()) return null
    this.setupToken = randomBytes(24).toString('base64url')
    return this.setupToken
  }

  hasSetupToken(): boolean {
    return this.setupToken !== null
  }

  // ---------------------------------------------------------------- sign-in

  async setup(input: { setupToken?: string; username: string; displayName: string; password: string }, origin: SessionOrigin): Promise<IssuedSession> {
    if (!this.setupRequired()) throw new AppError('conflict', 'The administrator already exists; sign in instead.')
    if (origin.transport === 'http') {
      const want = this.setupToken
      const given = Buffer.from(input.setupToken ?? '')
      if (!want || given.length !== Buffer.byteLength(want) || !timingSafeEqual(given, Buffer.from(want))) {
        this.d.audit.append({ actor: `anonymous (${origin.client})`, action: 'auth.setup', outcome: 'denied', details: { reason: 'setup token missing or wrong' } })
        throw new AppError('unauthorized', 'The setup token is missing or wrong. Open the address `npm run serve` printed at this start.')
      }
    }
    assertPasswordAcceptable(input.password, input)
    const now = this.d.clock.now()
    const id = randomUUID()
    const hash = await hashPassword(input.password)
    this.d.db.transaction(() => {
      if (!this.setupRequired()) throw new AppError('conflict', 'The administrator already exists; sign in instead.')
      this.d.store.insertPerson({ id, username: input.username, display_name: input.displayName, email: null, password_hash: hash, must_change_password: 0, created_by: 'setup', created_at: now })
      this.d.store.replaceGrants(id, [ALL_PRACTICES], [{ practiceId: ALL_PRACTICES, roleId: 'system_admin' }], 'setup', now)
      this.d.audit.append({ actor: this.nameOf(input.username, input.displayName), personId: id, action: 'auth.setup', targetType: 'person', targetId: id, details: { username: input.username, role: 'system_admin', practice: ALL_PRACTICES } })
    })()
    this.setupToken = null
    return this.openSession(id, origin, 'setup')
  }

  async signIn(input: { username: string; password: string; code?: string }, origin: SessionOrigin): Promise<{ status: 'signed_in'; session: IssuedSession } | { status: 'second_factor_required' }> {
    const now = this.d.clock.now()
    const person = this.d.store.personByUsername(input.username)
    const who = person ? this.nameOf(person.username, person.display_name) : `${input.username} (unknown)`
    const audit = (outcome: 'ok' | 'denied', reason?: string, extra: Record<string, unknown> = {}): void => {
      this.d.audit.append({ actor: who, personId: person?.id ?? null, action: 'auth.sign_in', targetType: 'person', targetId: person?.id ?? null, outcome, details: { username: input.username, client: origin.client, ...(reason ? { reason } : {}), ...extra } })
    }
    this.assertNotLocked(person, input.username, now, audit)
    const ok = await verifyPassword(person?.password_hash ?? null, input.password)
    if (!ok || !person) {
      this.recordFailure(person, input.username, now)
      audit('denied', 'wrong username or password')
      throw new AppError('auth_failed', 'Wrong username or password.', { retryable: false })
    }
    if (person.status === 'disabled') {
      audit('denied', 'account disabled')
      throw new AppError('forbidden', 'This account is disabled. Ask an administrator.')
    }
    if (person.totp_secret) {
      if (!input.code) return { status: 'second_factor_required' }
      if (!this.checkSecondFactor(person, input.code, now)) {
        this.recordFailure(person, input.username, now)
        audit('denied', 'wrong second-factor code')
        throw new AppError('auth_failed', 'Wrong code. Use the current code from your authenticator app, or a recovery code.', { retryable: false })
      }
    }
    const fields: Partial<PersonRow> = { failed_attempts: 0, locked_until: null, last_sign_in_at: now }
    if (needsRehash(person.password_hash!)) fields.password_hash = await hashPassword(input.password)
    this.d.store.updatePerson(person.id, fields, now)
    audit('ok', undefined, { secondFactor: Boolean(person.totp_secret) })
    return { status: 'signed_in', session: this.openSession(person.id, origin, person.totp_secret ? 'password+totp' : 'password') }
  }

  /** The person a provider identity (issuer + subject) is linked to (oidc.ts). */
  personByIdentity(issuer: string, subject: string): PersonRow | undefined {
    return this.d.store.personBySubject(issuer, subject)
  }

  personByUsername(username: string): PersonRow | undefined {
    return this.d.store.personByUsername(username)
  }

  /** Links a provider identity to an invited person (their first SSO sign-in; oidc.ts audits it). */
  linkIdentity(personId: string, issuer: string, subject: string): void {
    this.d.store.updatePerson(personId, { oidc_issuer: issuer, oidc_subject: subject }, this.d.clock.now())
  }

  /** A person signed in by the identity provider (oidc.ts has checked state, nonce and the token). */
  signInVerified(personId: string, origin: SessionOrigin, method: string): IssuedSession {
    const now = this.d.clock.now()
    const person = this.d.store.person(personId)
    if (!person) throw new AppError('forbidden', 'There is no account for this identity here.', { details: { reason: 'no_account' } })
    if (person.status === 'disabled') {
      this.d.audit.append({ actor: this.nameOf(person.username, person.display_name), personId, action: 'auth.sign_in', targetType: 'person', targetId: personId, outcome: 'denied', details: { method, client: origin.client, reason: 'account disabled' } })
      throw new AppError('forbidden', 'This account is disabled. Ask an administrator.', { details: { reason: 'disabled' } })
    }
    this.d.store.updatePerson(personId, { last_sign_in_at: now, failed_attempts: 0, locked_until: null }, now)
    this.d.audit.append({ actor: this.nameOf(person.username, person.display_name), personId, action: 'auth.sign_in', targetType: 'person', targetId: personId, details: { method, client: origin.client } })
    return this.openSession(personId, origin, method)
  }

  private openSession(personId: string, origin: SessionOrigin, method: string): IssuedSession {
    const now = this.d.clock.now()
    const token = randomBytes(32).toString('base64url')
    const id = randomUUID()
    const expiresAt = now + this.d.settings.absoluteHours * 3_600_000
    this.d.store.insertSession({ id, token_hash: sha256(token), person_id: personId, transport: origin.transport, client: origin.client.slice(0, 300), method, created_at: now, last_seen_at: now, auth_at: now, expires_at: expiresAt })
    this.generation++
    return { id, token, expiresAt }
  }

  private assertNotLocked(person: PersonRow | undefined, username: string, now: number, audit: (o: 'denied', reason: string) => void): void {
    const until = person ? (person.locked_until ?? 0) : (this.unknownFailures.get(username.toLowerCase())?.lockedUntil ?? 0)
    if (until > now) {
      const retryAfterS = Math.ceil((until - now) / 1000)
      audit('denied', 'locked after failed attempts')
      throw new AppError('account_locked', `Too many failed attempts. Try again in ${retryAfterS} s.`, { retryable: true, details: { retryAfterS } })
    }
  }

  private recordFailure(person: PersonRow | undefined, username: string, now: number): void {
    const { threshold, baseSeconds, maxSeconds } = this.d.settings.lockout
    const lockFor = (failed: number): number | null => (failed >= threshold ? now + Math.min(maxSeconds, baseSeconds * 2 ** (failed - threshold)) * 1000 : null)
    if (!person) {
      const k = username.toLowerCase()
      const f = (this.unknownFailures.get(k)?.failed ?? 0) + 1
      if (this.unknownFailures.size > 10_000) this.unknownFailures.clear()
      this.unknownFailures.set(k, { failed: f, lockedUntil: lockFor(f) ?? 0 })
      return
    }
    const failed = person.failed_attempts + 1
    const lockedUntil = lockFor(failed)
    this.d.store.updatePerson(person.id, { failed_attempts: failed, locked_until: lockedUntil }, now)
    if (lockedUntil) this.d.audit.append({ actor: this.nameOf(person.username, person.display_name), personId: person.id, action: 'auth.locked', targetType: 'person', targetId: person.id, outcome: 'denied', details: { failedAttempts: failed, lockedForS: Math.round((lockedUntil - now) / 1000) } })
  }

  private checkSecondFactor(person: PersonRow, code: string, now: number): boolean {
    const secret = this.d.box.open(person.totp_secret!)
    const step = checkTotp(secret, code, now, person.totp_last_step)
    if (step !== null) {
      this.d.store.updatePerson(person.id, { totp_last_step: step }, now)
      return true
    }
    const hashes = JSON.parse(person.recovery_codes) as string[]
    const h = hashRecoveryCode(code)
    const i = hashes.indexOf(h)
    if (i < 0) return false
    hashes.splice(i, 1)
    this.d.store.updatePerson(person.id, { recovery_codes: JSON.stringify(hashes) }, now)
    this.d.audit.append({ actor: this.nameOf(person.username, person.display_name), personId: person.id, action: 'auth.recovery_code_used', targetType: 'person', targetId: person.id, details: { left: hashes.length } })
    return true
  }

  /** Password (and second factor, when enrolled) again: step-up, break-glass, factor changes. */
  async verifyFactors(p: Principal, password: string, code: string | undefined): Promise<PersonRow> {
    const person = this.personOf(p)
    const now = this.d.clock.now()
    const audit = (o: 'denied', reason: string): void => {
      this.d.audit.append({ actor: p.name, action: 'auth.step_up', targetType: 'person', targetId: person.id, outcome: o, details: { reason } })
    }
    this.assertNotLocked(person, person.username, now, audit)
    if (!person.password_hash) throw new AppError('forbidden', 'This account signs in with single sign-on; sign in again through the identity provider instead.')
    if (!(await verifyPassword(person.password_hash, password))) {
      this.recordFailure(person, person.username, now)
      audit('denied', 'wrong password')
      throw new AppError('auth_failed', 'Wrong password.', { retryable: false })
    }
    if (person.totp_secret && (!code || !this.checkSecondFactor(person, code, now))) {
      this.recordFailure(person, person.username, now)
      audit('denied', 'wrong second-factor code')
      throw new AppError('auth_failed', code ? 'Wrong code.' : 'Enter the code from your authenticator app.', { retryable: false, details: { secondFactorRequired: true } })
    }
    this.d.store.updatePerson(person.id, { failed_attempts: 0, locked_until: null }, now)
    return person
  }

  /** Step-up: the password (and code) again; the session gets a new token (the old one stops working). */
  async reauthenticate(p: Principal, password: string, code: string | undefined): Promise<{ authAt: number; session: IssuedSession | null }> {
    await this.verifyFactors(p, password, code)
    const now = this.d.clock.now()
    this.d.store.setSessionAuth(p.sessionId!, now)
    const session = this.rotateToken(p.sessionId)
    this.d.audit.append({ actor: p.name, action: 'auth.step_up', targetType: 'session', targetId: p.sessionId, details: { tokenRotated: session !== null } })
    return { authAt: now, session }
  }

  /**
   * A new token for the caller's session after a privilege change (step-up, break-glass), so a
   * token captured before it cannot ride on the raised privileges (OWASP ASVS 3.2.1). Null for
   * callers without a session (the system principal).
   */
  private rotateToken(sessionId: string | null): IssuedSession | null {
    const row = sessionId ? this.d.store.session(sessionId) : undefined
    if (!row) return null
    const token = randomBytes(32).toString('base64url')
    if (!this.d.store.rotateSessionToken(row.id, sha256(token))) return null
    this.generation++
    return { id: row.id, token, expiresAt: row.expires_at }
  }

  // ---------------------------------------------------------------- sessions

  /**
   * Who holds this token: a live session (its idle clock restarts when `activity`), or why it
   * ended. Idle and absolute limits are checked here, against the engine's clock.
   */
  resolve(token: string | null | undefined, activity: boolean): Resolved {
    if (!token) return { kind: 'none' }
    const row = this.d.store.sessionByTokenHash(sha256(token))
    if (!row) return { kind: 'none' }
    if (row.ended_at !== null) return { kind: 'ended', reason: row.end_reason ?? 'signed_out' }
    const now = this.d.clock.now()
    const person = this.d.store.person(row.person_id)
    const reason = !person || person.status === 'disabled' ? 'disabled' : now >= row.expires_at ? 'expired' : now - row.last_seen_at >= this.d.settings.idleMinutes * 60_000 ? 'idle' : null
    if (reason) {
      this.endSession(row, reason, person ? this.nameOf(person.username, person.display_name) : 'system')
      return { kind: 'ended', reason }
    }
    // Activity is counted in minutes (the idle limit): one write per session every few seconds is
    // enough, not one per call on the path every request takes (and a full disk then fails fewer calls).
    // Deferred: written on the request's own thread, it waited up to 190 ms behind the inbox
    // mover's lock and the fsync of a FULL commit while 5 MB messages were moved (hl7-engine/speed-log.md).
    if (activity && now - row.last_seen_at >= TOUCH_EVERY_MS) {
      const touch = (): void => this.d.store.touchSession(row.id, now)
      if (this.d.defer) this.d.defer(touch)
      else touch()
    }
    this.sweepBreakGlass()
    return { kind: 'session', principal: this.principalOf(person!, row), session: row }
  }

  principalOf(person: PersonRow, session: SessionRow | null): Principal {
    const grants = this.d.store.permissionsOf(person.id)
    const breakGlass = new Map<string, { id: string; expiresAt: number }>()
    for (const b of this.d.store.activeBreakGlass(person.id, this.d.clock.now())) {
      breakGlass.set(b.practice_id, { id: b.id, expiresAt: b.expires_at })
      const set = grants.get(b.practice_id) ?? new Set<Permission>()
      for (const perm of BREAKGLASS_PERMISSIONS) set.add(perm)
      grants.set(b.practice_id, set)
    }
    return {
      kind: 'person',
      personId: person.id,
      username: person.username,
      name: this.nameOf(person.username, person.display_name),
      sessionId: session?.id ?? null,
      authAt: session?.auth_at ?? null,
      breakGlass,
      grants,
      mustChangePassword: person.must_change_password === 1,
      needsSecondFactor: this.d.settings.requireSecondFactor && !person.totp_secret && !person.oidc_subject,
    }
  }

  private endSession(row: SessionRow, reason: string, actor: string): void {
    if (!this.d.store.endSession(row.id, reason, this.d.clock.now())) return
    this.d.audit.append({ actor, personId: row.person_id, action: 'auth.session_end', targetType: 'session', targetId: row.id, details: { reason } })
    this.ended([row.id])
  }

  signOut(p: Principal): void {
    const row = p.sessionId ? this.d.store.session(p.sessionId) : undefined
    if (row) this.endSession(row, 'signed_out', p.name)
  }

  sessionsOf(personId: string, currentId: string | null): SessionDto[] {
    const person = this.d.store.person(personId)
    return this.d.store.openSessions(personId).map((s) => this.sessionDto(s, person, currentId))
  }

  private sessionDto(s: SessionRow, person: PersonRow | undefined, currentId: string | null): SessionDto {
    return { id: s.id, personId: s.person_id, person: person ? this.nameOf(person.username, person.display_name) : s.person_id, transport: s.transport, client: s.client, method: s.method, createdAt: s.created_at, lastSeenAt: s.last_seen_at, expiresAt: s.expires_at, current: s.id === currentId }
  }

  revokeSessions(p: Principal, personId: string, q: { id?: string; others?: boolean }): number {
    const now = this.d.clock.now()
    let ids: string[]
    if (q.others) ids = this.d.store.endSessionsOf(personId, 'revoked', now, p.sessionId)
    else {
      const row = q.id ? this.d.store.session(q.id) : undefined
      if (!row || row.person_id !== personId) throw new AppError('not_found', 'No such session.')
      ids = this.d.store.endSession(row.id, 'revoked', now) ? [row.id] : []
    }
    for (const id of ids) this.d.audit.append({ actor: p.name, action: 'auth.session_revoke', targetType: 'session', targetId: id, details: { personId } })
    this.ended(ids)
    return ids.length
  }

  me(p: Principal): Me {
    const person = this.personOf(p)
    const s = p.sessionId ? this.d.store.session(p.sessionId) : undefined
    const now = this.d.clock.now()
    return {
      id: person.id,
      username: person.username,
      displayName: person.display_name,
      mustChangePassword: person.must_change_password === 1,
      secondFactor: Boolean(person.totp_secret),
      needsSecondFactor: Boolean(p.needsSecondFactor),
      permissions: Object.fromEntries([...p.grants.entries()].map(([k, v]) => [k, [...v].sort()])),
      breakGlass: this.d.store.activeBreakGlass(person.id, now).map((b) => this.breakGlassDto(b)),
      session: { id: s?.id ?? '', createdAt: s?.created_at ?? now, expiresAt: s?.expires_at ?? now, idleMs: this.d.settings.idleMinutes * 60_000, authAt: s?.auth_at ?? now },
    }
  }

  // ---------------------------------------------------------------- my account

  async changePassword(p: Principal, current: string, next: string): Promise<void> {
    const person = await this.verifyFactorsPasswordOnly(p, current)
    assertPasswordAcceptable(next, { username: person.username, displayName: person.display_name }, 'next')
    if (await verifyPassword(person.password_hash, next)) throw new AppError('invalid_input', 'Choose a password different from the current one.', { details: { issues: [{ path: 'next', message: 'Same as the current password.' }] } })
    const now = this.d.clock.now()
    this.d.store.updatePerson(person.id, { password_hash: await hashPassword(next), password_changed_at: now, must_change_password: 0 }, now)
    const ended = this.d.store.endSessionsOf(person.id, 'password_changed', now, p.sessionId)
    this.d.audit.append({ actor: p.name, action: 'account.password_change', targetType: 'person', targetId: person.id, details: { otherSessionsEnded: ended.length } })
    this.ended(ended)
  }

  private async verifyFactorsPasswordOnly(p: Principal, password: string): Promise<PersonRow> {
    const person = this.personOf(p)
    const now = this.d.clock.now()
    this.assertNotLocked(person, person.username, now, () => undefined)
    if (!(await verifyPassword(person.password_hash, password))) {
      this.recordFailure(person, person.username, now)
      this.d.audit.append({ actor: p.name, action: 'auth.step_up', targetType: 'person', targetId: person.id, outcome: 'denied', details: { reason: 'wrong password' } })
      throw new AppError('auth_failed', 'Wrong password.', { retryable: false, details: { issues: [{ path: 'current', message: 'Wrong password.' }] } })
    }
    return person
  }

  async totpBegin(p: Principal, password: string): Promise<{ secret: string; otpauthUrl: string; qrDataUrl: string }> {
    const person = await this.verifyFactorsPasswordOnly(p, password)
    const secret = newTotpSecret()
    this.d.store.updatePerson(person.id, { totp_pending: this.d.box.seal(secret) }, this.d.clock.now())
    const otpauthUrl = totpUri(secret, person.username)
    return { secret, otpauthUrl, qrDataUrl: await totpQrDataUrl(otpauthUrl) }
  }

  totpConfirm(p: Principal, code: string): string[] {
    const person = this.personOf(p)
    if (!person.totp_pending) throw new AppError('conflict', 'Start the enrolment first (account.totpBegin).')
    const now = this.d.clock.now()
    const step = checkTotp(this.d.box.open(person.totp_pending), code, now, null)
    if (step === null) throw new AppError('auth_failed', 'That code does not match. Check the time on your phone and enter the current code.', { retryable: false })
    const { codes, hashes } = newRecoveryCodes()
    this.d.store.updatePerson(person.id, { totp_secret: person.totp_pending, totp_pending: null, totp_last_step: step, recovery_codes: JSON.stringify(hashes) }, now)
    this.d.audit.append({ actor: p.name, action: 'account.totp_enrol', targetType: 'person', targetId: person.id })
    this.generation++
    return codes
  }

  async totpDisable(p: Principal, password: string, code: string | undefined): Promise<void> {
    const person = await this.verifyFactors(p, password, code)
    if (this.d.settings.requireSecondFactor) throw new AppError('forbidden', 'This installation requires a second factor; enrol a new one instead of removing it.')
    this.d.store.updatePerson(person.id, { totp_secret: null, totp_pending: null, totp_last_step: null, recovery_codes: '[]' }, this.d.clock.now())
    this.d.audit.append({ actor: p.name, action: 'account.totp_remove', targetType: 'person', targetId: person.id })
  }

  // ---------------------------------------------------------------- people (users.manage)

  roles(): Role[] {
    return this.d.store.roles().map((r) => ({ id: r.id, name: r.name, description: r.description, permissions: JSON.parse(r.permissions) as Permission[], builtin: r.builtin === 1 }))
  }

  /** People the caller may see: with a grant on a practice they manage (everyone, when they manage every practice). */
  people(p: Principal, practiceId?: string): Person[] {
    const scope = practicesWith(p, 'users.manage')
    return this.d.store
      .people()
      .map((row) => this.personDto(row))
      .filter((person) => (scope === null ? true : person.grants.some((g) => scope.includes(g.practiceId))))
      .filter((person) => (practiceId ? person.grants.some((g) => g.practiceId === practiceId || g.practiceId === ALL_PRACTICES) : true))
  }

  personDto(row: PersonRow): Person {
    return {
      id: row.id,
      username: row.username,
      displayName: row.display_name,
      email: row.email,
      status: row.status,
      secondFactor: Boolean(row.totp_secret),
      sso: Boolean(row.oidc_subject),
      locked: (row.locked_until ?? 0) > this.d.clock.now(),
      lastSignInAt: row.last_sign_in_at,
      grants: this.d.store.grants(row.id).map((g) => ({ practiceId: g.practice_id, roleId: g.role_id })),
      createdAt: row.created_at,
    }
  }

  /**
   * A person's account (status, password, factor, sessions) affects every practice they work in,
   * so only someone who manages all of those practices may change it.
   */
  managedPerson(p: Principal, id: string): PersonRow {
    const row = this.d.store.person(id)
    const scope = practicesWith(p, 'users.manage')
    if (!row) throw new AppError('not_found', 'No such person.')
    const grants = this.d.store.grants(id).map((g) => g.practice_id)
    if (scope === null) return row
    if (!grants.some((g) => scope.includes(g))) throw new AppError('not_found', 'No such person.')
    if (grants.some((g) => !scope.includes(g))) throw new AppError('forbidden', 'This person also works in practices you do not manage; ask an administrator who manages all of them.')
    return row
  }

  /** Grants may only be given on practices the caller manages, with roles whose permissions the caller holds there (unless they manage every practice). */
  private assertGrantable(p: Principal, grants: readonly Grant[], practiceIds: readonly string[]): void {
    const roles = new Map(this.roles().map((r) => [r.id, r]))
    for (const practiceId of practiceIds) {
      if (!can(p, 'users.manage', practiceId)) throw new AppError('forbidden', `You do not manage people for ${practiceId === ALL_PRACTICES ? 'every practice' : `practice ${practiceId}`}.`)
    }
    for (const g of grants) {
      if (!practiceIds.includes(g.practiceId)) throw new AppError('invalid_input', `Grant on ${g.practiceId} is outside the practices being changed.`)
      const role = roles.get(g.roleId)
      if (!role) throw new AppError('invalid_input', `Unknown role "${g.roleId}".`, { details: { issues: [{ path: 'grants', message: `unknown role ${g.roleId}` }] } })
      // Someone who manages people everywhere appoints practice admins (and is audited doing so);
      // a practice admin cannot hand out more than they hold there.
      if (canEverywhere(p, 'users.manage')) continue
      const missing = role.permissions.filter((perm) => !can(p, perm, g.practiceId))
      if (missing.length) throw new AppError('forbidden', `You cannot grant "${role.name}" on ${g.practiceId}: it carries permissions you do not hold there (${missing.join(', ')}).`)
    }
  }

  async invite(p: Principal, input: { username: string; displayName: string; email?: string; grants: Grant[] }): Promise<{ person: Person; temporaryPassword: string }> {
    const practiceIds = [...new Set(input.grants.map((g) => g.practiceId))]
    if (practiceIds.length === 0 && practicesWith(p, 'users.manage') !== null) throw new AppError('invalid_input', 'Give the person at least one role on a practice you manage.')
    this.assertGrantable(p, input.grants, practiceIds)
    if (this.d.store.personByUsername(input.username)) throw new AppError('conflict', `The username "${input.username}" is taken.`, { details: { issues: [{ path: 'username', message: 'taken' }] } })
    const temporaryPassword = temporaryPasswordOf()
    const hash = await hashPassword(temporaryPassword)
    const now = this.d.clock.now()
    const id = randomUUID()
    this.d.db.transaction(() => {
      this.d.store.insertPerson({ id, username: input.username, display_name: input.displayName, email: input.email ?? null, password_hash: hash, must_change_password: 1, created_by: p.name, created_at: now })
      this.d.store.replaceGrants(id, practiceIds, input.grants, p.name, now)
      this.d.audit.append({ actor: p.name, action: 'person.invite', targetType: 'person', targetId: id, details: { username: input.username, grants: input.grants } })
      for (const practiceId of practiceIds) this.d.audit.append({ actor: p.name, action: 'person.grants', practiceId: practiceId === ALL_PRACTICES ? null : practiceId, targetType: 'person', targetId: id, details: { grants: input.grants.filter((g) => g.practiceId === practiceId).map((g) => g.roleId) } })
    })()
    this.generation++
    return { person: this.personDto(this.d.store.person(id)!), temporaryPassword }
  }

  update(p: Principal, input: { id: string; displayName?: string; email?: string | null }): Person {
    const row = this.managedPerson(p, input.id)
    const fields: Partial<PersonRow> = {}
    if (input.displayName !== undefined) fields.display_name = input.displayName
    if (input.email !== undefined) fields.email = input.email
    this.d.store.updatePerson(row.id, fields, this.d.clock.now())
    this.d.audit.append({ actor: p.name, action: 'person.update', targetType: 'person', targetId: row.id, details: { fields: Object.keys(fields) } })
    return this.personDto(this.d.store.person(row.id)!)
  }

  setGrants(p: Principal, input: { id: string; practiceIds: string[]; grants: Grant[] }): Person {
    const row = this.d.store.person(input.id)
    if (!row) throw new AppError('not_found', 'No such person.')
    this.assertGrantable(p, input.grants, input.practiceIds)
    if (row.id === p.personId && input.practiceIds.includes(ALL_PRACTICES) && !input.grants.some((g) => g.practiceId === ALL_PRACTICES && g.roleId === 'system_admin') && this.systemAdmins().length <= 1) {
      throw new AppError('conflict', 'You are the only system admin: give the role to someone else first.')
    }
    const now = this.d.clock.now()
    this.d.db.transaction(() => {
      this.d.store.replaceGrants(row.id, input.practiceIds, input.grants, p.name, now)
      for (const practiceId of input.practiceIds) {
        this.d.audit.append({ actor: p.name, action: 'person.grants', practiceId: practiceId === ALL_PRACTICES ? null : practiceId, targetType: 'person', targetId: row.id, details: { username: row.username, roles: input.grants.filter((g) => g.practiceId === practiceId).map((g) => g.roleId) } })
      }
    })()
    this.generation++
    return this.personDto(this.d.store.person(row.id)!)
  }

  private systemAdmins(): string[] {
    return (this.d.db.prepare("SELECT DISTINCT g.person_id AS id FROM grants g JOIN people p ON p.id = g.person_id WHERE g.practice_id = '*' AND g.role_id = 'system_admin' AND p.status = 'active'").all() as { id: string }[]).map((r) => r.id)
  }

  setStatus(p: Principal, id: string, status: 'active' | 'disabled'): Person {
    const row = this.managedPerson(p, id)
    if (row.id === p.personId && status === 'disabled') throw new AppError('conflict', 'You cannot disable your own account.')
    const now = this.d.clock.now()
    this.d.store.updatePerson(row.id, { status, ...(status === 'active' ? { failed_attempts: 0, locked_until: null } : {}) }, now)
    const ended = status === 'disabled' ? this.d.store.endSessionsOf(row.id, 'disabled', now) : []
    const bgs = status === 'disabled' ? this.d.store.activeBreakGlass(row.id, now) : []
    for (const b of bgs) this.stopBreakGlassRow(b, 'disabled', p.name)
    this.d.audit.append({ actor: p.name, action: status === 'disabled' ? 'person.disable' : 'person.enable', targetType: 'person', targetId: row.id, details: { username: row.username, sessionsEnded: ended.length } })
    this.ended(ended)
    this.generation++
    return this.personDto(this.d.store.person(row.id)!)
  }

  resetSecondFactor(p: Principal, id: string): Person {
    const row = this.managedPerson(p, id)
    const now = this.d.clock.now()
    this.d.store.updatePerson(row.id, { totp_secret: null, totp_pending: null, totp_last_step: null, recovery_codes: '[]' }, now)
    const ended = this.d.store.endSessionsOf(row.id, 'factor_reset', now)
    this.d.audit.append({ actor: p.name, action: 'person.reset_second_factor', targetType: 'person', targetId: row.id, details: { username: row.username, sessionsEnded: ended.length } })
    this.ended(ended)
    return this.personDto(this.d.store.person(row.id)!)
  }

  async resetPassword(p: Principal, id: string): Promise<string> {
    const row = this.managedPerson(p, id)
    const temporaryPassword = temporaryPasswordOf()
    const now = this.d.clock.now()
    this.d.store.updatePerson(row.id, { password_hash: await hashPassword(temporaryPassword), must_change_password: 1, failed_attempts: 0, locked_until: null }, now)
    const ended = this.d.store.endSessionsOf(row.id, 'password_reset', now)
    this.d.audit.append({ actor: p.name, action: 'person.reset_password', targetType: 'person', targetId: row.id, details: { username: row.username, sessionsEnded: ended.length } })
    this.ended(ended)
    return temporaryPassword
  }

  saveRole(p: Principal, input: { id?: string; name: string; description: string; permissions: Permission[] }): Role {
    const id = input.id ?? input.name.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '').slice(0, 40)
    const existing = this.d.store.role(id)
    if (existing?.builtin) throw new AppError('conflict', `"${existing.name}" is a built-in role and cannot be changed; create a custom role instead.`)
    const perms = [...new Set(input.permissions.filter((x) => x !== 'public' && x !== 'session'))]
    if (!perms.length) throw new AppError('invalid_input', 'A role needs at least one permission.')
    this.d.store.saveRole({ id, name: input.name, description: input.description, permissions: perms }, this.d.clock.now())
    this.d.audit.append({ actor: p.name, action: existing ? 'role.update' : 'role.create', targetType: 'role', targetId: id, details: { name: input.name, permissions: perms } })
    this.generation++
    return this.roles().find((r) => r.id === id)!
  }

  deleteRole(p: Principal, id: string): void {
    const role = this.d.store.role(id)
    if (!role) throw new AppError('not_found', 'No such role.')
    if (role.builtin) throw new AppError('conflict', 'Built-in roles cannot be deleted.')
    const inUse = this.d.store.roleInUse(id)
    if (inUse) throw new AppError('conflict', `The role is granted ${inUse} time${inUse === 1 ? '' : 's'}; remove those grants first.`)
    this.d.store.deleteRole(id)
    this.d.audit.append({ actor: p.name, action: 'role.delete', targetType: 'role', targetId: id, details: { name: role.name } })
  }

  // ---------------------------------------------------------------- break-glass

  /** Opens emergency access; the caller's session gets a new token (the old one stops working). */
  async startBreakGlass(p: Principal, input: { practiceId: string; reasonCategory: string; reason: string; password: string; code?: string }): Promise<{ breakGlass: BreakGlass; session: IssuedSession | null }> {
    const person = await this.verifyFactors(p, input.password, input.code)
    const now = this.d.clock.now()
    if (this.d.store.activeBreakGlass(person.id, now).some((b) => b.practice_id === input.practiceId)) throw new AppError('conflict', 'Emergency access to this practice is already open.')
    const id = randomUUID()
    const expiresAt = now + this.d.settings.breakGlassMinutes * 60_000
    this.d.store.insertBreakGlass({ id, person_id: person.id, session_id: p.sessionId, practice_id: input.practiceId, reason_category: input.reasonCategory, reason: input.reason, started_at: now, expires_at: expiresAt })
    this.d.store.setSessionAuth(p.sessionId ?? '', now)
    const session = this.rotateToken(p.sessionId)
    // FHIR AuditEvent for break-glass: DCM 110113 Security Alert / 110127 Emergency Override Started.
    this.d.audit.append({ actor: p.name, action: 'breakglass.start', practiceId: input.practiceId, targetType: 'breakglass', targetId: id, breakglassId: id, details: { reasonCategory: input.reasonCategory, reason: input.reason, expiresAt, dicom: '110127', tokenRotated: session !== null } })
    this.generation++
    this.d.notify?.(input.practiceId, 'Emergency access opened', `${p.name} opened emergency (break-glass) access to PHI of practice ${input.practiceId} until ${new Date(expiresAt).toISOString()}: ${input.reasonCategory.replace('_', ' ')} — "${input.reason}". Review it under People → Break-glass.`)
    return { breakGlass: this.breakGlassDto(this.d.store.breakGlass(id)!), session }
  }

  stopBreakGlass(p: Principal, id: string): BreakGlass {
    const row = this.d.store.breakGlass(id)
    if (!row || (row.person_id !== p.personId && p.kind !== 'system')) throw new AppError('not_found', 'No such break-glass session.')
    if (row.ended_at === null) this.stopBreakGlassRow(row, 'stopped', p.name)
    return this.breakGlassDto(this.d.store.breakGlass(id)!)
  }

  private stopBreakGlassRow(row: BreakGlassRow, reason: string, actor: string): void {
    const at = reason === 'expired' ? row.expires_at : this.d.clock.now()
    if (!this.d.store.endBreakGlass(row.id, reason, at)) return
    this.d.audit.append({ actor, personId: row.person_id, action: 'breakglass.stop', practiceId: row.practice_id, targetType: 'breakglass', targetId: row.id, breakglassId: row.id, details: { reason, dicom: '110127-stop' } })
    this.generation++
  }

  /** Ends break-glass sessions whose time is up (run on every call and by the engine's timer). */
  sweepBreakGlass(): void {
    for (const row of this.d.store.expiredBreakGlass(this.d.clock.now())) this.stopBreakGlassRow(row, 'expired', 'system')
  }

  listBreakGlass(scope: string[] | null, unreviewedOnly: boolean): BreakGlass[] {
    return this.d.store.listBreakGlass({ practiceIds: scope, unreviewedOnly }).map((b) => this.breakGlassDto(b))
  }

  /** Break-glass sessions of a practice that ended `days` or more ago and nobody has signed off (the review alert). */
  overdueReviews(practiceId: string, days: number): { n: number; oldest: number | null } {
    return this.d.store.overdueBreakGlass(practiceId, this.d.clock.now() - days * 86_400_000)
  }

  breakGlassPractice(id: string): string | null {
    return this.d.store.breakGlass(id)?.practice_id ?? null
  }

  reviewBreakGlass(p: Principal, id: string, note: string): BreakGlass {
    const row = this.d.store.breakGlass(id)
    if (!row) throw new AppError('not_found', 'No such break-glass session.')
    if (row.person_id === p.personId) throw new AppError('forbidden', 'Someone else must review your own emergency access.')
    if (row.ended_at === null) throw new AppError('conflict', 'The session is still open; review it once it has ended.')
    if (row.reviewed_at !== null) throw new AppError('conflict', 'Already reviewed.')
    this.d.store.reviewBreakGlass(id, p.name, note, this.d.clock.now())
    this.d.audit.append({ actor: p.name, action: 'breakglass.review', practiceId: row.practice_id, targetType: 'breakglass', targetId: id, details: { note } })
    return this.breakGlassDto(this.d.store.breakGlass(id)!)
  }

  private breakGlassDto(b: BreakGlassRow): BreakGlass {
    const person = this.d.store.person(b.person_id)
    return {
      id: b.id,
      personId: b.person_id,
      person: person ? this.nameOf(person.username, person.display_name) : b.person_id,
      practiceId: b.practice_id,
      reasonCategory: b.reason_category,
      reason: b.reason,
      startedAt: b.started_at,
      expiresAt: b.expires_at,
      endedAt: b.ended_at,
      endReason: b.end_reason,
      reviewedBy: b.reviewed_by,
      reviewedAt: b.reviewed_at,
      reviewNote: b.review_note,
    }
  }

  // ---------------------------------------------------------------- helpers

  personOf(p: Principal): PersonRow {
    const row = p.personId ? this.d.store.person(p.personId) : undefined
    if (!row) throw new AppError('unauthorized', 'Sign in first.')
    return row
  }

  nameOf(username: string, displayName: string): string {
    return displayName && displayName !== username ? `${username} (${displayName})` : username
  }
}

/** 16 characters from a 57-letter alphabet (~93 bits), grouped for reading aloud. */
function temporaryPasswordOf(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789'
  const chars = Array.from({ length: 16 }, () => alphabet[randomInt(alphabet.length)]).join('')
  return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 12)}-${chars.slice(12, 16)}`
}
