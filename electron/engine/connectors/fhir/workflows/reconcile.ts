/**
 * Never rely on push alone (reference fhir.md §4 lesson 1, §2.6.4): a reconciliation re-reads the
 * practice's known patients (Patient `_id` batches) and their Encounters changed since the last
 * reconciliation (with an hour of overlap for clock skew between athena's stores), and asks the
 * athenaNet connector for an incremental appointment sync (the changed-data feed) when the
 * practice has one. Unchanged resources land on their existing transactions (same version and
 * content), so only what push missed becomes new work. Runs on a schedule, after a receiver gap
 * longer than athena's retry window, and on request.
 */
import { AppError, toErrorData } from '../../../../../shared/errors'
import type { EngineContext } from '../../../core/engine-context'
import type { StoredConnection } from '../../../practices/connections-repo'
import { findAthenaState } from '../../athena/state'
import type { FhirRuntime } from '../runtime'
import type { FhirRepo } from '../store/fhir-repo'
import { clinicalSince, panelPatients, pullSearch } from './pull'

export interface ReconcileResult {
  at: number
  why: 'schedule' | 'gap' | 'manual'
  patients: number
  stored: number
  duplicates: number
  appointmentSync: string | null
  error: { code: string; message: string } | null
  durationMs: number
}

export class Reconciler {
  private readonly running = new Map<string, Promise<ReconcileResult>>()

  constructor(
    private readonly ctx: EngineContext,
    private readonly rt: FhirRuntime,
    private readonly repo: FhirRepo,
  ) {}

  last(connectionId: string): ReconcileResult | null {
    return this.repo.state<ReconcileResult>(connectionId, 'reconcile.last')
  }

  due(conn: StoredConnection, intervalMinutes: number, now: number): boolean {
    if (this.running.has(conn.practiceId)) return false
    const last = this.last(conn.id)
    return last === null || now - last.at >= intervalMinutes * 60_000
  }

  run(practiceId: string, why: ReconcileResult['why']): Promise<ReconcileResult> {
    const cur = this.running.get(practiceId)
    if (cur) return cur
    const p = this.execute(practiceId, why).finally(() => this.running.delete(practiceId))
    this.running.set(practiceId, p)
    return p
  }

  private async execute(practiceId: string, why: ReconcileResult['why']): Promise<ReconcileResult> {
    const { ctx, rt, repo } = this
    const entry = rt.entry(practiceId)
    const conn = entry.connection.id
    const started = ctx.clock.now()
    const t0 = ctx.clock.monotonic()
    const prev = this.last(conn)
    const since = prev && !prev.error ? new Date(prev.at - 3_600_000).toISOString() : null
    const result: ReconcileResult = { at: started, why, patients: 0, stored: 0, duplicates: 0, appointmentSync: null, error: null, durationMs: 0 }
    try {
      const patients = panelPatients(ctx, repo, practiceId, entry.athenaPracticeId)
      result.patients = patients.length
      for (let i = 0; i < patients.length; i += 50) {
        const r = await pullSearch(ctx, rt, practiceId, 'Patient', [['_id', patients.slice(i, i + 50).join(',')]])
        result.stored += r.stored
        result.duplicates += r.duplicates
      }
      for (const p of patients) {
        const r = await clinicalSince(ctx, rt, practiceId, p, since, ['Encounter'])
        result.stored += r.stored
        result.duplicates += r.duplicates
      }
      const athena = findAthenaState(ctx)
      if (athena?.runtime.hasConnection(practiceId)) {
        try {
          const run = athena.sync.start({ practiceId, what: 'appointments', mode: 'incremental' })
          const final = await run.promise
          result.appointmentSync = `${final.status}: ${final.records} record(s)`
        } catch (e) {
          result.appointmentSync = e instanceof AppError && e.code === 'conflict' ? 'already running' : `failed: ${(e as AppError).code ?? 'error'}`
        }
      }
    } catch (e) {
      const err = toErrorData(e instanceof AppError ? e : new AppError('internal', 'reconciliation failed'))
      result.error = { code: err.code, message: err.message }
      ctx.logger.warn('FHIR reconciliation failed', { practiceId, code: err.code })
    }
    result.durationMs = Math.round(ctx.clock.monotonic() - t0)
    repo.setState(conn, 'reconcile.last', result, ctx.clock.now())
    return result
  }
}
