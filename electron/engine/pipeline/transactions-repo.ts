/**
 * SQL for the transactions table, prepared once. Queries live next to the module that owns
 * the table; nothing else writes to it.
 */
import { createHash } from 'node:crypto'
import { savepoint, withoutSavepoints, type Db } from '../store/database'
import type { TxFilter, TxStatus, TxStep, TxSummary } from '../../../shared/api/transactions'
import { AppError, type AppErrorData } from '../../../shared/errors'
import { errorGroupKey } from './error-group'
import type { Direction, IncomingTx, LaneRow, PendingRow, TxRow } from './types'

const SUMMARY_COLS = `id, practice_id, connector, channel, direction, message_type, status, attempts, received_at, updated_at,
  duration_ms, control_id, mrn, patient_id, appointment_id, error_code, error_message, error_retryable, triage_state`
const SUMMARY_COLS_T = SUMMARY_COLS.split(',')
  .map((c) => `t.${c.trim()}`)
  .join(', ')

/** Ids whose business keys equal @q, each found through its own index. */
const KEY_MATCH_IDS = `SELECT id FROM transactions WHERE control_id = @q UNION SELECT id FROM transactions WHERE mrn = @q
  UNION SELECT id FROM transactions WHERE patient_id = @q UNION SELECT id FROM transactions WHERE appointment_id = @q`

/**
 * The filter's column conditions on alias `t` as one WHERE expression with named parameters.
 * The SQL depends only on which filters are set (so statements can be cached), not on their values.
 */
/** A filter narrowed to the practices a caller may see (access/principal.ts `practicesWith`). */
export type ScopedTxFilter = TxFilter & { practiceIds?: readonly string[] | null }

function filterSql(filter: ScopedTxFilter, o: { time: boolean }): { where: string; params: Record<string, unknown> } {
  const where: string[] = []
  const params: Record<string, unknown> = {}
  const add = (clause: string, key: string, value: unknown): void => {
    if (value === undefined || value === null || value === '') return
    where.push(clause)
    params[key] = value
  }
  add('t.practice_id = @practiceId', 'practiceId', filter.practiceId)
  if (filter.practiceIds) {
    const keys = filter.practiceIds.map((p, i) => {
      params[`pi${i}`] = p
      return `@pi${i}`
    })
    where.push(keys.length ? `t.practice_id IN (${keys.join(',')})` : '0')
  }
  add('t.connector = @connector', 'connector', filter.connector)
  add('t.channel = @channel', 'channel', filter.channel)
  add('t.direction = @direction', 'direction', filter.direction)
  if (filter.messageType) {
    where.push('(t.message_type = @messageType OR t.message_type LIKE @messageTypePrefix)')
    params.messageType = filter.messageType
    params.messageTypePrefix = `${filter.messageType}^%`
  }
  if (filter.statuses?.length) {
    const keys = filter.statuses.map((s, i) => {
      params[`st${i}`] = s
      return `@st${i}`
    })
    where.push(`t.status IN (${keys.join(',')})`)
  }
  add('t.error_group = @errorGroup', 'errorGroup', filter.errorGroup)
  add('t.filtered_by = @filteredBy', 'filteredBy', filter.filteredBy)
  // What a listener's counters count: refused at the door (stored as an error, never processed),
  // and messages sent again (answered with their original ACK, counted in tx_resent).
  if (filter.refused) where.push("t.status = 'error' AND t.attempts = 0 AND t.direction = 'in'")
  if (filter.resent) where.push('EXISTS (SELECT 1 FROM tx_resent AS r WHERE r.practice_id = t.practice_id AND r.channel = t.channel AND r.dedup_key = t.dedup_key)')
  if (o.time) {
    add('t.received_at >= @from', 'from', filter.from)
    add('t.received_at < @to', 'to', filter.to)
  }
  return { where: where.length ? where.join(' AND ') : '1', params }
}

export interface StepRecord {
  step: string
  outcome: TxStep['outcome']
  startedAt: number
  durationMs: number
  detail?: string | null
}

export interface FinishInput {
  id: number
  status: 'done' | 'filtered' | 'error' | 'queued'
  attempt: number
  startedAt: number
  finishedAt: number
  steps: StepRecord[]
  parsed?: string | null
  /** The parsed stage is derived at read time (ConnectorHandler.derivedParsed): the column is cleared. */
  parsedDerived?: boolean
  mapped?: string | null
  outbound?: string | null
  response?: string | null
  keys?: { controlId?: string | null; mrn?: string | null; patientId?: string | null; appointmentId?: string | null; messageType?: string | null }
  error?: AppErrorData | null
  filteredBy?: string | null
  nextAttemptAt?: number | null
}

export const MAX_FTS_CHARS = 64 * 1024

/**
 * A payload up to this size comes with its lane's rows (`inline_raw`), not read again per row.
 * Small, because a lane reads up to 256 rows in one statement on the engine thread: at 64 KB that
 * one read could copy 16 MB; at 4 KB it is at most 1 MB, and a typical ADT or SIU message (~1 KB)
 * still comes along.
 */
export const INLINE_RAW_BYTES = 4 * 1024

/**
 * What a lane reads, up to its WHERE: every column of a transaction but its raw bytes, and the size
 * of what payloadOf() returns (the edited version when there is one, else the original; length() of
 * a BLOB reads its size from the record header, not its pages). An original payload up to
 * INLINE_RAW_BYTES comes along (`inline_raw`): its page is read for the size anyway, and a second
 * query per row for the bytes was ~10 % of a lane's time (hl7-engine/speed-log.md, "inline-raw").
 */
const LANE_SELECT = `SELECT id, practice_id, connector, channel, direction, message_type, status, attempts, received_at, updated_at, started_at,
  finished_at, duration_ms, next_attempt_at, peer, control_id, mrn, patient_id, appointment_id, dedup_key, content_type, raw_sha256,
  payload_version, parsed, mapped, outbound, response, error_code, error_message, error_retryable, error_group, error_at, filtered_by,
  triage_state, triage_note, discard_reason,
  coalesce((SELECT length(p.raw) FROM transaction_payloads AS p WHERE transactions.payload_version > 0 AND p.tx_id = transactions.id AND p.version = transactions.payload_version),
    length(r.raw), 0) AS payload_bytes,
  CASE WHEN transactions.payload_version = 0 AND length(r.raw) <= ${INLINE_RAW_BYTES} THEN r.raw END AS inline_raw
  FROM transactions LEFT JOIN transaction_raw AS r ON r.tx_id = transactions.id`

/** One received row (named parameters; see insert()). Also run by the ingest writer's thread when it moves inbox rows. */
export const TX_INSERT_SQL = `INSERT INTO transactions
  (practice_id, connector, channel, direction, message_type, status, attempts, received_at, updated_at, next_attempt_at, peer,
   control_id, mrn, patient_id, appointment_id, dedup_key, content_type, raw, raw_sha256, response,
   error_code, error_message, error_retryable, error_group, error_at, triage_state)
  VALUES (@practice_id, @connector, @channel, @direction, @message_type, @status, 0, @now, @now, @next_attempt_at, @peer,
   @control_id, @mrn, @patient_id, @appointment_id, @dedup_key, @content_type, x'', @raw_sha256, @response,
   @error_code, @error_message, @error_retryable, @error_group, @error_at, @triage_state)
  ON CONFLICT (practice_id, channel, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING`

export const TX_FTS_SQL = 'INSERT INTO transactions_fts (rowid, body) VALUES (?, ?)'

/** A new row's raw bytes, in their own table (migration 0160): written once, never rewritten by a status change. */
export const TX_RAW_SQL = 'INSERT INTO transaction_raw (tx_id, raw) VALUES (?, ?)'

export function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex')
}

export class TransactionsRepo {
  private readonly s

  constructor(private readonly db: Db) {
    this.s = {
      insert: db.prepare(TX_INSERT_SQL),
      insertRaw: db.prepare(TX_RAW_SQL),
      byDedup: db.prepare('SELECT id, status, response FROM transactions WHERE practice_id = ? AND channel = ? AND dedup_key = ?'),
      fts: db.prepare(TX_FTS_SQL),
      get: db.prepare('SELECT * FROM transactions WHERE id = ?'),
      statusOf: db.prepare('SELECT status FROM transactions WHERE id = ?').pluck(),
      nextInLane: db.prepare(`${LANE_SELECT} WHERE practice_id = ? AND connector = ? AND id > ?
        AND status IN ('received','queued','processing') ORDER BY id LIMIT ?`),
      nextInLaneExcept: db.prepare(`${LANE_SELECT} WHERE practice_id = ? AND connector = ? AND id > ?
        AND status IN ('received','queued','processing') AND direction <> ? ORDER BY id LIMIT ?`),
      nextInChannelLane: db.prepare(`${LANE_SELECT} WHERE practice_id = ? AND connector = ? AND id > ?
        AND status IN ('received','queued','processing') AND direction = ? AND channel = ? ORDER BY id LIMIT ?`),
      raw: db.prepare('SELECT raw FROM transaction_raw WHERE tx_id = ?').pluck(),
      pendingLanes: db.prepare(`SELECT DISTINCT practice_id, connector, direction, channel FROM transactions WHERE status IN ('received','queued','processing')`),
      markProcessing: db.prepare(`UPDATE transactions SET status = 'processing', attempts = attempts + 1, started_at = ?, updated_at = ? WHERE id = ?`),
      finish: db.prepare(`UPDATE transactions SET status = @status, attempts = @attempt, started_at = @started_at, updated_at = @finished_at, finished_at = @finished_at,
          duration_ms = @duration_ms, next_attempt_at = @next_attempt_at,
          parsed = CASE WHEN @parsed_derived = 1 THEN NULL ELSE coalesce(@parsed, parsed) END, mapped = coalesce(@mapped, mapped), outbound = coalesce(@outbound, outbound),
          response = coalesce(@response, response),
          control_id = coalesce(@control_id, control_id), mrn = coalesce(@mrn, mrn), patient_id = coalesce(@patient_id, patient_id),
          appointment_id = coalesce(@appointment_id, appointment_id), message_type = coalesce(@message_type, message_type),
          error_code = @error_code, error_message = @error_message, error_retryable = @error_retryable, error_group = @error_group,
          error_at = @error_at, filtered_by = @filtered_by,
          triage_state = CASE WHEN @status = 'error' THEN coalesce(triage_state, 'new')
            WHEN @status IN ('done','filtered') AND triage_state IS NOT NULL THEN 'resolved' ELSE triage_state END
        WHERE id = @id`),
      step: db.prepare(`INSERT INTO transaction_steps (tx_id, attempt, step, outcome, started_at, duration_ms, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`),
      steps: db.prepare('SELECT attempt, step, outcome, started_at, duration_ms, detail FROM transaction_steps WHERE tx_id = ? ORDER BY id'),
      resetInterrupted: db.prepare(`UPDATE transactions SET status = 'queued', updated_at = ? WHERE status = 'processing'`),
      payloads: db.prepare('SELECT version, edited_by, reason, created_at, sha256 FROM transaction_payloads WHERE tx_id = ? ORDER BY version'),
      payload: db.prepare('SELECT raw FROM transaction_payloads WHERE tx_id = ? AND version = ?'),
      insertPayload: db.prepare(`INSERT INTO transaction_payloads (tx_id, version, raw, sha256, edited_by, reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`),
      requeue: db.prepare(`UPDATE transactions SET status = 'queued', next_attempt_at = NULL, updated_at = ?, payload_version = coalesce(?, payload_version) WHERE id = ?`),
      discard: db.prepare(`UPDATE transactions SET status = 'discarded', discard_reason = ?, updated_at = ? WHERE id = ?`),
      counts: db.prepare('SELECT status, count(*) AS n FROM transactions GROUP BY status'),
      countsPractice: db.prepare('SELECT status, count(*) AS n FROM transactions WHERE practice_id = ? GROUP BY status'),
      resent: db.prepare(`INSERT INTO tx_resent (practice_id, channel, dedup_key, n, last_at) VALUES (?, ?, ?, 1, ?)
        ON CONFLICT (practice_id, channel, dedup_key) DO UPDATE SET n = n + 1, last_at = excluded.last_at`),
    }
  }

  /**
   * Inserts one received row (call inside a write batch). Returns the existing row on a dedup hit.
   * `search`, when given, collects the row's full-text entry instead of writing it, for
   * indexSearch() after a chunk's last insert: FTS5 writes the terms it holds to a segment of their
   * own at every statement savepoint (this insert's trigger opens one), so an entry after each
   * insert made a segment a row (hl7-engine/speed-log.md, "the mover's search entries").
   */
  insert(tx: IncomingTx, now: number, search?: [number, string][]): { id: number; duplicate: boolean; response: string | null; status: TxStatus } {
    const err = tx.error ?? null
    const status: TxStatus = err ? 'error' : 'received'
    const info = this.s.insert.run({
      practice_id: tx.practiceId,
      connector: tx.connector,
      channel: tx.channel,
      direction: tx.direction,
      message_type: tx.messageType ?? null,
      status,
      now,
      next_attempt_at: tx.notBefore ?? null,
      peer: tx.peer ?? null,
      control_id: tx.controlId ?? null,
      mrn: tx.mrn ?? null,
      patient_id: tx.patientId ?? null,
      appointment_id: tx.appointmentId ?? null,
      dedup_key: tx.dedupKey ?? null,
      content_type: tx.contentType,
      raw_sha256: sha256(tx.raw),
      response: tx.response ?? null,
      error_code: err?.code ?? null,
      error_message: err?.message ?? null,
      error_retryable: err ? (err.retryable ? 1 : 0) : null,
      error_group: err ? errorGroupKey(err.code, err.message) : null,
      error_at: err ? now : null,
      triage_state: err ? 'new' : null,
    })
    if (info.changes === 0) {
      const row = this.s.byDedup.get(tx.practiceId, tx.channel, tx.dedupKey) as { id: number; status: TxStatus; response: string | null }
      return { id: row.id, duplicate: true, response: row.response, status: row.status }
    }
    const id = Number(info.lastInsertRowid)
    this.s.insertRaw.run(id, tx.raw)
    const text = tx.searchText ?? tx.raw.toString('utf8')
    const body = text.length > MAX_FTS_CHARS ? text.slice(0, MAX_FTS_CHARS) : text
    if (search) search.push([id, body])
    else this.s.fts.run(id, body)
    return { id, duplicate: false, response: tx.response ?? null, status }
  }

  /** Writes full-text entries collected by insert(); inside the same transaction as those inserts. */
  indexSearch(entries: [number, string][]): void {
    for (const [id, text] of entries) this.s.fts.run(id, text)
  }

  /** The whole row, its raw bytes included (empty once retention pruned them). */
  get(id: number): TxRow | undefined {
    const row = this.s.get.get(id) as TxRow | undefined
    if (row) row.raw = (this.s.raw.get(id) as Buffer | undefined) ?? row.raw
    return row
  }

  /** The status alone: reading the whole row would read its raw bytes too (megabytes for a big message). */
  statusOf(id: number): TxStatus | undefined {
    return this.s.statusOf.get(id) as TxStatus | undefined
  }

  /** The payload to process: the latest edit if there is one, else the original bytes. */
  currentPayload(row: TxRow): Buffer {
    if (row.payload_version === 0) return row.raw
    const p = this.s.payload.get(row.id, row.payload_version) as { raw: Buffer } | undefined
    return p?.raw ?? row.raw
  }

  /** The same for a row read without its bytes (a lane's): read once per attempt. */
  payloadOf(row: LaneRow): Buffer {
    if (row.payload_version > 0) {
      const p = this.s.payload.get(row.id, row.payload_version) as { raw: Buffer } | undefined
      if (p) return p.raw
    }
    return (this.s.raw.get(row.id) as Buffer | undefined) ?? Buffer.alloc(0)
  }

  /** Runs `fn` in a savepoint of the open write (or its own transaction): it lands whole or not at all. */
  savepoint<T>(fn: () => T): T {
    return savepoint(this.db, fn)
  }

  /** Runs `fn` with the savepoints inside it skipped (store/database.ts withoutSavepoints). */
  withoutSavepoints<T>(fn: () => T): T {
    return withoutSavepoints(this.db, fn)
  }

  /**
   * The next pending rows of a lane (up to `limit`, in id order, without their raw bytes): the whole
   * connector, the connector minus one direction (whose rows run in per-channel lanes), or one
   * (direction, channel).
   */
  nextInLane(practiceId: string, connector: string, afterId: number, scope: { exceptDirection: Direction } | { direction: Direction; channel: string } | undefined, limit = 1): PendingRow[] {
    if (scope && 'channel' in scope) return this.s.nextInChannelLane.all(practiceId, connector, afterId, scope.direction, scope.channel, limit) as PendingRow[]
    if (scope) return this.s.nextInLaneExcept.all(practiceId, connector, afterId, scope.exceptDirection, limit) as PendingRow[]
    return this.s.nextInLane.all(practiceId, connector, afterId, limit) as PendingRow[]
  }

  pendingLanes(): { practice_id: string; connector: string; direction: Direction; channel: string }[] {
    return this.s.pendingLanes.all() as { practice_id: string; connector: string; direction: Direction; channel: string }[]
  }

  markProcessing(id: number, now: number): void {
    this.s.markProcessing.run(now, now, id)
  }

  finish(f: FinishInput): void {
    const err = f.error ?? null
    this.s.finish.run({
      id: f.id,
      status: f.status,
      attempt: f.attempt,
      started_at: Math.round(f.startedAt),
      finished_at: f.finishedAt,
      duration_ms: Math.max(0, Math.round(f.finishedAt - f.startedAt)),
      next_attempt_at: f.nextAttemptAt ?? null,
      parsed: f.parsed ?? null,
      parsed_derived: f.parsedDerived ? 1 : 0,
      mapped: f.mapped ?? null,
      outbound: f.outbound ?? null,
      response: f.response ?? null,
      control_id: f.keys?.controlId ?? null,
      mrn: f.keys?.mrn ?? null,
      patient_id: f.keys?.patientId ?? null,
      appointment_id: f.keys?.appointmentId ?? null,
      message_type: f.keys?.messageType ?? null,
      error_code: err?.code ?? null,
      error_message: err?.message ?? null,
      error_retryable: err ? (err.retryable ? 1 : 0) : null,
      error_group: err ? errorGroupKey(err.code, err.message) : null,
      error_at: err ? f.finishedAt : null,
      filtered_by: f.filteredBy ?? null,
    })
    for (const s of f.steps) this.s.step.run(f.id, f.attempt, s.step, s.outcome, Math.round(s.startedAt), s.durationMs, s.detail ?? null)
  }

  /** Steps recorded outside a processing attempt (attempt 0), e.g. a file's pickup before it was stored. */
  addSteps(id: number, attempt: number, steps: readonly StepRecord[]): void {
    for (const s of steps) this.s.step.run(id, attempt, s.step, s.outcome, Math.round(s.startedAt), s.durationMs, s.detail ?? null)
  }

  steps(id: number): TxStep[] {
    return (this.s.steps.all(id) as { attempt: number; step: string; outcome: TxStep['outcome']; started_at: number; duration_ms: number; detail: string | null }[]).map(
      (r) => ({ attempt: r.attempt, step: r.step, outcome: r.outcome, startedAt: r.started_at, durationMs: r.duration_ms, detail: r.detail }),
    )
  }

  payloadVersions(id: number): { version: number; editedBy: string; reason: string | null; createdAt: number; sha256: string }[] {
    return (this.s.payloads.all(id) as { version: number; edited_by: string; reason: string | null; created_at: number; sha256: string }[]).map((r) => ({
      version: r.version,
      editedBy: r.edited_by,
      reason: r.reason,
      createdAt: r.created_at,
      sha256: r.sha256,
    }))
  }

  /** Crash recovery: rows that were mid-processing when the engine stopped are queued again. */
  resetInterrupted(now: number): number {
    return this.s.resetInterrupted.run(now).changes
  }

  addPayloadVersion(id: number, raw: Buffer, editedBy: string, reason: string, now: number): number {
    const versions = this.payloadVersions(id)
    const version = (versions.at(-1)?.version ?? 0) + 1
    this.s.insertPayload.run(id, version, raw, sha256(raw), editedBy, reason, now)
    return version
  }

  requeue(id: number, now: number, payloadVersion?: number): void {
    this.s.requeue.run(now, payloadVersion ?? null, id)
  }

  /** One more resend of a stored message (a duplicate answered with its original ACK). */
  noteResent(practiceId: string, channel: string, dedupKey: string, now: number): void {
    this.s.resent.run(practiceId, channel, dedupKey, now)
  }

  discard(id: number, reason: string, now: number): void {
    this.s.discard.run(reason, now, id)
  }

  counts(practiceId?: string, practiceIds?: readonly string[] | null): Partial<Record<TxStatus, number>> {
    const rows = (
      practiceId
        ? this.s.countsPractice.all(practiceId)
        : practiceIds
          ? practiceIds.flatMap((p) => this.s.countsPractice.all(p) as { status: TxStatus; n: number }[])
          : this.s.counts.all()
    ) as { status: TxStatus; n: number }[]
    const out: Partial<Record<TxStatus, number>> = {}
    for (const r of rows) out[r.status] = (out[r.status] ?? 0) + r.n
    return out
  }

  /**
   * Keyset pagination, newest first: `before` is the last id of the previous page. The search box
   * takes an exact business key (indexed columns) and free text (full-text search) together.
   *
   * Three query shapes, each answered from an index however many rows there are (the console's
   * 100 ms goal over 1M rows, test/bench/tx-query.bench.ts):
   * - no time range, no search: walk an (practice, ..., id) index backwards and stop at the page;
   * - a time range: walk tx_practice_received (practice, received_at, connector, channel, status)
   *   backwards inside the range, ordered by (received_at, id), so a range in the past is reached
   *   with one seek instead of a scan of everything newer;
   * - a search: the key matches (a handful of index seeks) and the FTS matches (streamed newest
   *   first by rowid) are each filtered and limited, then merged.
   */
  list(filter: ScopedTxFilter & { before?: number; limit: number }): { items: TxSummary[]; nextCursor: number | null } {
    const limit = filter.limit + 1
    const q = filter.q?.trim()
    let rows: SummaryRow[]
    if (q) {
      rows = this.searchRows(filter, q, limit)
    } else if (filter.from !== undefined || filter.to !== undefined) {
      const f = filterSql(filter, { time: true })
      let cursor = ''
      if (filter.before !== undefined) {
        const at = (this.stmt('SELECT received_at FROM transactions WHERE id = ?').get(filter.before) as { received_at: number } | undefined)?.received_at
        if (at !== undefined) {
          cursor = ' AND t.received_at <= @cursorAt AND (t.received_at < @cursorAt OR t.id < @before)'
          f.params.cursorAt = at
          f.params.before = filter.before
        } else {
          cursor = ' AND t.id < @before'
          f.params.before = filter.before
        }
      }
      const index = filter.practiceId ? 'tx_practice_received' : 'tx_received'
      rows = this.stmt(
        `SELECT ${SUMMARY_COLS_T} FROM transactions AS t INDEXED BY ${index} WHERE ${f.where}${cursor} ORDER BY t.received_at DESC, t.id DESC LIMIT ${limit}`,
      ).all(f.params) as SummaryRow[]
    } else {
      const f = filterSql(filter, { time: false })
      if (filter.before !== undefined) f.params.before = filter.before
      rows = this.stmt(
        `SELECT ${SUMMARY_COLS_T} FROM transactions AS t WHERE ${f.where}${filter.before !== undefined ? ' AND t.id < @before' : ''} ORDER BY t.id DESC LIMIT ${limit}`,
      ).all(f.params) as SummaryRow[]
    }
    const more = rows.length > filter.limit
    const items = rows.slice(0, filter.limit).map(toSummary)
    return { items, nextCursor: more ? items[items.length - 1].id : null }
  }

  private searchRows(filter: ScopedTxFilter & { before?: number }, q: string, limit: number): SummaryRow[] {
    const f = filterSql(filter, { time: true })
    f.params.q = q
    const before = filter.before !== undefined ? ' AND t.id < @before' : ''
    if (filter.before !== undefined) f.params.before = filter.before
    // CROSS JOIN keeps the (small) match list as the outer loop instead of a scan of the practice.
    const byKey = this.stmt(
      `SELECT ${SUMMARY_COLS_T} FROM (${KEY_MATCH_IDS}) AS k CROSS JOIN transactions AS t ON t.id = k.id
       WHERE ${f.where}${before} ORDER BY t.id DESC LIMIT ${limit}`,
    ).all(f.params) as SummaryRow[]
    // A query that is some transaction's business key is a key search: a control id must not
    // also list every id it happens to prefix. Decided without the cursor, so every page agrees.
    const { before: _b, ...unpaged } = f.params
    const fts = this.isKeySearch(f.where, unpaged) ? null : toFtsQuery(q)
    if (!fts) return byKey
    const byText = this.stmt(
      `SELECT ${SUMMARY_COLS_T} FROM transactions_fts AS x CROSS JOIN transactions AS t ON t.id = x.rowid
       WHERE transactions_fts MATCH @fts AND ${f.where}${filter.before !== undefined ? ' AND x.rowid < @before' : ''} ORDER BY x.rowid DESC LIMIT ${limit}`,
    ).all({ ...f.params, fts }) as SummaryRow[]
    const seen = new Set<number>()
    const merged: SummaryRow[] = []
    for (const r of [...byKey, ...byText]) {
      if (seen.has(r.id)) continue
      seen.add(r.id)
      merged.push(r)
    }
    return merged.sort((a, b) => b.id - a.id).slice(0, limit)
  }

  /** True when @q is the business key of a transaction that the rest of the filter matches. */
  private isKeySearch(where: string, params: Record<string, unknown>): boolean {
    return this.stmt(`SELECT 1 FROM (${KEY_MATCH_IDS}) AS k CROSS JOIN transactions AS t ON t.id = k.id WHERE ${where} LIMIT 1`).get(params) !== undefined
  }

  /** How many transactions match a filter (the export's progress bar needs the total first). */
  count(filter: TxFilter): number {
    const f = filterSql(filter, { time: true })
    const q = filter.q?.trim()
    if (!q) return (this.stmt(`SELECT count(*) AS n FROM transactions AS t WHERE ${f.where}`).get(f.params) as { n: number }).n
    f.params.q = q
    const fts = this.isKeySearch(f.where, f.params) ? null : toFtsQuery(q)
    const ids = fts ? `${KEY_MATCH_IDS} UNION SELECT rowid FROM transactions_fts WHERE transactions_fts MATCH @fts` : KEY_MATCH_IDS
    if (fts) f.params.fts = fts
    return (this.stmt(`SELECT count(*) AS n FROM (${ids}) AS k CROSS JOIN transactions AS t ON t.id = k.id WHERE ${f.where}`).get(f.params) as { n: number }).n
  }

  /** Operator triage of failed transactions (state and note); returns the ids that changed. */
  setTriage(ids: number[], state: 'new' | 'investigating' | 'resolved', note: string | null, now: number): number[] {
    const st = this.stmt(`UPDATE transactions SET triage_state = @state, triage_note = coalesce(@note, triage_note), updated_at = @now WHERE id = @id`)
    return ids.filter((id) => st.run({ id, state, note, now }).changes > 0)
  }

  private readonly cache = new Map<string, ReturnType<Db['prepare']>>()

  /** Filter combinations repeat; prepare each distinct statement once. */
  private stmt(sql: string): ReturnType<Db['prepare']> {
    let s = this.cache.get(sql)
    if (!s) {
      if (this.cache.size > 200) this.cache.clear()
      s = this.db.prepare(sql)
      this.cache.set(sql, s)
    }
    return s
  }

  /** Ids matching a filter (for bulk actions on "the whole group or filter"), capped. */
  ids(filter: TxFilter, cap: number): number[] {
    const out: number[] = []
    let before: number | undefined
    while (out.length < cap) {
      const page = this.list({ ...filter, before, limit: Math.min(500, cap - out.length) })
      out.push(...page.items.map((i) => i.id))
      if (page.nextCursor === null) break
      before = page.nextCursor
    }
    return out
  }
}

interface SummaryRow {
  id: number
  practice_id: string
  connector: string
  channel: string
  direction: 'in' | 'out'
  message_type: string | null
  status: TxStatus
  attempts: number
  received_at: number
  updated_at: number
  duration_ms: number | null
  control_id: string | null
  mrn: string | null
  patient_id: string | null
  appointment_id: string | null
  error_code: string | null
  error_message: string | null
  error_retryable: number | null
  triage_state: string | null
}

/**
 * Why nothing can be done with a transaction's payload: retention removed it (the row keeps its
 * metadata and hash). Null while the payload is kept. Reprocess, edit, preview and reading the raw
 * stage all answer this instead of working on an empty payload.
 */
export function payloadPrunedError(r: Pick<TxRow, 'id' | 'raw_pruned_at'>): AppError | null {
  if (r.raw_pruned_at === null) return null
  const on = new Date(r.raw_pruned_at).toISOString().slice(0, 10)
  return new AppError('payload_pruned', `Transaction ${r.id}'s raw payload was removed by retention on ${on}; its metadata is kept, but there is no payload to reprocess or edit.`, {
    retryable: false,
    details: { prunedAt: r.raw_pruned_at },
  })
}

export function toSummary(r: SummaryRow): TxSummary {
  return {
    id: r.id,
    practiceId: r.practice_id,
    connector: r.connector,
    channel: r.channel,
    direction: r.direction,
    messageType: r.message_type,
    status: r.status,
    attempts: r.attempts,
    receivedAt: r.received_at,
    updatedAt: r.updated_at,
    durationMs: r.duration_ms,
    controlId: r.control_id,
    mrn: r.mrn,
    patientId: r.patient_id,
    appointmentId: r.appointment_id,
    errorCode: r.error_code,
    errorMessage: r.error_message,
    errorRetryable: r.error_retryable === null ? null : r.error_retryable === 1,
    triageState: (r.triage_state as TxSummary['triageState']) ?? null,
  }
}

/**
 * Turns what a person types into a safe FTS5 query: each word becomes a quoted prefix term, so
 * FTS operators (AND, NEAR, quotes, column filters) in the input are searched for literally.
 */
export function toFtsQuery(q: string): string | null {
  const words = q.match(/[\p{L}\p{N}]+/gu)
  if (!words || words.length === 0) return null
  return words
    .slice(0, 12)
    .map((w) => `"${w}"*`)
    .join(' ')
}
