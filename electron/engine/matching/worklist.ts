/**
 * The potential-duplicates worklist. Nothing below "certain" is ever merged automatically: pairs
 * wait here with their score, grade and reasons. An operator links them (same person, both
 * records kept as they are), merges them (reversibly: both records stay; the merged one's
 * external ids move to the survivor, so new messages land there, and move back on unmerge),
 * keeps them distinct ("create new"), or marks them not a duplicate. Every decision is
 * remembered, so a decided pair is not proposed again, and audited. HL7 merge events (A40/A34/
 * A18, issue #16) hand their pair in with `proposeMerged`.
 */
import { csvLine } from '../../../shared/csv'
import { AppError } from '../../../shared/errors'
import type { AuditLog } from '../audit/audit-log'
import type { Db } from '../store/database'
import { listWhere } from '../store/list-where'

export type PairStatus = 'open' | 'linked' | 'merged' | 'distinct' | 'not_duplicate'
export type Resolution = 'link' | 'merge' | 'distinct' | 'not_duplicate'

export interface DuplicatePair {
  id: number
  practiceId: string
  recordA: number
  recordB: number
  score: number
  grade: 'certain' | 'probable' | 'possible'
  reasons: string[]
  trap: string | null
  origin: string
  txId: number | null
  line: number | null
  status: PairStatus
  decidedBy: string | null
  decidedAt: number | null
  createdAt: number
}

interface Row {
  id: number
  practice_id: string
  record_a: number
  record_b: number
  score: number
  grade: DuplicatePair['grade']
  reasons: string
  trap: string | null
  origin: string
  tx_id: number | null
  line: number | null
  status: PairStatus
  decided_by: string | null
  decided_at: number | null
  created_at: number
}

const toPair = (r: Row): DuplicatePair => ({
  id: r.id,
  practiceId: r.practice_id,
  recordA: r.record_a,
  recordB: r.record_b,
  score: r.score,
  grade: r.grade,
  reasons: JSON.parse(r.reasons) as string[],
  trap: r.trap,
  origin: r.origin,
  txId: r.tx_id,
  line: r.line,
  status: r.status,
  decidedBy: r.decided_by,
  decidedAt: r.decided_at,
  createdAt: r.created_at,
})

const STATUS_OF: Record<Resolution, PairStatus> = { link: 'linked', merge: 'merged', distinct: 'distinct', not_duplicate: 'not_duplicate' }

export class DuplicateWorklist {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly now: () => number,
    private readonly onChange: (practiceId: string) => void = () => undefined,
  ) {}

  /** Adds an open pair; a pair already known (open or decided) is left as it is. Returns its id when new. */
  propose(p: { practiceId: string; a: number; b: number; score: number; grade: DuplicatePair['grade']; reasons: string[]; trap: string | null; origin: string; txId: number | null; line: number | null }): number | null {
    if (p.a === p.b) return null
    const [a, b] = p.a < p.b ? [p.a, p.b] : [p.b, p.a]
    const info = this.db
      .prepare(`INSERT INTO duplicate_candidates (practice_id, record_a, record_b, score, grade, reasons, trap, origin, tx_id, line, status, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?) ON CONFLICT (practice_id, record_a, record_b) DO NOTHING`)
      .run(p.practiceId, a, b, Math.round(p.score * 100) / 100, p.grade, JSON.stringify(p.reasons), p.trap, p.origin, p.txId, p.line, this.now())
    return info.changes ? Number(info.lastInsertRowid) : null
  }

  /** Two records another system merged (HL7 A40/A34/A18): proposed for review, never applied blindly. */
  proposeMerged(practiceId: string, survivorId: number, mergedId: number, origin: string, txId: number | null): number | null {
    return this.propose({ practiceId, a: survivorId, b: mergedId, score: 0, grade: 'probable', reasons: [`${origin}: the sending system merged these records`], trap: null, origin, txId, line: null })
  }

  get(id: number): DuplicatePair {
    const r = this.db.prepare('SELECT * FROM duplicate_candidates WHERE id = ?').get(id) as Row | undefined
    if (!r) throw new AppError('not_found', `There is no potential duplicate ${id}.`, { retryable: false })
    return toPair(r)
  }

  list(filter: { practiceId?: string; practiceIds?: readonly string[]; status?: PairStatus; before?: number; limit?: number }): DuplicatePair[] {
    const { where, args } = listWhere([['practice_id = ?', filter.practiceId], ['status = ?', filter.status], ['id < ?', filter.before]], filter.practiceIds)
    const sql = `SELECT * FROM duplicate_candidates ${where} ORDER BY id DESC LIMIT ?`
    return (this.db.prepare(sql).all(...args, Math.min(filter.limit ?? 100, 5000)) as Row[]).map(toPair)
  }

  resolve(practiceId: string, id: number, action: Resolution, actor: string, survivor?: number): DuplicatePair {
    return this.db.transaction(() => {
      const p = this.get(id)
      if (p.practiceId !== practiceId) throw new AppError('not_found', `There is no potential duplicate ${id} in practice "${practiceId}".`, { retryable: false })
      if (p.status !== 'open') throw new AppError('conflict', `This pair was already decided (${p.status}); unmerge or reopen it first.`, { retryable: false })
      const now = this.now()
      let moved: { system: string; value: string }[] = []
      if (action === 'link' || action === 'merge') {
        const keep = survivor ?? Math.min(p.recordA, p.recordB)
        if (keep !== p.recordA && keep !== p.recordB) throw new AppError('invalid_input', 'The survivor must be one of the pair.', { retryable: false })
        const gone = keep === p.recordA ? p.recordB : p.recordA
        if (action === 'merge') {
          moved = this.db.prepare("SELECT system, value FROM external_ids WHERE record_id = ? AND kind = 'patient'").all(gone) as { system: string; value: string }[]
          this.db.prepare("UPDATE external_ids SET record_id = ? WHERE record_id = ? AND kind = 'patient'").run(keep, gone)
        }
        this.db
          .prepare('INSERT INTO record_merges (practice_id, candidate_id, kind, survivor_id, merged_id, moved_ids, by, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
          .run(practiceId, id, action, keep, gone, JSON.stringify(moved), actor, now)
      }
      this.db.prepare('UPDATE duplicate_candidates SET status = ?, decided_by = ?, decided_at = ? WHERE id = ?').run(STATUS_OF[action], actor, now, id)
      this.audit.append({ actor, action: `matching.${action}`, practiceId, targetType: 'duplicate_pair', targetId: String(id), details: { records: [p.recordA, p.recordB], survivor: survivor ?? null, movedIds: moved.length, score: p.score, grade: p.grade } })
      this.onChange(practiceId)
      return this.get(id)
    }).immediate()
  }

  /** Undoes a merge (ids back to the merged record) or a link; the pair is open again. */
  undo(practiceId: string, id: number, actor: string): DuplicatePair {
    return this.db.transaction(() => {
      const p = this.get(id)
      if (p.practiceId !== practiceId) throw new AppError('not_found', `There is no potential duplicate ${id} in practice "${practiceId}".`, { retryable: false })
      const m = this.db.prepare('SELECT * FROM record_merges WHERE candidate_id = ? AND undone_at IS NULL ORDER BY id DESC LIMIT 1').get(id) as { id: number; kind: string; survivor_id: number; merged_id: number; moved_ids: string } | undefined
      const now = this.now()
      if (m) {
        for (const x of JSON.parse(m.moved_ids) as { system: string; value: string }[]) {
          this.db.prepare("UPDATE external_ids SET record_id = ? WHERE practice_id = ? AND kind = 'patient' AND system = ? AND value = ?").run(m.merged_id, practiceId, x.system, x.value)
        }
        this.db.prepare('UPDATE record_merges SET undone_by = ?, undone_at = ? WHERE id = ?').run(actor, now, m.id)
      }
      this.db.prepare("UPDATE duplicate_candidates SET status = 'open', decided_by = ?, decided_at = ? WHERE id = ?").run(actor, now, id)
      this.audit.append({ actor, action: 'matching.undo', practiceId, targetType: 'duplicate_pair', targetId: String(id), details: { was: p.status, records: [p.recordA, p.recordB] } })
      this.onChange(practiceId)
      return this.get(id)
    }).immediate()
  }

  /** The worklist as CSV (pair ids with their external ids, score, grade, decision), formula-safe. */
  exportCsv(practiceId: string): { csv: string; rows: number } {
    const pairs = this.list({ practiceId, limit: 5000 })
    const ext = this.db.prepare("SELECT system || ':' || value AS id FROM external_ids WHERE record_id = ? AND kind = 'patient' ORDER BY system, value")
    const ids = (r: number): string => (ext.all(r) as { id: string }[]).map((x) => x.id).join(' ')
    const lines = [csvLine(['pair_id', 'record_a', 'record_a_external_ids', 'record_b', 'record_b_external_ids', 'score', 'grade', 'trap', 'origin', 'decision', 'decided_by', 'decided_at'])]
    for (const p of pairs) {
      lines.push(csvLine([p.id, p.recordA, ids(p.recordA), p.recordB, ids(p.recordB), p.score, p.grade, p.trap ?? '', p.origin, p.status, p.decidedBy ?? '', p.decidedAt ? new Date(p.decidedAt).toISOString() : '']))
    }
    return { csv: lines.join('\r\n') + '\r\n', rows: pairs.length }
  }
}
