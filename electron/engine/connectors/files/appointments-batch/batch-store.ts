/** SQL of the appointment-batch tables (migration 0151). Callers hold the transaction. */
import { CONFLICT_RULE_WORDS, type ApptConflict, type BatchRow, type BatchRun, type ConflictRule, type HeldRow } from '../../../../../shared/appointment-batch'
import type { Db } from '../../../store/database'
import type { FieldDiff, Fields } from './reconcile'
import { listWhere } from '../../../store/list-where'

interface RunRow {
  id: number
  practice_id: string
  tx_id: number | null
  direction: 'import' | 'export'
  file_name: string
  format: 'csv' | 'json'
  trigger: string
  status: 'running' | 'done' | 'failed'
  total_rows: number
  rows_done: number
  counts: string
  error: string | null
  started_at: number
  finished_at: number | null
}

const toRun = (r: RunRow): BatchRun => ({
  id: r.id,
  practiceId: r.practice_id,
  direction: r.direction,
  fileName: r.file_name,
  format: r.format,
  trigger: r.trigger,
  status: r.status,
  totalRows: r.total_rows,
  rowsDone: r.rows_done,
  counts: JSON.parse(r.counts) as Record<string, number>,
  error: r.error,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
})

export class BatchStore {
  private readonly s

  constructor(private readonly db: Db) {
    this.s = {
      base: db.prepare('SELECT snapshot FROM appt_sync_base WHERE practice_id = ? AND source = ? AND record_id = ?'),
      setBase: db.prepare(`INSERT INTO appt_sync_base (practice_id, record_id, source, snapshot, run_id) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (practice_id, source, record_id) DO UPDATE SET snapshot = excluded.snapshot, run_id = excluded.run_id`),
      row: db.prepare('INSERT OR REPLACE INTO appt_batch_rows (run_id, line, appointment_id, record_id, outcome, rule, message, fields) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      advance: db.prepare('UPDATE appt_batch_runs SET rows_done = ?, counts = ? WHERE id = ?'),
      openConflict: db.prepare("SELECT id FROM appt_conflicts WHERE record_id = ? AND status = 'open'"),
    }
  }

  runByTx(txId: number): BatchRun | null {
    const r = this.db.prepare('SELECT * FROM appt_batch_runs WHERE tx_id = ?').get(txId) as RunRow | undefined
    return r ? toRun(r) : null
  }

  run(practiceId: string, id: number): BatchRun | null {
    const r = this.db.prepare('SELECT * FROM appt_batch_runs WHERE practice_id = ? AND id = ?').get(practiceId, id) as RunRow | undefined
    return r ? toRun(r) : null
  }

  runs(q: { practiceId?: string; practiceIds?: string[]; limit: number }): BatchRun[] {
    const { where, args } = listWhere([['practice_id = ?', q.practiceId]], q.practiceIds)
    return (this.db.prepare(`SELECT * FROM appt_batch_runs ${where} ORDER BY id DESC LIMIT ?`).all(...args, q.limit) as RunRow[]).map(toRun)
  }

  createRun(r: { practiceId: string; txId: number | null; direction: 'import' | 'export'; fileName: string; format: 'csv' | 'json'; trigger: string; total: number; at: number; by: string; status?: 'running' | 'done' }): BatchRun {
    const info = this.db
      .prepare('INSERT INTO appt_batch_runs (practice_id, tx_id, direction, file_name, format, trigger, status, total_rows, started_at, started_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(r.practiceId, r.txId, r.direction, r.fileName, r.format, r.trigger, r.status ?? 'running', r.total, r.at, r.by)
    return this.run(r.practiceId, Number(info.lastInsertRowid)) as BatchRun
  }

  advance(runId: number, rowsDone: number, counts: Record<string, number>): void {
    this.s.advance.run(rowsDone, JSON.stringify(counts), runId)
  }

  finishRun(runId: number, status: 'done' | 'failed', at: number, error: string | null = null): void {
    this.db.prepare('UPDATE appt_batch_runs SET status = ?, finished_at = ?, error = ? WHERE id = ?').run(status, at, error, runId)
  }

  addRow(runId: number, r: Omit<BatchRow, 'fields'> & { fields?: string[] }): void {
    this.s.row.run(runId, r.line, r.appointmentId, r.recordId, r.outcome, r.rule, r.message, JSON.stringify(r.fields ?? []))
  }

  rows(runId: number, outcome: string | undefined, afterLine: number, limit: number): BatchRow[] {
    const rows = this.db
      .prepare('SELECT * FROM appt_batch_rows WHERE run_id = ? AND (? IS NULL OR outcome = ?) AND line > ? ORDER BY line LIMIT ?')
      .all(runId, outcome ?? null, outcome ?? null, afterLine, limit) as Array<{ line: number; appointment_id: string | null; record_id: number | null; outcome: BatchRow['outcome']; rule: string | null; message: string; fields: string }>
    return rows.map((r) => ({ line: r.line, appointmentId: r.appointment_id, recordId: r.record_id, outcome: r.outcome, rule: r.rule, message: r.message, fields: JSON.parse(r.fields) as string[] }))
  }

  base(practiceId: string, source: string, recordId: number): Fields | null {
    const r = this.s.base.get(practiceId, source, recordId) as { snapshot: string } | undefined
    return r ? (JSON.parse(r.snapshot) as Fields) : null
  }

  setBase(practiceId: string, source: string, recordId: number, snapshot: Fields, runId: number): void {
    this.s.setBase.run(practiceId, recordId, source, JSON.stringify(snapshot), runId)
  }

  /** One open conflict per appointment: a newer file's conflict replaces the older one. */
  addConflict(c: { practiceId: string; runId: number; line: number; recordId: number; appointmentId: string; rule: ConflictRule; fields: FieldDiff[]; ours: Fields; theirs: Fields; at: number }): number {
    const open = this.s.openConflict.get(c.recordId) as { id: number } | undefined
    if (open) this.db.prepare("UPDATE appt_conflicts SET status = 'resolved', resolution = 'theirs', resolved_by = 'superseded by a newer file', resolved_at = ? WHERE id = ?").run(c.at, open.id)
    const info = this.db
      .prepare("INSERT INTO appt_conflicts (practice_id, run_id, line, record_id, appointment_id, rule, fields, ours, theirs, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)")
      .run(c.practiceId, c.runId, c.line, c.recordId, c.appointmentId, c.rule, JSON.stringify(c.fields), JSON.stringify(c.ours), JSON.stringify(c.theirs), c.at)
    return Number(info.lastInsertRowid)
  }

  conflicts(q: { practiceId?: string; practiceIds?: string[]; status?: 'open' | 'resolved'; limit: number }): ApptConflict[] {
    const { where, args } = listWhere([['practice_id = ?', q.practiceId], ['status = ?', q.status]], q.practiceIds)
    return (this.db.prepare(`SELECT * FROM appt_conflicts ${where} ORDER BY id LIMIT ?`).all(...args, q.limit) as Record<string, unknown>[]).map(toConflict)
  }

  conflict(practiceId: string, id: number): ApptConflict | null {
    const r = this.db.prepare('SELECT * FROM appt_conflicts WHERE practice_id = ? AND id = ?').get(practiceId, id) as Record<string, unknown> | undefined
    return r ? toConflict(r) : null
  }

  resolveConflict(id: number, resolution: 'theirs' | 'ours' | 'edit', by: string, at: number): void {
    this.db.prepare("UPDATE appt_conflicts SET status = 'resolved', resolution = ?, resolved_by = ?, resolved_at = ? WHERE id = ?").run(resolution, by, at, id)
  }

  /** Import runs of a practice that failed since `since` (the alert rule `appointment_batch_failed`). */
  failedRunsSince(practiceId: string, since: number): number {
    return (this.db.prepare("SELECT count(*) AS n FROM appt_batch_runs WHERE practice_id = ? AND direction = 'import' AND status = 'failed' AND coalesce(finished_at, started_at) >= ?").get(practiceId, since) as { n: number }).n
  }

  openConflicts(practiceId: string): number {
    return (this.db.prepare("SELECT count(*) AS n FROM appt_conflicts WHERE practice_id = ? AND status = 'open'").get(practiceId) as { n: number }).n
  }

  hold(h: { practiceId: string; runId: number; line: number; appointmentId: string | null; reasons: string[]; row: Record<string, string>; at: number }): void {
    this.db
      .prepare("INSERT INTO appt_held (practice_id, run_id, line, appointment_id, reasons, row, status, created_at) VALUES (?, ?, ?, ?, ?, ?, 'held', ?)")
      .run(h.practiceId, h.runId, h.line, h.appointmentId, JSON.stringify(h.reasons), JSON.stringify(h.row), h.at)
  }

  held(practiceId: string, limit: number): HeldRow[] {
    return (this.db.prepare("SELECT * FROM appt_held WHERE practice_id = ? AND status = 'held' ORDER BY id LIMIT ?").all(practiceId, limit) as Record<string, unknown>[]).map((r) => ({
      id: r.id as number,
      practiceId: r.practice_id as string,
      runId: r.run_id as number,
      line: r.line as number,
      appointmentId: (r.appointment_id as string | null) ?? null,
      reasons: JSON.parse(r.reasons as string) as string[],
      status: r.status as HeldRow['status'],
      createdAt: r.created_at as number,
    }))
  }

  heldRows(practiceId: string): Array<{ id: number; runId: number; line: number; row: Record<string, string> }> {
    return (this.db.prepare("SELECT id, run_id, line, row FROM appt_held WHERE practice_id = ? AND status = 'held' ORDER BY id").all(practiceId) as { id: number; run_id: number; line: number; row: string }[]).map((r) => ({
      id: r.id,
      runId: r.run_id,
      line: r.line,
      row: JSON.parse(r.row) as Record<string, string>,
    }))
  }

  release(id: number): void {
    this.db.prepare("UPDATE appt_held SET status = 'released' WHERE id = ?").run(id)
  }
}

function toConflict(r: Record<string, unknown>): ApptConflict {
  const rule = r.rule as ConflictRule
  return {
    id: r.id as number,
    practiceId: r.practice_id as string,
    runId: r.run_id as number,
    line: r.line as number,
    recordId: r.record_id as number,
    appointmentId: r.appointment_id as string,
    rule,
    ruleWords: CONFLICT_RULE_WORDS[rule],
    fields: JSON.parse(r.fields as string) as FieldDiff[],
    ours: JSON.parse(r.ours as string) as Record<string, unknown>,
    theirs: JSON.parse(r.theirs as string) as Record<string, unknown>,
    status: r.status as ApptConflict['status'],
    resolution: (r.resolution as ApptConflict['resolution']) ?? null,
    resolvedBy: (r.resolved_by as string | null) ?? null,
    resolvedAt: (r.resolved_at as number | null) ?? null,
    createdAt: r.created_at as number,
  }
}
