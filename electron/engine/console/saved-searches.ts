/**
 * Saved searches of the transaction log: a named filter per practice, kept in SQLite so every
 * operator of the install sees the same ones. Saving and deleting are audited (a saved search can
 * hold a business key, so the audit records its name and which filters it sets, not their values).
 */
import { randomUUID } from 'node:crypto'
import { AppError } from '../../../shared/errors'
import { savedFilterSchema, type SavedFilter, type SavedSearch } from '../../../shared/api/saved-searches'
import type { AuditLog } from '../audit/audit-log'
import type { Db } from '../store/database'

interface Row {
  id: string
  practice_id: string
  name: string
  filter: string
  created_by: string
  created_at: number
  updated_at: number
}

function toDto(r: Row): SavedSearch {
  const parsed = savedFilterSchema.safeParse(JSON.parse(r.filter))
  return {
    id: r.id,
    practiceId: r.practice_id,
    name: r.name,
    // A filter saved by an older build that no longer validates opens as "everything" rather than failing the list.
    filter: parsed.success ? parsed.data : {},
    createdBy: r.created_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }
}

export class SavedSearches {
  private readonly s

  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly now: () => number,
  ) {
    this.s = {
      list: db.prepare('SELECT * FROM saved_searches WHERE practice_id = ? ORDER BY name COLLATE NOCASE'),
      get: db.prepare('SELECT * FROM saved_searches WHERE id = ?'),
      upsert: db.prepare(`INSERT INTO saved_searches (id, practice_id, name, filter, created_by, created_at, updated_at)
        VALUES (@id, @practice_id, @name, @filter, @actor, @now, @now)
        ON CONFLICT (practice_id, name) DO UPDATE SET filter = excluded.filter, updated_at = excluded.updated_at`),
      byName: db.prepare('SELECT * FROM saved_searches WHERE practice_id = ? AND name = ?'),
      delete: db.prepare('DELETE FROM saved_searches WHERE id = ?'),
    }
  }

  list(practiceId: string): SavedSearch[] {
    return (this.s.list.all(practiceId) as Row[]).map(toDto)
  }

  save(practiceId: string, name: string, filter: SavedFilter, actor: string): SavedSearch {
    return this.db.transaction(() => {
      const existed = this.s.byName.get(practiceId, name) as Row | undefined
      this.s.upsert.run({ id: randomUUID(), practice_id: practiceId, name, filter: JSON.stringify(filter), actor, now: this.now() })
      const row = this.s.byName.get(practiceId, name) as Row
      const setFilters = Object.entries(filter)
        .filter(([, v]) => v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0))
        .map(([k]) => k)
      this.audit.append({ actor, action: existed ? 'saved_search.update' : 'saved_search.create', practiceId, targetType: 'saved_search', targetId: row.id, details: { name, filters: setFilters } })
      return toDto(row)
    })()
  }

  delete(id: string, actor: string): void {
    this.db.transaction(() => {
      const row = this.s.get.get(id) as Row | undefined
      if (!row) throw new AppError('not_found', `Saved search ${id} does not exist.`)
      this.s.delete.run(id)
      this.audit.append({ actor, action: 'saved_search.delete', practiceId: row.practice_id, targetType: 'saved_search', targetId: id, details: { name: row.name } })
    })()
  }
}
