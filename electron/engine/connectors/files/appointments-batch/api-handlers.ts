/** The `appointments.*` batch methods (shared/api/appointment-batches.ts). */
import { withinScope } from '../../../access/call-scope'
import { APPT_SYNC_FIELDS, CONFLICT_RULE_WORDS, CONFLICT_RULES } from '../../../../../shared/appointment-batch'
import { AppError } from '../../../../../shared/errors'
import type { Handlers } from '../../../api/dispatcher'
import type { EngineContext } from '../../../core/engine-context'
import { toCsv } from '../billing/csv-out'
import { ownerOf } from './reconcile'
import { appointmentBatchRuntime } from './runtime'

type Methods = Extract<keyof Handlers, `appointments.${string}`>

export function appointmentBatchHandlers(ctx: EngineContext): Pick<Handlers, Methods> {
  const svc = () => {
    const r = appointmentBatchRuntime.find(ctx)
    if (!r) throw new AppError('not_found', 'Appointment batches are not installed in this engine.')
    return r
  }
  return {
    'appointments.batchSettings': ({ practiceId }) => {
      const settings = svc().settings(practiceId)
      return {
        settings,
        owners: APPT_SYNC_FIELDS.map((field) => ({ field, owner: ownerOf(settings.fieldOwners, field) })),
        rules: CONFLICT_RULES.map((rule) => ({ rule, words: CONFLICT_RULE_WORDS[rule] })),
      }
    },
    'appointments.saveBatchSettings': ({ practiceId, settings }, c) => {
      ctx.practices.update({ id: practiceId, settings: { appointmentBatch: settings } }, c.actor)
      return settings
    },
    'appointments.importFile': async ({ practiceId, fileName, content, wait }, c) => {
      const s = svc()
      const r = await s.submit(practiceId, fileName, Buffer.from(content, 'utf8'), 'on demand', c.actor)
      if (!wait) return { ...r, status: ctx.txRepo.statusOf(r.txId) ?? 'received', run: s.store.runByTx(r.txId), error: null }
      const o = await ctx.pipeline.outcome(r.txId)
      return { ...r, status: o.status, run: s.store.runByTx(r.txId), error: o.error?.message ?? null }
    },
    'appointments.runs': (q, c) => svc().store.runs({ ...q, practiceIds: withinScope(q.practiceIds, c.scope) }),
    'appointments.runRows': ({ practiceId, runId, outcome, afterLine, limit }) => {
      if (!svc().store.run(practiceId, runId)) throw new AppError('not_found', `Run ${runId} does not exist in this practice.`)
      return svc().store.rows(runId, outcome, afterLine, limit)
    },
    'appointments.runReportCsv': ({ practiceId, runId }, c) => {
      const s = svc()
      const run = s.store.run(practiceId, runId)
      if (!run) throw new AppError('not_found', `Run ${runId} does not exist in this practice.`)
      const rows = s.store.rows(runId, undefined, 0, 1_000_000)
      ctx.audit.append({ actor: c.actor, action: 'appointments.runReportCsv', practiceId, targetType: 'appointment_batch', targetId: String(runId), outcome: 'ok', details: { rows: rows.length } })
      const content = toCsv(['line', 'appointment_id', 'outcome', 'rule', 'message'], [
        ...Object.entries(run.counts).map(([k, n]) => ['', '', `total ${k}`, '', String(n)]),
        ...rows.map((r) => [r.line, r.appointmentId ?? '', r.outcome, r.rule ?? '', r.message]),
      ])
      return { fileName: `${run.fileName}.report.csv`, content }
    },
    'appointments.conflicts': (q, c) => svc().store.conflicts({ ...q, practiceIds: withinScope(q.practiceIds, c.scope) }),
    'appointments.conflict': ({ practiceId, id }) => {
      const s = svc()
      const conflict = s.store.conflict(practiceId, id)
      if (!conflict) throw new AppError('not_found', `Conflict ${id} does not exist in this practice.`)
      return { conflict, current: ctx.records.get(conflict.recordId)?.data ?? null }
    },
    'appointments.resolveConflict': ({ practiceId, id, resolution, values }, c) => svc().resolve(practiceId, id, resolution, values, c.actor),
    'appointments.held': ({ practiceId, limit }) => svc().store.held(practiceId, limit),
    'appointments.retryHeld': ({ practiceId }, c) => svc().retryHeld(practiceId, c.actor),
    'appointments.export': ({ practiceId, from, to, format }, c) => svc().export(practiceId, from, to, format, c.actor),
  }
}
