/**
 * Provenance and review of patient field changes made or proposed by files, and what each source
 * last sent. Held changes are decided by an operator (accept applies the value as a new record
 * version, reject keeps the record), one or in bulk, audited.
 */
import { AppError } from '../../../../../../shared/errors'
import type { Db } from '../../../../store/database'
import { canonical } from './reconcile'
import { listWhere } from '../../../../store/list-where'

export interface FieldChange {
  id: number
  practiceId: string
  recordId: number
  field: string
  oldValue: unknown
  newValue: unknown
  source: string
  txId: number | null
  line: number | null
  policy: string
  status: 'applied' | 'held' | 'accepted' | 'rejected' | 'superseded'
  decidedBy: string | null
  decidedAt: number | null
  at: number
}

interface Row {
  id: number
  practice_id: string
  record_id: number
  field: string
  old_value: string | null
  new_value: string | null
  source: string
  tx_id: number | null
  line: number | null
  policy: string
  status: FieldChange['status']
  decided_by: string | null
  decided_at: number | null
  at: number
}

const parse = (s: string | null): unknown => (s === null ? null : (JSON.parse(s) as unknown))
const toChange = (r: Row): FieldChange => ({
  id: r.id,
  practiceId: r.practice_id,
  recordId: r.record_id,
  field: r.field,
  oldValue: parse(r.old_value),
  newValue: parse(r.new_value),
  source: r.source,
  txId: r.tx_id,
  line: r.line,
  policy: r.policy,
  status: r.status,
  decidedBy: r.decided_by,
  decidedAt: r.decided_at,
  at: r.at,
})

/** How a held change is known when a file sends its value again: field NUL canonical value. */
export const heldKey = (r: { field: string; new_value: string | null }): string => `${r.field}\u0000${canonical(parse(r.new_value))}`

export class FieldChangesRepo {
  private readonly s

  constructor(private readonly db: Db) {
    this.s = {
      add: db.prepare(`INSERT INTO patient_field_changes (practice_id, record_id, field, old_value, new_value, source, tx_id, line, policy, status, at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      lastSent: db.prepare('SELECT data FROM patient_source_values WHERE record_id = ? AND source = ?'),
      setSent: db.prepare(`INSERT INTO patient_source_values (practice_id, record_id, source, data, tx_id, line, at) VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (record_id, source) DO UPDATE SET data = excluded.data, tx_id = excluded.tx_id, line = excluded.line, at = excluded.at`),
      heldFor: db.prepare("SELECT field, new_value FROM patient_field_changes WHERE record_id = ? AND status = 'held'"),
      lastSentMany: db.prepare('SELECT record_id, data FROM patient_source_values WHERE source = ? AND record_id IN (SELECT value FROM json_each(?))'),
      heldForMany: db.prepare("SELECT record_id, field, new_value FROM patient_field_changes WHERE status = 'held' AND record_id IN (SELECT value FROM json_each(?))"),
      get: db.prepare('SELECT * FROM patient_field_changes WHERE id = ?'),
      decide: db.prepare('UPDATE patient_field_changes SET status = ?, decided_by = ?, decided_at = ? WHERE id = ?'),
      supersede: db.prepare("UPDATE patient_field_changes SET status = 'superseded', decided_by = 'system', decided_at = ? WHERE record_id = ? AND field = ? AND status = 'held' AND id <> ?"),
      forRecord: db.prepare('SELECT * FROM patient_field_changes WHERE record_id = ? ORDER BY id DESC LIMIT 500'),
    }
  }

  add(c: { practiceId: string; recordId: number; field: string; oldValue: unknown; newValue: unknown; source: string; txId: number | null; line: number | null; policy: string; status: 'applied' | 'held' }, at: number): number {
    const enc = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v))
    return Number(this.s.add.run(c.practiceId, c.recordId, c.field, enc(c.oldValue), enc(c.newValue), c.source, c.txId, c.line, c.policy, c.status, at).lastInsertRowid)
  }

  lastSent(recordId: number, source: string): Record<string, unknown> | null {
    const r = this.s.lastSent.get(recordId, source) as { data: string } | undefined
    return r ? (JSON.parse(r.data) as Record<string, unknown>) : null
  }

  /** What `source` sent now (`json`: the fields as JSON), kept for the next file's three-way reconciliation. */
  setLastSent(practiceId: string, recordId: number, source: string, json: string, txId: number | null, line: number | null, at: number): void {
    this.s.setSent.run(practiceId, recordId, source, json, txId, line, at)
  }

  /** What `source` last sent for each of these records, as stored (JSON): one query for a file's chunk. */
  lastSentMany(recordIds: readonly number[], source: string): Map<number, string> {
    const out = new Map<number, string>()
    if (recordIds.length) for (const r of this.s.lastSentMany.all(source, JSON.stringify(recordIds)) as { record_id: number; data: string }[]) out.set(r.record_id, r.data)
    return out
  }

  /** `field NUL canonical(value)` of the changes held for a record (a re-sent file does not hold them twice). */
  heldKeys(recordId: number): Set<string> {
    return new Set((this.s.heldFor.all(recordId) as { field: string; new_value: string | null }[]).map(heldKey))
  }

  /** `heldKeys` of the records that have held changes, among these: one query for a file's chunk. */
  heldKeysMany(recordIds: readonly number[]): Map<number, Set<string>> {
    const out = new Map<number, Set<string>>()
    if (!recordIds.length) return out
    for (const r of this.s.heldForMany.all(JSON.stringify(recordIds)) as { record_id: number; field: string; new_value: string | null }[]) {
      const set = out.get(r.record_id) ?? new Set<string>()
      set.add(heldKey(r))
      out.set(r.record_id, set)
    }
    return out
  }

  get(id: number): FieldChange {
    const r = this.s.get.get(id) as Row | undefined
    if (!r) throw new AppError('not_found', `There is no field change ${id}.`, { retryable: false })
    return toChange(r)
  }

  decide(id: number, status: 'accepted' | 'rejected', actor: string, at: number): void {
    this.s.decide.run(status, actor, at, id)
    if (status === 'accepted') {
      const c = this.get(id)
      this.s.supersede.run(at, c.recordId, c.field, id)
    }
  }

  forRecord(recordId: number): FieldChange[] {
    return (this.s.forRecord.all(recordId) as Row[]).map(toChange)
  }

  list(filter: { practiceId?: string; practiceIds?: readonly string[]; status?: FieldChange['status']; txId?: number; recordId?: number; before?: number; limit?: number }): FieldChange[] {
    const { where, args } = listWhere(
      [['practice_id = ?', filter.practiceId], ['status = ?', filter.status], ['tx_id = ?', filter.txId], ['record_id = ?', filter.recordId], ['id < ?', filter.before]],
      filter.practiceIds,
    )
    const sql = `SELECT * FROM patient_field_changes ${where} ORDER BY id DESC LIMIT ?`
    return (this.db.prepare(sql).all(...args, Math.min(filter.limit ?? 100, 1000)) as Row[]).map(toChange)
  }
}
