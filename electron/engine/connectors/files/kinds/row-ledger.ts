/**
 * The row ledger of a file transaction: which lines were applied and how. A line's effects and
 * its ledger entry are committed in one transaction (`commit`), so after a crash a line is either
 * fully applied and recorded, or neither, and the restarted file skips recorded lines.
 */
import type { Db } from '../../../store/database'

export const ROW_OUTCOMES = ['created', 'updated', 'unchanged', 'held', 'duplicate', 'rejected'] as const
export type RowOutcome = (typeof ROW_OUTCOMES)[number]

export interface RowEntry {
  line: number
  outcome: RowOutcome
  recordId?: number | null
  extId?: string | null
  /** Reasons, issues, changed field names: no values (it is shown in lists and logs). */
  detail?: Record<string, unknown> | null
}

export class RowLedger {
  private readonly s

  constructor(
    private readonly db: Db,
    readonly txId: number,
  ) {
    this.s = {
      insert: db.prepare('INSERT INTO file_rows (tx_id, line, outcome, record_id, ext_id, detail) VALUES (?, ?, ?, ?, ?, ?)'),
      lines: db.prepare('SELECT line FROM file_rows WHERE tx_id = ?'),
    }
  }

  /** Lines already applied (a restarted file skips them). */
  doneLines(): Set<number> {
    return new Set((this.s.lines.all(this.txId) as { line: number }[]).map((r) => r.line))
  }

  /** Runs `apply` for a chunk of rows and records their entries, all in one commit. */
  commit<R>(apply: () => { entries: RowEntry[]; result: R }): R {
    return this.db.transaction(() => {
      const { entries, result } = apply()
      for (const e of entries) this.s.insert.run(this.txId, e.line, e.outcome, e.recordId ?? null, e.extId ?? null, e.detail ? JSON.stringify(e.detail) : null)
      return result
    }).immediate()
  }
}

export interface FileReportCounts {
  total: number
  created: number
  updated: number
  unchanged: number
  held: number
  duplicate: number
  rejected: number
}

export function reportCounts(db: Db, txId: number): FileReportCounts {
  const out: FileReportCounts = { total: 0, created: 0, updated: 0, unchanged: 0, held: 0, duplicate: 0, rejected: 0 }
  for (const r of db.prepare('SELECT outcome, count(*) AS n FROM file_rows WHERE tx_id = ? GROUP BY outcome').all(txId) as { outcome: RowOutcome; n: number }[]) {
    out[r.outcome] = r.n
    out.total += r.n
  }
  return out
}
