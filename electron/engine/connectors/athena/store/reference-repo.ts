/**
 * athenaNet reference data cached per practice: departments (with `timezonename`, which turns
 * department-local appointment times into UTC), providers, appointment types, patient appointment
 * reasons and cancel reasons. Replaced wholesale by a reference sync.
 */
import type { Db } from '../../../store/database'

export const REFERENCE_KINDS = ['department', 'provider', 'appointmenttype', 'reason', 'cancelreason'] as const
export type ReferenceKind = (typeof REFERENCE_KINDS)[number]

export interface ReferenceItem {
  id: string
  data: Record<string, unknown>
  fetchedAt: number
}

export class ReferenceRepo {
  private readonly tzCache = new Map<string, Map<string, string>>()

  constructor(private readonly db: Db) {}

  replace(practiceId: string, kind: ReferenceKind, items: Array<{ id: string; data: Record<string, unknown> }>, now: number): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM athena_reference WHERE practice_id = ? AND kind = ?').run(practiceId, kind)
      const ins = this.db.prepare('INSERT OR REPLACE INTO athena_reference (practice_id, kind, ref_id, data, fetched_at) VALUES (?, ?, ?, ?, ?)')
      for (const it of items) ins.run(practiceId, kind, it.id, JSON.stringify(it.data), now)
    })()
    if (kind === 'department') this.tzCache.delete(practiceId)
  }

  list(practiceId: string, kind: ReferenceKind): ReferenceItem[] {
    const rows = this.db.prepare('SELECT ref_id, data, fetched_at FROM athena_reference WHERE practice_id = ? AND kind = ? ORDER BY length(ref_id), ref_id').all(practiceId, kind) as {
      ref_id: string
      data: string
      fetched_at: number
    }[]
    return rows.map((r) => ({ id: r.ref_id, data: JSON.parse(r.data) as Record<string, unknown>, fetchedAt: r.fetched_at }))
  }

  count(practiceId: string, kind: ReferenceKind): number {
    return (this.db.prepare('SELECT count(*) AS n FROM athena_reference WHERE practice_id = ? AND kind = ?').get(practiceId, kind) as { n: number }).n
  }

  fetchedAt(practiceId: string): number | null {
    return (this.db.prepare('SELECT max(fetched_at) AS t FROM athena_reference WHERE practice_id = ?').get(practiceId) as { t: number | null }).t
  }

  /** The department's `timezonename` (athena spells zones like `US/Eastern`), when cached. */
  departmentTimeZone(practiceId: string, departmentId: string): string | undefined {
    let m = this.tzCache.get(practiceId)
    if (!m) {
      m = new Map()
      for (const d of this.list(practiceId, 'department')) {
        const tz = d.data.timezonename
        if (typeof tz === 'string' && tz.trim() !== '') m.set(d.id, tz.replace(/\\\//g, '/'))
      }
      this.tzCache.set(practiceId, m)
    }
    return m.get(departmentId)
  }
}
