/**
 * Nightly appointment batches. An imported schedule file is a transaction (stored before anything
 * else, deduplicated by content); its pipeline handler reads the rows and applies them in chunks,
 * each chunk with its report rows and the run's cursor in one commit, so a restart (even after a
 * kill -9) resumes after the last committed row and applies every row exactly once.
 * Export writes the stored appointments of a date range in the same shape.
 */
import { createHash } from 'node:crypto'
import { DateTime } from 'luxon'
import {
  APPT_SYNC_FIELDS,
  appointmentBatchSettingsSchema,
  CONFLICT_RULE_WORDS,
  type ApptConflict,
  type AppointmentBatchSettings,
  type BatchRun,
  type RowOutcome,
} from '../../../../../shared/appointment-batch'
import { AppError } from '../../../../../shared/errors'
import type { EngineContext } from '../../../core/engine-context'
import { evaluateMapping } from '../../../mapping/evaluate-mapping'
import { csvRowAccessor, jsonAccessor } from '../../../mapping/json-accessor'
import type { MappingContext } from '../../../mapping/mapping-context'
import { zoneFromName } from '../../../mapping/time-zones'
import type { ConnectorHandler, ProcessContext } from '../../../pipeline/connector-handler'
import type { StoredRecord } from '../../../records/record-store'
import { ReferenceRepo } from '../../athena/store/reference-repo'
import { toCsv } from '../billing/csv-out'
import { BatchStore } from './batch-store'
import { detectFormat, readRows, type FileRow } from './batch-rows'
import { BookingIndex, type Slot } from './double-booking'
import { APPOINTMENT_IN_SET, APPOINTMENT_OUT_SET } from './mappings'
import { reconcile, same, type Fields } from './reconcile'

export const BATCH_CONNECTOR = 'appointment-batch'
export const BATCH_CHANNEL = 'schedule-in'
const CHUNK = 500

interface Parsed {
  format: 'csv' | 'json'
  rows: FileRow[]
}

/** What one run knows about the practice: references, zones, the booking index. */
interface RunEnv {
  practiceId: string
  settings: AppointmentBatchSettings
  mctx: MappingContext
  zone(departmentId: string): string | undefined
  knownProvider(id: string): boolean
  patientRef(id: string): number | null
  index: BookingIndex
  runId: number
  /** Ids this file reschedules away from (some row names them in RescheduledFrom): their own rows are the move's other half. */
  movedAway: ReadonlySet<string>
  actor: string
  counts: Record<string, number>
  txId: number | null
}

export class AppointmentBatches {
  readonly store: BatchStore
  private readonly reference: ReferenceRepo

  constructor(private readonly ctx: EngineContext) {
    this.store = new BatchStore(ctx.db)
    this.reference = new ReferenceRepo(ctx.db)
  }

  settings(practiceId: string): AppointmentBatchSettings {
    return appointmentBatchSettingsSchema.parse(this.ctx.practices.get(practiceId).settings.appointmentBatch ?? {})
  }

  /**
   * Entry point for a schedule file (the API's upload, a folder, and later part 1's file jobs):
   * stored durably as a transaction first; the same content again is the same transaction.
   */
  async submit(practiceId: string, fileName: string, content: Buffer, trigger: string, actor: string): Promise<{ txId: number; duplicate: boolean }> {
    this.ctx.practices.get(practiceId)
    const format = detectFormat(fileName, content.subarray(0, 64).toString('utf8'))
    const r = await this.ctx.pipeline.receive({
      practiceId,
      connector: BATCH_CONNECTOR,
      channel: BATCH_CHANNEL,
      direction: 'in',
      messageType: `schedule-${format}`,
      contentType: format === 'csv' ? 'csv' : 'json',
      raw: content,
      controlId: fileName.slice(0, 255),
      peer: trigger,
      dedupKey: createHash('sha256').update(content).digest('hex'),
    })
    this.ctx.audit.append({ actor, action: 'appointments.importFile', practiceId, targetType: 'transaction', targetId: String(r.id), outcome: 'ok', details: { fileName, bytes: content.length, trigger, duplicate: r.duplicate } })
    return { txId: r.id, duplicate: r.duplicate }
  }

  handler(): ConnectorHandler<Parsed, Parsed> {
    return {
      connector: BATCH_CONNECTOR,
      direction: 'in',
      lanes: 'channel',
      maxAttempts: 3,
      parse: (pctx) => this.reportingFailure(pctx, () => this.parseFile(pctx)),
      map: (parsed) => parsed,
      apply: async (parsed, pctx) => {
        const run = await this.reportingFailure(pctx, () => this.applyFile(pctx, parsed))
        pctx.setResponse(JSON.stringify({ runId: run.id, counts: run.counts }))
      },
    }
  }

  /** A file that fails for good (bad header, unreadable) is a failed run and a notification, beside the error queue. */
  private async reportingFailure<T>(pctx: ProcessContext, fn: () => T | Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (e) {
      const final = !(e instanceof AppError) || !e.retryable || pctx.attempt >= 3
      if (final) this.failed(pctx.tx.practice_id, pctx.tx.id, pctx.tx.control_id ?? 'schedule', e instanceof AppError ? e.message : 'internal error')
      throw e
    }
  }

  /** A schedule file's structure (format, header against the mapping set's required columns); a bad one is refused whole. */
  checkFile(practiceId: string, fileName: string, content: Buffer): Parsed & { columns: string[] } {
    const text = content.toString('utf8')
    const format = detectFormat(fileName, text)
    const { columns, rows } = readRows(text, format)
    const set = this.ctx.mappings.effective(practiceId, APPOINTMENT_IN_SET).set
    const folded = new Set(columns.map((c) => c.trim().toLowerCase()))
    const missing = set.fields.filter((f) => f.required && typeof f.source === 'string' && !folded.has(f.source.toLowerCase())).map((f) => f.source as string)
    if (rows.length > 0 && missing.length > 0) {
      throw new AppError('validation_error', `The schedule file's header lacks ${missing.join(', ')} (the mapping set ${APPOINTMENT_IN_SET} requires them; found: ${columns.join(', ') || 'nothing'}).`, { retryable: false })
    }
    return { format, columns, rows }
  }

  private parseFile(pctx: ProcessContext): Parsed {
    const { format, columns, rows } = this.checkFile(pctx.tx.practice_id, pctx.tx.control_id ?? 'schedule', pctx.payload)
    pctx.setParsed({ format, columns, rows: rows.length })
    return { format, rows }
  }

  /**
   * Applies a stored schedule file of another connector's transaction (a file job's pickup) the
   * way an imported one is applied: same parse, rules, chunked cursor (the run is keyed by the
   * transaction) and failure report.
   */
  async applyStored(pctx: ProcessContext): Promise<BatchRun> {
    const parsed = await this.reportingFailure(pctx, () => this.parseFile(pctx))
    return this.reportingFailure(pctx, () => this.applyFile(pctx, parsed))
  }

  private env(practiceId: string, runId: number, actor: string, txId: number | null, counts: Record<string, number>): RunEnv {
    const p = this.ctx.practices.get(practiceId)
    const settings = this.settings(practiceId)
    const sys = settings.idSystem
    const zones = new Map<string, string>()
    for (const d of this.reference.list(practiceId, 'department')) {
      const tz = d.data.timezonename
      zones.set(d.id, typeof tz === 'string' ? tz : '')
    }
    const providers = new Set(this.reference.list(practiceId, 'provider').map((x) => x.id))
    const extIds = (kind: string): Map<string, number> =>
      new Map((this.ctx.db.prepare('SELECT value, record_id FROM external_ids WHERE practice_id = ? AND kind = ? AND system = ?').all(practiceId, kind, sys) as { value: string; record_id: number }[]).map((r) => [r.value, r.record_id]))
    for (const [id, rid] of extIds('location')) if (!zones.has(id)) zones.set(id, String(this.ctx.records.get(rid)?.data.time_zone ?? ''))
    for (const id of extIds('provider').keys()) providers.add(id)
    const patients = extIds('patient')
    const index = new BookingIndex(settings.doubleBooking.scope, new Set(settings.doubleBooking.overbookTypes))
    for (let after = 0; ; ) {
      const page = this.ctx.records.list(practiceId, 'appointment', after, 1000)
      if (page.length === 0) break
      after = page[page.length - 1]?.id ?? after
      for (const r of page) {
        const s = slotOf(r.id, r.data)
        if (s) index.put(s)
      }
    }
    const zone = (id: string): string | undefined => {
      const z = zones.get(id)
      return z && zoneFromName(z) ? z : undefined
    }
    return {
      practiceId,
      settings,
      mctx: { practiceId, defaultTimeZone: p.timeZone, now: () => this.ctx.clock.now(), lookupDepartmentTimeZone: zone },
      zone,
      knownProvider: (id) => providers.has(id),
      patientRef: (id) => patients.get(id) ?? null,
      index,
      runId,
      movedAway: new Set(),
      actor,
      counts,
      txId,
    }
  }

  private async applyFile(pctx: ProcessContext, parsed: Parsed): Promise<BatchRun> {
    const practiceId = pctx.tx.practice_id
    const now = this.ctx.clock.now()
    const run =
      this.store.runByTx(pctx.tx.id) ??
      this.store.createRun({ practiceId, txId: pctx.tx.id, direction: 'import', fileName: pctx.tx.control_id ?? 'schedule', format: parsed.format, trigger: pctx.tx.peer ?? 'on demand', total: parsed.rows.length, at: now, by: pctx.tx.peer ?? 'engine' })
    if (run.status === 'done') return run
    const counts = { ...run.counts }
    const env = this.env(practiceId, run.id, `file ${run.fileName}`, pctx.tx.id, counts)
    const set = this.ctx.mappings.effective(practiceId, APPOINTMENT_IN_SET).set
    env.movedAway = movedAway(set, parsed.rows)
    for (let i = run.rowsDone; i < parsed.rows.length; i += CHUNK) {
      const chunk = parsed.rows.slice(i, i + CHUNK)
      this.ctx.db.transaction(() => {
        for (const row of chunk) {
          const o = this.applyRow(env, set, row)
          counts[o] = (counts[o] ?? 0) + 1
        }
        this.store.advance(run.id, i + chunk.length, counts)
      }).immediate()
      // Between chunks the event loop serves the console, sockets and other lanes.
      await new Promise((r) => setImmediate(r))
    }
    this.store.finishRun(run.id, 'done', this.ctx.clock.now())
    const done = this.store.run(practiceId, run.id) as BatchRun
    this.notify(done)
    this.ctx.logger.info('appointment batch applied', { practiceId, runId: run.id, rows: parsed.rows.length, counts })
    return done
  }

  /** A run that leaves conflicts or held rows tells the operator (the bell), like a failure does. */
  private notify(run: BatchRun): void {
    const open = this.store.openConflicts(run.practiceId)
    const held = run.counts.held ?? 0
    if (open === 0 && held === 0) return
    this.raise?.(run.practiceId, 'warning', `Appointment file ${run.fileName}: needs review`, `${run.counts.conflict ?? 0} conflict(s) in this run, ${open} open in the queue, ${held} row(s) held for unknown references.`)
  }

  /** Set by the module: raises a notification (the console's alert service). */
  raise: ((practiceId: string, level: 'info' | 'warning' | 'error', title: string, message: string) => void) | null = null

  /** Failure of a whole file (after the pipeline gave up): reported as a failed run and a notification. */
  failed(practiceId: string, txId: number, fileName: string, message: string): void {
    const run = this.store.runByTx(txId) ?? this.store.createRun({ practiceId, txId, direction: 'import', fileName, format: 'csv', trigger: 'file', total: 0, at: this.ctx.clock.now(), by: 'engine' })
    this.store.finishRun(run.id, 'failed', this.ctx.clock.now(), message)
    this.raise?.(practiceId, 'error', `Appointment file ${fileName} failed`, message)
  }

  private applyRow(env: RunEnv, set: ReturnType<AppointmentBatches['ctx']['mappings']['effective']>['set'], row: FileRow): RowOutcome {
    const { practiceId, settings } = env
    const sys = settings.idSystem
    const report = (outcome: RowOutcome, message: string, extra: { appointmentId?: string | null; recordId?: number | null; rule?: string | null; fields?: string[] } = {}): RowOutcome => {
      this.store.addRow(env.runId, { line: row.line, appointmentId: extra.appointmentId ?? null, recordId: extra.recordId ?? null, outcome, rule: extra.rule ?? null, message, fields: extra.fields ?? [] })
      return outcome
    }
    const result = evaluateMapping(set, csvRowAccessor(row.values), env.mctx)
    const out = result.output
    const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v))
    const apptId = str(out.external_id) || null
    // Unknown references first: such a row is held (kept, with why), never dropped or half-applied.
    const reasons: string[] = []
    const patientId = str(out.patient_id)
    const providerId = str(out.provider_id)
    const deptId = str(out.location_id)
    const patientRef = patientId ? env.patientRef(patientId) : null
    if (patientId && patientRef === null) reasons.push(`unknown patient ${patientId}`)
    if (providerId && !env.knownProvider(providerId)) reasons.push(`unknown provider ${providerId}`)
    if (deptId && !env.zone(deptId)) reasons.push(`unknown department ${deptId} (or no time zone for it in athena's department list)`)
    if (reasons.length > 0) {
      this.store.hold({ practiceId, runId: env.runId, line: row.line, appointmentId: apptId, reasons, row: row.values, at: this.ctx.clock.now() })
      return report('held', `Held: ${reasons.join('; ')}.`, { appointmentId: apptId })
    }
    if (!result.ok || !apptId) {
      const msg = result.errors.map((e) => `${e.target}: ${e.message}`).join('; ') || 'AppointmentID is empty'
      return report('rejected', msg, { appointmentId: apptId })
    }
    const theirs: Fields = {}
    for (const f of APPT_SYNC_FIELDS) if (f in out) theirs[f] = out[f] ?? null
    const zone = env.zone(deptId) ?? null
    const lookup = (id: string): StoredRecord | null => this.ctx.records.findByExternalId(practiceId, 'appointment', sys, id)
    let rec = lookup(apptId)
    let moved = false
    const from = str(out.rescheduled_from)
    if (env.movedAway.has(apptId) || (rec && str(rec.data.external_id) !== apptId && str(rec.data.rescheduled_from) === apptId)) {
      // The old id of an appointment that was moved: its cancellation is the move (applied by the new id's row), not a loss.
      return report('unchanged', `Rescheduled: replaced by ${rec ? str(rec.data.external_id) : 'a row of this file'}; the move is applied by that row.`, { appointmentId: apptId, recordId: rec?.id ?? null })
    }
    if (!rec && from) {
      rec = lookup(from)
      moved = rec !== null
    }
    const now = this.ctx.clock.now()
    if (!rec) {
      const data = { ...theirs, external_id: apptId, time_zone: zone, ...(from ? { rescheduled_from: from } : {}) }
      const up = this.ctx.records.upsert({ practiceId, kind: 'appointment', ids: [{ system: sys, value: apptId }], data, patientRef, txId: env.txId })
      this.store.setBase(practiceId, sys, up.id, theirs, env.runId)
      return this.checkBooking(env, up.id, apptId, data, report('created', from ? `Created (rescheduled from ${from}, which is not known here).` : 'Created.', { appointmentId: apptId, recordId: up.id }), report)
    }
    const ours = rec.data as Fields
    const base = this.store.base(practiceId, sys, rec.id)
    const d = reconcile(theirs, ours, base, settings.fieldOwners)
    const changes: Record<string, unknown> = { ...d.changes }
    if (zone && rec.data.time_zone !== zone) changes.time_zone = zone
    if (moved) Object.assign(changes, { external_id: apptId, rescheduled_from: from })
    if (Object.keys(changes).length > 0) {
      this.ctx.records.upsert({ practiceId, kind: 'appointment', ids: [{ system: sys, value: apptId }, { system: sys, value: str(rec.data.external_id) || apptId }], data: changes, patientRef: moved ? patientRef : null, txId: env.txId })
    }
    if (!base || !APPT_SYNC_FIELDS.every((f) => same(base[f], theirs[f]))) this.store.setBase(practiceId, sys, rec.id, theirs, env.runId)
    const review = d.fired.find((f) => f.rule === 'both_changed' || f.rule === 'final_status')
    if (review) this.store.addConflict({ practiceId, runId: env.runId, line: row.line, recordId: rec.id, appointmentId: apptId, rule: review.rule, fields: d.review, ours, theirs, at: now })
    const fields = Object.keys(d.changes)
    const after = { ...rec.data, ...changes }
    let outcome: RowOutcome
    if (d.fired.length > 0) {
      const rule = d.fired.map((f) => f.rule).join(',')
      const words = d.fired.map((f) => `${f.fields.join(', ')}: ${CONFLICT_RULE_WORDS[f.rule]}`).join(' ')
      outcome = report('conflict', `${words}${fields.length ? ` Applied: ${fields.join(', ')}.` : ''}${review ? ' In the conflicts queue.' : ''}`, { appointmentId: apptId, recordId: rec.id, rule, fields: d.fired.flatMap((f) => f.fields) })
    } else if (moved) {
      outcome = report('rescheduled', `Rescheduled from ${from}: the same appointment moved${fields.length ? ` (${fields.join(', ')})` : ''}.`, { appointmentId: apptId, recordId: rec.id, fields })
    } else if (fields.length > 0) {
      outcome = report('applied', `Updated ${fields.join(', ')}.`, { appointmentId: apptId, recordId: rec.id, fields })
    } else {
      return 'unchanged'
    }
    const timeChanged = ['start_time', 'end_time', 'provider_id', 'location_id', 'status'].some((f) => f in changes)
    return timeChanged ? this.checkBooking(env, rec.id, apptId, after, outcome, report) : outcome
  }

  /** Books the slot in the index; an overlap is reported (the appointment stays, as the file says). */
  private checkBooking(env: RunEnv, recordId: number, apptId: string, data: Record<string, unknown>, outcome: RowOutcome, report: (o: RowOutcome, m: string, e: { appointmentId?: string | null; recordId?: number | null; rule?: string | null }) => RowOutcome): RowOutcome {
    const slot = slotOf(recordId, data)
    if (!slot) return outcome
    const clash = env.index.overlaps(slot)
    env.index.put(slot)
    if (clash.length === 0 || outcome === 'conflict') return outcome
    const who = env.settings.doubleBooking.scope === 'provider' ? `provider ${slot.provider}` : `provider ${slot.provider} in department ${slot.department}`
    return report('double_booking', `Double-booked: ${who} already has ${clash.map((c) => c.appointmentId || `#${c.recordId}`).join(', ')} at ${DateTime.fromMillis(slot.start, { zone: 'utc' }).toISO()}. The appointment was ${outcome === 'created' ? 'created' : 'updated'} as the file says.`, { appointmentId: apptId, recordId, rule: 'double_booking' })
  }

  /** Take theirs / keep ours / edit: resolves one conflict; the base moves to what was decided. Audited. */
  resolve(practiceId: string, id: number, resolution: 'theirs' | 'ours' | 'edit', values: Record<string, unknown> | undefined, actor: string): ApptConflict {
    const c = this.store.conflict(practiceId, id)
    if (!c) throw new AppError('not_found', `Conflict ${id} does not exist in this practice.`)
    if (c.status !== 'open') throw new AppError('conflict', `Conflict ${id} was already resolved (${c.resolution}).`, { retryable: false })
    const fields = c.fields.map((f) => f.field)
    let apply: Record<string, unknown> = {}
    if (resolution === 'theirs') apply = Object.fromEntries(c.fields.map((f) => [f.field, f.theirs]))
    if (resolution === 'edit') {
      const bad = Object.keys(values ?? {}).filter((k) => !fields.includes(k))
      if (!values || bad.length > 0) throw new AppError('invalid_input', `An edit sets only the conflicting fields (${fields.join(', ')}).`, { details: { issues: bad.map((k) => ({ path: `values.${k}`, message: 'not a conflicting field' })) } })
      apply = values
    }
    this.ctx.db.transaction(() => {
      if (Object.keys(apply).length > 0) this.ctx.records.upsert({ practiceId, kind: 'appointment', ids: [{ system: this.settings(practiceId).idSystem, value: c.appointmentId }], data: apply })
      this.store.resolveConflict(id, resolution, actor, this.ctx.clock.now())
    })()
    this.ctx.audit.append({ actor, action: 'appointments.resolveConflict', practiceId, targetType: 'appointment', targetId: String(c.recordId), outcome: 'ok', details: { conflictId: id, resolution, fields } })
    return this.store.conflict(practiceId, id) as ApptConflict
  }

  /** Held rows again (after a reference sync added the missing patients, providers or departments): as a new file. */
  async retryHeld(practiceId: string, actor: string): Promise<{ txId: number | null; rows: number }> {
    const held = this.store.heldRows(practiceId)
    if (held.length === 0) return { txId: null, rows: 0 }
    const content = Buffer.from(held.map((h) => JSON.stringify(h.row)).join('\n') + '\n')
    this.ctx.db.transaction(() => held.forEach((h) => this.store.release(h.id)))()
    const r = await this.submit(practiceId, `held-rows-${this.ctx.clock.now()}.ndjson`, content, 'retry held rows', actor)
    return { txId: r.txId, rows: held.length }
  }

  /** Stored appointments starting in [from, to] (dates in the practice zone) as a schedule file. Audited. */
  export(practiceId: string, from: string, to: string, format: 'csv' | 'json', actor: string, trigger = 'on demand'): { fileName: string; content: string; rows: number; runId: number } {
    const p = this.ctx.practices.get(practiceId)
    const sys = this.settings(practiceId).idSystem
    const lo = DateTime.fromISO(from, { zone: p.timeZone }).startOf('day').toMillis()
    const hi = DateTime.fromISO(to, { zone: p.timeZone }).endOf('day').toMillis()
    const set = this.ctx.mappings.effective(practiceId, APPOINTMENT_OUT_SET).set
    const mctx: MappingContext = { practiceId, defaultTimeZone: p.timeZone, now: () => this.ctx.clock.now() }
    const rows: Record<string, unknown>[] = []
    for (let after = 0; ; ) {
      const page = this.ctx.records.list(practiceId, 'appointment', after, 1000)
      if (page.length === 0) break
      after = page[page.length - 1]?.id ?? after
      for (const r of page) {
        const t = Date.parse(String(r.data.start_time ?? ''))
        if (!(t >= lo && t <= hi)) continue
        const id = r.externalIds.find((x) => x.system === sys && x.value === r.data.external_id)?.value ?? r.externalIds.find((x) => x.system === sys)?.value
        if (!id) continue
        const res = evaluateMapping(set, jsonAccessor({ ...r.data, external_id: id }), mctx)
        if (res.ok) rows.push(res.output)
      }
    }
    const columns = set.fields.map((f) => f.target)
    const content = format === 'csv' ? toCsv(columns, rows.map((r) => columns.map((c) => r[c] ?? ''))) : JSON.stringify(rows, null, 1)
    const fileName = `${practiceId}-appointments-${from}-${to}.${format}`
    const run = this.store.createRun({ practiceId, txId: null, direction: 'export', fileName, format, trigger, total: rows.length, at: this.ctx.clock.now(), by: actor, status: 'running' })
    this.store.advance(run.id, rows.length, { exported: rows.length })
    this.store.finishRun(run.id, 'done', this.ctx.clock.now())
    this.ctx.audit.append({ actor, action: 'appointments.export', practiceId, targetType: 'appointment_batch', targetId: String(run.id), outcome: 'ok', details: { from, to, format, rows: rows.length } })
    return { fileName, content, rows: rows.length, runId: run.id }
  }
}

function movedAway(set: { fields: Array<{ target: string; source?: string | string[] }> }, rows: FileRow[]): Set<string> {
  const field = set.fields.find((f) => f.target === 'rescheduled_from')
  const source = field ? (Array.isArray(field.source) ? field.source[0] : field.source) : undefined
  const out = new Set<string>()
  if (!source) return out
  for (const r of rows) {
    const v = csvRowAccessor(r.values).get(source)
    if (typeof v === 'string' && v.trim() !== '') out.add(v.trim())
  }
  return out
}

function slotOf(recordId: number, d: Record<string, unknown>): Slot | null {
  const start = Date.parse(String(d.start_time ?? ''))
  const endRaw = Date.parse(String(d.end_time ?? ''))
  const end = Number.isFinite(endRaw) ? endRaw : start + Number(d.duration_minutes ?? 0) * 60_000
  if (!Number.isFinite(start) || !Number.isFinite(end)) return null
  return { recordId, appointmentId: String(d.external_id ?? ''), provider: String(d.provider_id ?? ''), department: String(d.location_id ?? ''), start, end, type: String(d.appointment_type ?? ''), status: String(d.status ?? '') }
}
