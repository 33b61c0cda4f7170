/**
 * The row ledger of a file transaction: which lines were applied and how. A line's effects and
 * its ledger entry are committed in one transaction (`commit`), so after a crash a line is either
 * fully applied and recorded, or neither, and the restarted file skips recorded lines.
 */
import { mapSqliteError, type Db } from '../../../store/database'

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

/** Commits between two passive checkpoints: the WAL stays under ~8 chunks (~24 MB of 1,000 rows). */
const CHECKPOINT_EVERY = 8

export class RowLedger {
  private readonly s
  private commits = 0

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

  /**
   * Runs `apply` for a chunk of rows and records their entries, all in one commit. A busy database
   * (another connection held the write lock past the busy timeout) is a retryable `db_locked`:
   * nothing of the chunk was committed, and the retried file goes on from its last committed line.
   */
  commit<R>(apply: () => { entries: RowEntry[]; result: R }): R {
    let result: R
    try {
      result = this.db.transaction(() => {
        const { entries, result } = apply()
        for (const e of entries) this.s.insert.run(this.txId, e.line, e.outcome, e.recordId ?? null, e.extId ?? null, e.detail ? JSON.stringify(e.detail) : null)
        return result
      }).immediate()
    } catch (e) {
      const code = (e as { code?: unknown }).code
      throw code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' ? mapSqliteError(e) : e
    }
    // A file's chunks follow each other with no pause, so the checkpointer's passive rounds never
    // catch up and the WAL would grow by the whole file (~3 KB a row), until a forced checkpoint
    // holds every writer. Copying the last chunks now lets the next one restart the WAL from the top.
    // Every 8th commit, not every one: each chunk rewrites the same index pages, and copying them
    // once for 8 chunks instead of 8 times took ~37 µs a row off (bench files-import, README).
    if (++this.commits % CHECKPOINT_EVERY !== 0) return result
    try {
      this.db.pragma('wal_checkpoint(PASSIVE)')
    } catch {
      // Another checkpoint is running: it copies this chunk instead.
    }
    return result
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
