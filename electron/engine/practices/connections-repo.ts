/**
 * Connections (athenaNet REST) and HL7 interfaces (inbound listeners, outbound destinations) of a
 * practice. Configuration is stored as validated JSON; secrets are not configuration and live in
 * the SecretStore under `connection:<id>:<field>`.
 */
import { randomUUID } from 'node:crypto'
import { AppError } from '../../../shared/errors'
import { CONNECTION_SECRETS, connectionConfigSchema, type ConnectionConfig, type ConnectionKind } from '../../../shared/config'
import type { Connection } from '../../../shared/api/connections'
import type { AuditLog } from '../audit/audit-log'
import type { Db } from '../store/database'
import { connectionSecretNames, type SecretName, type SecretStore } from '../secrets/secret-store'
import { cachedStatement } from '../store/statements'
import { forgetReads, remembered } from '../store/read-scope'

interface ConnectionRow {
  id: string
  practice_id: string
  kind: ConnectionKind
  name: string
  enabled: number
  config: string
  created_at: number
  updated_at: number
}

export interface StoredConnection {
  id: string
  practiceId: string
  kind: ConnectionKind
  name: string
  enabled: boolean
  config: Record<string, unknown>
  createdAt: number
  updatedAt: number
}

function toStored(r: ConnectionRow): StoredConnection {
  return { id: r.id, practiceId: r.practice_id, kind: r.kind, name: r.name, enabled: r.enabled === 1, config: JSON.parse(r.config) as Record<string, unknown>, createdAt: r.created_at, updatedAt: r.updated_at }
}

export type SecretField = 'client_secret' | 'password' | 'private_key' | 'tls_key' | 'key_passphrase'

export function secretName(connectionId: string, field: SecretField): SecretName {
  return `connection:${connectionId}:${field}` as SecretName
}

export class ConnectionsRepo {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly secrets: SecretStore,
    private readonly now: () => number,
  ) {}

  list(practiceId?: string): StoredConnection[] {
    // Cached statements: the FHIR receiver and lanes list a practice's connections per notification.
    const rows = practiceId
      ? cachedStatement(this.db, 'SELECT * FROM connections WHERE practice_id = ? ORDER BY kind, name').all(practiceId)
      : cachedStatement(this.db, 'SELECT * FROM connections ORDER BY practice_id, kind, name').all()
    return (rows as ConnectionRow[]).map(toStored)
  }

  find(id: string): StoredConnection | null {
    const r = cachedStatement(this.db, 'SELECT * FROM connections WHERE id = ?').get(id) as ConnectionRow | undefined
    return r ? toStored(r) : null
  }

  get(id: string): StoredConnection {
    const c = this.find(id)
    if (!c) throw new AppError('not_found', `Connection "${id}" does not exist.`)
    return c
  }

  /** Inside a lane's group (store/read-scope.ts) the first answer per name is kept for the group. */
  findByName(practiceId: string, name: string): StoredConnection | null {
    return remembered(this.db, 'connections', `${practiceId}\u0000${name}`, () => {
      const r = cachedStatement(this.db, 'SELECT * FROM connections WHERE practice_id = ? AND name = ?').get(practiceId, name) as ConnectionRow | undefined
      return r ? toStored(r) : null
    })
  }

  /** The connection as the console sees it: config plus which secrets are set (never their values). */
  async toDto(c: StoredConnection): Promise<Connection> {
    const secrets: Record<string, boolean> = {}
    for (const field of CONNECTION_SECRETS[c.kind]) secrets[field] = (await this.secrets.get(secretName(c.id, field))) !== null
    return { ...c, secrets }
  }

  create(practiceId: string, input: ConnectionConfig, actor: string, id: string = randomUUID()): StoredConnection {
    const cfg = connectionConfigSchema.parse(input)
    return this.db.transaction(() => {
      if (!this.db.prepare('SELECT 1 FROM practices WHERE id = ?').get(practiceId)) throw new AppError('not_found', `Practice "${practiceId}" does not exist.`)
      if (this.findByName(practiceId, cfg.name)) {
        throw new AppError('conflict', `Practice "${practiceId}" already has a connection named "${cfg.name}".`, { details: { issues: [{ path: 'name', message: 'already exists' }] } })
      }
      const now = this.now()
      this.db
        .prepare('INSERT INTO connections (id, practice_id, kind, name, enabled, config, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(id, practiceId, cfg.kind, cfg.name, cfg.enabled ? 1 : 0, JSON.stringify(cfg.config), now, now)
      forgetReads(this.db, 'connections')
      this.audit.append({ actor, action: 'connection.create', practiceId, targetType: 'connection', targetId: id, details: { kind: cfg.kind, name: cfg.name, config: cfg.config } })
      return this.get(id)
    })()
  }

  update(id: string, input: ConnectionConfig, actor: string): StoredConnection {
    const cfg = connectionConfigSchema.parse(input)
    return this.db.transaction(() => {
      const cur = this.get(id)
      if (cur.kind !== cfg.kind) throw new AppError('invalid_input', 'The kind of a connection cannot change; create a new one.', { details: { issues: [{ path: 'kind', message: 'cannot change' }] } })
      const other = this.findByName(cur.practiceId, cfg.name)
      if (other && other.id !== id) throw new AppError('conflict', `Practice "${cur.practiceId}" already has a connection named "${cfg.name}".`)
      this.db.prepare('UPDATE connections SET name = ?, enabled = ?, config = ?, updated_at = ? WHERE id = ?').run(cfg.name, cfg.enabled ? 1 : 0, JSON.stringify(cfg.config), this.now(), id)
      forgetReads(this.db, 'connections')
      this.audit.append({
        actor,
        action: 'connection.update',
        practiceId: cur.practiceId,
        targetType: 'connection',
        targetId: id,
        details: { name: cfg.name, enabled: cfg.enabled, from: cur.config, to: cfg.config },
      })
      return this.get(id)
    })()
  }

  async delete(id: string, actor: string): Promise<StoredConnection> {
    const c = this.db.transaction(() => {
      const cur = this.get(id)
      this.db.prepare('DELETE FROM connections WHERE id = ?').run(id)
      forgetReads(this.db, 'connections')
      this.audit.append({ actor, action: 'connection.delete', practiceId: cur.practiceId, targetType: 'connection', targetId: id, details: { kind: cur.kind, name: cur.name } })
      return cur
    })()
    await this.deleteSecrets(id)
    return c
  }

  async deleteSecrets(id: string): Promise<void> {
    // Every secret a connection can hold (an SFTP key's passphrase too), so none outlives its connection.
    for (const name of connectionSecretNames(id)) await this.secrets.delete(name)
  }

  async setSecret(id: string, field: SecretField, value: string, actor: string): Promise<void> {
    const c = this.get(id)
    if (!CONNECTION_SECRETS[c.kind].includes(field)) throw new AppError('invalid_input', `A ${c.kind} connection has no "${field}".`, { details: { issues: [{ path: 'field', message: 'not used by this kind of connection' }] } })
    await this.secrets.set(secretName(id, field), value)
    this.audit.append({ actor, action: 'connection.secret.set', practiceId: c.practiceId, targetType: 'connection', targetId: id, details: { field } })
  }

  async clearSecret(id: string, field: SecretField, actor: string): Promise<void> {
    const c = this.get(id)
    await this.secrets.delete(secretName(id, field))
    this.audit.append({ actor, action: 'connection.secret.clear', practiceId: c.practiceId, targetType: 'connection', targetId: id, details: { field } })
  }

  getSecret(id: string, field: SecretField): Promise<string | null> {
    return this.secrets.get(secretName(id, field))
  }
}
