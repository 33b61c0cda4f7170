/**
 * Practices: several athenahealth practices side by side. Every record and transaction carries
 * its practice id; deleting a practice removes its connections, records and transactions (the
 * audit trail stays).
 */
import { AppError } from '../../../shared/errors'
import { practiceSettingsSchema, type PracticeConfig } from '../../../shared/config'
import type { Practice } from '../../../shared/api/practices'
import type { AuditLog } from '../audit/audit-log'
import type { Db } from '../store/database'
import { cachedStatement } from '../store/statements'
import { forgetReads, remembered } from '../store/read-scope'
import { deepFreeze } from '../core/deep-freeze'

export interface PracticeRow {
  id: string
  name: string
  athena_practice_id: string | null
  environment: Practice['environment']
  time_zone: string
  settings: string
  builtin: number
  created_at: number
  updated_at: number
}

export const SANDBOX_PRACTICE_ID = 'sandbox'
export const SANDBOX_ATHENA_PRACTICE = '195900'

/** Exported for the mapping bench's baseline (a lookup that parses every time). */
export function toPractice(r: PracticeRow): Practice {
  return {
    id: r.id,
    name: r.name,
    athenaPracticeId: r.athena_practice_id,
    environment: r.environment,
    timeZone: r.time_zone,
    settings: practiceSettingsSchema.parse(JSON.parse(r.settings)),
    builtin: r.builtin === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }
}

const sameRow = (a: PracticeRow, b: PracticeRow): boolean =>
  a.updated_at === b.updated_at && a.settings === b.settings && a.name === b.name && a.time_zone === b.time_zone && a.athena_practice_id === b.athena_practice_id && a.environment === b.environment && a.builtin === b.builtin && a.created_at === b.created_at

export class PracticesRepo {
  /**
   * The last parsed practice per id with the row it came from. Every read still reads the row (so
   * a change by any writer, on any connection, is seen at once); only the parse (JSON + settings
   * schema, most of a lookup's cost, paid per resource while mapping) is skipped while the row is
   * unchanged. The answer is frozen (read-only for every caller).
   */
  private readonly parsed = new Map<string, { row: PracticeRow; practice: Practice }>()

  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly now: () => number,
  ) {}

  list(): Practice[] {
    return (this.db.prepare('SELECT * FROM practices ORDER BY builtin DESC, name').all() as PracticeRow[]).map(toPractice)
  }

  /** Inside a lane's group (store/read-scope.ts) the first answer per id is kept for the group. */
  find(id: string): Practice | null {
    return remembered(this.db, 'practices', id, () => this.read(id))
  }

  private read(id: string): Practice | null {
    const r = cachedStatement(this.db, 'SELECT * FROM practices WHERE id = ?').get(id) as PracticeRow | undefined
    if (!r) {
      this.parsed.delete(id)
      return null
    }
    const hit = this.parsed.get(id)
    if (hit && sameRow(hit.row, r)) return hit.practice
    // Frozen: every caller gets this same object, so a caller's change would be everyone's.
    const practice = deepFreeze(toPractice(r))
    this.parsed.set(id, { row: r, practice })
    return practice
  }

  get(id: string): Practice {
    const p = this.find(id)
    if (!p) throw new AppError('not_found', `Practice "${id}" does not exist.`)
    return p
  }

  create(cfg: PracticeConfig, actor: string, opts: { builtin?: boolean } = {}): Practice {
    return this.db.transaction(() => {
      if (this.find(cfg.id)) throw new AppError('conflict', `A practice with id "${cfg.id}" already exists.`, { details: { issues: [{ path: 'id', message: 'already exists' }] } })
      const now = this.now()
      this.db
        .prepare(`INSERT INTO practices (id, name, athena_practice_id, environment, time_zone, settings, builtin, created_at, updated_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(cfg.id, cfg.name, cfg.athenaPracticeId, cfg.environment, cfg.timeZone, JSON.stringify(cfg.settings), opts.builtin ? 1 : 0, now, now)
      forgetReads(this.db, 'practices')
      this.audit.append({ actor, action: 'practice.create', practiceId: cfg.id, targetType: 'practice', targetId: cfg.id, details: { name: cfg.name, environment: cfg.environment, athenaPracticeId: cfg.athenaPracticeId } })
      return this.get(cfg.id)
    })()
  }

  update(
    patch: { id: string; name?: string; athenaPracticeId?: string | null; environment?: Practice['environment']; timeZone?: string; settings?: Partial<Practice['settings']> },
    actor: string,
  ): Practice {
    return this.db.transaction(() => {
      const cur = this.get(patch.id)
      const next = {
        name: patch.name ?? cur.name,
        athenaPracticeId: patch.athenaPracticeId === undefined ? cur.athenaPracticeId : patch.athenaPracticeId,
        environment: patch.environment ?? cur.environment,
        timeZone: patch.timeZone ?? cur.timeZone,
        settings: practiceSettingsSchema.parse({ ...cur.settings, ...(patch.settings ?? {}) }),
      }
      const changed: Record<string, { from: unknown; to: unknown }> = {}
      for (const k of ['name', 'athenaPracticeId', 'environment', 'timeZone'] as const) if (next[k] !== cur[k]) changed[k] = { from: cur[k], to: next[k] }
      // Retention is reported on its own (what is kept, and for how long, is what an auditor looks for).
      const { retention: curRetention, ...curRest } = cur.settings
      const { retention: nextRetention, ...nextRest } = next.settings
      if (JSON.stringify(nextRest) !== JSON.stringify(curRest)) changed.settings = { from: curRest, to: nextRest }
      if (JSON.stringify(nextRetention ?? null) !== JSON.stringify(curRetention ?? null)) changed.retention = { from: curRetention ?? null, to: nextRetention ?? null }
      this.db
        .prepare('UPDATE practices SET name = ?, athena_practice_id = ?, environment = ?, time_zone = ?, settings = ?, updated_at = ? WHERE id = ?')
        .run(next.name, next.athenaPracticeId, next.environment, next.timeZone, JSON.stringify(next.settings), this.now(), patch.id)
      forgetReads(this.db, 'practices')
      this.audit.append({ actor, action: 'practice.update', practiceId: patch.id, targetType: 'practice', targetId: patch.id, details: { changed } })
      return this.get(patch.id)
    })()
  }

  usage(id: string): { transactions: number; records: number; connections: number } {
    this.get(id)
    const n = (sql: string): number => (this.db.prepare(sql).get(id) as { n: number }).n
    return {
      transactions: n('SELECT count(*) AS n FROM transactions WHERE practice_id = ?'),
      records: n('SELECT count(*) AS n FROM records WHERE practice_id = ?'),
      connections: n('SELECT count(*) AS n FROM connections WHERE practice_id = ?'),
    }
  }

  /** Deletes a practice and everything that belongs to it. `confirm` must equal the id. */
  delete(id: string, confirm: string, actor: string): { transactions: number; records: number; connections: number; connectionIds: string[] } {
    return this.db.transaction(() => {
      const p = this.get(id)
      if (confirm !== id) throw new AppError('invalid_input', 'Type the practice id to confirm deletion.', { details: { issues: [{ path: 'confirm', message: `must be "${id}"` }] } })
      if (p.builtin) throw new AppError('forbidden', 'The built-in sandbox practice cannot be deleted.')
      const usage = this.usage(id)
      const connectionIds = (this.db.prepare('SELECT id FROM connections WHERE practice_id = ?').all(id) as { id: string }[]).map((r) => r.id)
      this.db.prepare('DELETE FROM transactions_fts WHERE rowid IN (SELECT id FROM transactions WHERE practice_id = ?)').run(id)
      this.db.prepare('DELETE FROM transaction_steps WHERE tx_id IN (SELECT id FROM transactions WHERE practice_id = ?)').run(id)
      this.db.prepare('DELETE FROM transaction_payloads WHERE tx_id IN (SELECT id FROM transactions WHERE practice_id = ?)').run(id)
      this.db.prepare('DELETE FROM transaction_raw WHERE tx_id IN (SELECT id FROM transactions WHERE practice_id = ?)').run(id)
      this.db.prepare('DELETE FROM transactions WHERE practice_id = ?').run(id)
      this.db.prepare('DELETE FROM tx_hourly WHERE practice_id = ?').run(id) // the rollup's rows, zeroed by the delete above
      this.db.prepare('DELETE FROM record_changes WHERE practice_id = ?').run(id)
      this.db.prepare('DELETE FROM external_ids WHERE practice_id = ?').run(id)
      this.db.prepare('DELETE FROM practices WHERE id = ?').run(id) // cascades: connections, records
      for (const kind of ['practices', 'connections', 'mapping_versions']) forgetReads(this.db, kind)
      this.audit.append({ actor, action: 'practice.delete', practiceId: id, targetType: 'practice', targetId: id, details: { name: p.name, ...usage } })
      return { ...usage, connectionIds }
    })()
  }
}
