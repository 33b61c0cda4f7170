/**
 * The access tables (migration 0100): people, roles, grants, sessions, break-glass sessions.
 * SQL only; the rules live in access-service.ts.
 */
import type { Permission } from '../../../shared/api/permissions'
import type { Db } from '../store/database'
import { BUILTIN_ROLES } from './roles'

export interface PersonRow {
  id: string
  username: string
  display_name: string
  email: string | null
  password_hash: string | null
  password_changed_at: number | null
  must_change_password: number
  totp_secret: string | null
  totp_pending: string | null
  totp_last_step: number | null
  recovery_codes: string
  oidc_issuer: string | null
  oidc_subject: string | null
  status: 'active' | 'disabled'
  failed_attempts: number
  locked_until: number | null
  last_sign_in_at: number | null
  created_by: string
  created_at: number
  updated_at: number
}

export interface RoleRow {
  id: string
  name: string
  description: string
  permissions: string
  builtin: number
}

export interface GrantRow {
  person_id: string
  practice_id: string
  role_id: string
}

export interface SessionRow {
  id: string
  token_hash: string
  person_id: string
  transport: string
  client: string
  method: string
  created_at: number
  last_seen_at: number
  auth_at: number
  expires_at: number
  ended_at: number | null
  end_reason: string | null
}

export interface BreakGlassRow {
  id: string
  person_id: string
  session_id: string | null
  practice_id: string
  reason_category: string
  reason: string
  started_at: number
  expires_at: number
  ended_at: number | null
  end_reason: string | null
  reviewed_by: string | null
  reviewed_at: number | null
  review_note: string | null
}

export class AccessStore {
  constructor(readonly db: Db) {}

  /** Writes the shipped roles (their permissions follow the code, so an upgrade can change them). */
  seedRoles(now: number): void {
    const up = this.db.prepare(`INSERT INTO roles (id, name, description, permissions, builtin, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)
      ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description, permissions = excluded.permissions, builtin = 1,
        updated_at = CASE WHEN roles.permissions = excluded.permissions AND roles.name = excluded.name AND roles.description = excluded.description THEN roles.updated_at ELSE excluded.updated_at END`)
    this.db.transaction(() => {
      for (const r of BUILTIN_ROLES) up.run(r.id, r.name, r.description, JSON.stringify(r.permissions), now, now)
    })()
  }

  countPeople(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM people').get() as { n: number }).n
  }

  person(id: string): PersonRow | undefined {
    return this.db.prepare('SELECT * FROM people WHERE id = ?').get(id) as PersonRow | undefined
  }

  personByUsername(username: string): PersonRow | undefined {
    return this.db.prepare('SELECT * FROM people WHERE username = ?').get(username) as PersonRow | undefined
  }

  personBySubject(issuer: string, subject: string): PersonRow | undefined {
    return this.db.prepare('SELECT * FROM people WHERE oidc_issuer = ? AND oidc_subject = ?').get(issuer, subject) as PersonRow | undefined
  }

  people(): PersonRow[] {
    return this.db.prepare('SELECT * FROM people ORDER BY username').all() as PersonRow[]
  }

  insertPerson(p: Pick<PersonRow, 'id' | 'username' | 'display_name' | 'email' | 'password_hash' | 'must_change_password' | 'created_by' | 'created_at'> & Partial<Pick<PersonRow, 'oidc_issuer' | 'oidc_subject'>>): void {
    this.db
      .prepare(`INSERT INTO people (id, username, display_name, email, password_hash, password_changed_at, must_change_password, oidc_issuer, oidc_subject, created_by, created_at, updated_at)
        VALUES (@id, @username, @display_name, @email, @password_hash, @created_at, @must_change_password, @oidc_issuer, @oidc_subject, @created_by, @created_at, @created_at)`)
      .run({ oidc_issuer: null, oidc_subject: null, ...p })
  }

  /** Sets the given columns of one person (names are this module's, never input). */
  updatePerson(id: string, fields: Partial<Omit<PersonRow, 'id' | 'created_at' | 'created_by'>>, now: number): void {
    const keys = Object.keys(fields)
    if (!keys.length) return
    const set = keys.map((k) => `${k} = @${k}`).join(', ')
    this.db.prepare(`UPDATE people SET ${set}, updated_at = @updated_at WHERE id = @id`).run({ ...fields, updated_at: now, id })
  }

  roles(): RoleRow[] {
    return this.db.prepare('SELECT id, name, description, permissions, builtin FROM roles ORDER BY builtin DESC, name').all() as RoleRow[]
  }

  role(id: string): RoleRow | undefined {
    return this.db.prepare('SELECT id, name, description, permissions, builtin FROM roles WHERE id = ?').get(id) as RoleRow | undefined
  }

  saveRole(r: { id: string; name: string; description: string; permissions: Permission[] }, now: number): void {
    this.db
      .prepare(`INSERT INTO roles (id, name, description, permissions, builtin, created_at, updated_at) VALUES (?, ?, ?, ?, 0, ?, ?)
        ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description, permissions = excluded.permissions, updated_at = excluded.updated_at`)
      .run(r.id, r.name, r.description, JSON.stringify(r.permissions), now, now)
  }

  deleteRole(id: string): void {
    this.db.prepare('DELETE FROM roles WHERE id = ? AND builtin = 0').run(id)
  }

  roleInUse(id: string): number {
    return (this.db.prepare('SELECT count(*) AS n FROM grants WHERE role_id = ?').get(id) as { n: number }).n
  }

  grants(personId: string): GrantRow[] {
    return this.db.prepare('SELECT person_id, practice_id, role_id FROM grants WHERE person_id = ? ORDER BY practice_id, role_id').all(personId) as GrantRow[]
  }

  /** Practice id (or `*`) → the permissions of every role granted there. */
  permissionsOf(personId: string): Map<string, Set<Permission>> {
    const rows = this.db
      .prepare('SELECT g.practice_id, r.permissions FROM grants g JOIN roles r ON r.id = g.role_id WHERE g.person_id = ?')
      .all(personId) as { practice_id: string; permissions: string }[]
    const out = new Map<string, Set<Permission>>()
    for (const r of rows) {
      const set = out.get(r.practice_id) ?? new Set<Permission>()
      for (const p of JSON.parse(r.permissions) as Permission[]) set.add(p)
      out.set(r.practice_id, set)
    }
    return out
  }

  replaceGrants(personId: string, practiceIds: readonly string[], grants: readonly { practiceId: string; roleId: string }[], by: string, now: number): void {
    const del = this.db.prepare('DELETE FROM grants WHERE person_id = ? AND practice_id = ?')
    const ins = this.db.prepare('INSERT OR IGNORE INTO grants (person_id, practice_id, role_id, granted_by, granted_at) VALUES (?, ?, ?, ?, ?)')
    for (const p of practiceIds) del.run(personId, p)
    for (const g of grants) ins.run(personId, g.practiceId, g.roleId, by, now)
  }

  /** People holding a permission on a practice (directly or on every practice), e.g. its admins. */
  holders(practiceId: string, permission: Permission): string[] {
    const rows = this.db
      .prepare(`SELECT DISTINCT g.person_id, r.permissions FROM grants g JOIN roles r ON r.id = g.role_id JOIN people p ON p.id = g.person_id
        WHERE p.status = 'active' AND g.practice_id IN (?, '*')`)
      .all(practiceId) as { person_id: string; permissions: string }[]
    return [...new Set(rows.filter((r) => (JSON.parse(r.permissions) as string[]).includes(permission)).map((r) => r.person_id))]
  }

  insertSession(s: Omit<SessionRow, 'ended_at' | 'end_reason'>): void {
    this.db
      .prepare(`INSERT INTO sessions (id, token_hash, person_id, transport, client, method, created_at, last_seen_at, auth_at, expires_at)
        VALUES (@id, @token_hash, @person_id, @transport, @client, @method, @created_at, @last_seen_at, @auth_at, @expires_at)`)
      .run(s)
  }

  sessionByTokenHash(hash: string): SessionRow | undefined {
    return this.db.prepare('SELECT * FROM sessions WHERE token_hash = ?').get(hash) as SessionRow | undefined
  }

  session(id: string): SessionRow | undefined {
    return this.db.prepare('SELECT * FROM sessions WHERE id = ?').get(id) as SessionRow | undefined
  }

  openSessions(personId?: string): SessionRow[] {
    return personId
      ? (this.db.prepare('SELECT * FROM sessions WHERE person_id = ? AND ended_at IS NULL ORDER BY created_at DESC').all(personId) as SessionRow[])
      : (this.db.prepare('SELECT * FROM sessions WHERE ended_at IS NULL ORDER BY created_at DESC').all() as SessionRow[])
  }

  touchSession(id: string, now: number): void {
    this.db.prepare('UPDATE sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?').run(now, id, now)
  }

  /** A new token for the same session (step-up, break-glass): the old one no longer finds it. */
  rotateSessionToken(id: string, tokenHash: string): boolean {
    return this.db.prepare('UPDATE sessions SET token_hash = ? WHERE id = ? AND ended_at IS NULL').run(tokenHash, id).changes > 0
  }

  setSessionAuth(id: string, authAt: number): void {
    this.db.prepare('UPDATE sessions SET auth_at = ?, last_seen_at = max(last_seen_at, ?) WHERE id = ?').run(authAt, authAt, id)
  }

  endSession(id: string, reason: string, now: number): boolean {
    return this.db.prepare('UPDATE sessions SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL').run(now, reason, id).changes > 0
  }

  /** Ends every open session of a person (but `exceptId`); returns the ids ended. */
  endSessionsOf(personId: string, reason: string, now: number, exceptId: string | null = null): string[] {
    const ids = (this.db.prepare('SELECT id FROM sessions WHERE person_id = ? AND ended_at IS NULL AND id IS NOT ?').all(personId, exceptId) as { id: string }[]).map((r) => r.id)
    for (const id of ids) this.endSession(id, reason, now)
    return ids
  }

  insertBreakGlass(b: Omit<BreakGlassRow, 'ended_at' | 'end_reason' | 'reviewed_by' | 'reviewed_at' | 'review_note'>): void {
    this.db
      .prepare(`INSERT INTO breakglass_sessions (id, person_id, session_id, practice_id, reason_category, reason, started_at, expires_at)
        VALUES (@id, @person_id, @session_id, @practice_id, @reason_category, @reason, @started_at, @expires_at)`)
      .run(b)
  }

  breakGlass(id: string): BreakGlassRow | undefined {
    return this.db.prepare('SELECT * FROM breakglass_sessions WHERE id = ?').get(id) as BreakGlassRow | undefined
  }

  /** Open break-glass sessions of a person that have not run out at `now`. */
  activeBreakGlass(personId: string, now: number): BreakGlassRow[] {
    return this.db.prepare('SELECT * FROM breakglass_sessions WHERE person_id = ? AND ended_at IS NULL AND expires_at > ?').all(personId, now) as BreakGlassRow[]
  }

  /** Open break-glass sessions whose time is up at `now` (ended by whoever looks first). */
  expiredBreakGlass(now: number): BreakGlassRow[] {
    return this.db.prepare('SELECT * FROM breakglass_sessions WHERE ended_at IS NULL AND expires_at <= ?').all(now) as BreakGlassRow[]
  }

  endBreakGlass(id: string, reason: string, at: number): boolean {
    return this.db.prepare('UPDATE breakglass_sessions SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL').run(at, reason, id).changes > 0
  }

  listBreakGlass(q: { practiceIds: readonly string[] | null; unreviewedOnly: boolean }): BreakGlassRow[] {
    const where: string[] = []
    const params: unknown[] = []
    if (q.practiceIds) {
      where.push(q.practiceIds.length ? `practice_id IN (${q.practiceIds.map(() => '?').join(', ')})` : '0')
      params.push(...q.practiceIds)
    }
    if (q.unreviewedOnly) where.push('reviewed_at IS NULL')
    return this.db.prepare(`SELECT * FROM breakglass_sessions ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY started_at DESC LIMIT 500`).all(...params) as BreakGlassRow[]
  }

  /** Ended break-glass sessions of a practice still unreviewed that ended at or before `endedBy`. */
  overdueBreakGlass(practiceId: string, endedBy: number): { n: number; oldest: number | null } {
    return this.db.prepare('SELECT count(*) AS n, min(ended_at) AS oldest FROM breakglass_sessions WHERE practice_id = ? AND reviewed_at IS NULL AND ended_at IS NOT NULL AND ended_at <= ?').get(practiceId, endedBy) as { n: number; oldest: number | null }
  }

  reviewBreakGlass(id: string, by: string, note: string, at: number): void {
    this.db.prepare('UPDATE breakglass_sessions SET reviewed_by = ?, reviewed_at = ?, review_note = ? WHERE id = ?').run(by, at, note, id)
  }
}
