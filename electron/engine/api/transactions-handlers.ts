import { AppError } from '../../../shared/errors'
import type { TxDetail, TxSummary } from '../../../shared/api/transactions'
import { can } from '../access/principal'
import type { EngineContext } from '../core/engine-context'
import { payloadPrunedError, toSummary } from '../pipeline/transactions-repo'
import type { CallContext, Handlers } from './dispatcher'

/**
 * MRN and patient id identify a patient (HIPAA identifiers): without view PHI on the row's
 * practice a summary shows only that they are set.
 */
export function maskSummary<T extends TxSummary>(s: T, c: CallContext): T {
  if (can(c.principal, 'msg.view_phi', s.practiceId)) return s
  return { ...s, mrn: s.mrn === null ? null : MASK, patientId: s.patientId === null ? null : MASK }
}
const maskKeys = <T extends { items: TxSummary[] }>(page: T, c: CallContext): T => ({ ...page, items: page.items.map((s) => maskSummary(s, c)) })
export const MASK = '•••'

type TxMethods =
  | 'transactions.list'
  | 'transactions.get'
  | 'transactions.payload'
  | 'transactions.reprocess'
  | 'transactions.editAndReprocess'
  | 'transactions.discard'
  | 'transactions.counts'

export function transactionsHandlers(ctx: EngineContext): Pick<Handlers, TxMethods> {
  const row = (id: number) => {
    const r = ctx.txRepo.get(id)
    if (!r) throw new AppError('not_found', `Transaction ${id} does not exist.`)
    return r
  }
  return {
    'transactions.list': (input, c) => maskKeys(ctx.txRepo.list({ ...input, practiceIds: c.scope }), c),
    'transactions.get': ({ id }, c) => {
      const r = row(id)
      // A payload retention removed has no raw or current stage (not an empty one).
      const stages: TxDetail['stages'] = r.raw_pruned_at === null ? ['raw'] : []
      if (r.payload_version > 0 && r.raw_pruned_at === null) stages.push('current')
      const parsed = ctx.pipeline.parsedStageKind(r)
      if (parsed) stages.push('parsed')
      if (r.mapped) stages.push('mapped')
      if (r.outbound) stages.push('outbound')
      if (r.response) stages.push('response')
      return {
        ...maskSummary(toSummary(r), c),
        peer: r.peer,
        contentType: r.content_type,
        rawSha256: r.raw_sha256,
        rawBytes: r.raw.length,
        payloadVersion: r.payload_version,
        payloadVersions: ctx.txRepo.payloadVersions(id),
        filteredBy: r.filtered_by,
        discardReason: r.discard_reason,
        errorGroup: r.error_group,
        triageNote: r.triage_note,
        nextAttemptAt: r.next_attempt_at,
        steps: ctx.txRepo.steps(id),
        stages,
        ...(parsed === 'derived' ? { derivedStages: ['parsed' as const] } : {}),
        rawPruned: r.raw_pruned_at === null ? null : { at: r.raw_pruned_at, days: r.raw_pruned_days, scope: r.raw_pruned_scope },
      }
    },
    'transactions.payload': ({ id, stage }, c) => {
      const r = row(id)
      const pruned = (stage === 'raw' || stage === 'current') && payloadPrunedError(r)
      if (pruned) throw pruned
      const text = ((): string | null => {
        switch (stage) {
          case 'raw':
            return r.raw.toString('utf8')
          case 'current':
            return ctx.txRepo.currentPayload(r).toString('utf8')
          case 'parsed':
            return ctx.pipeline.parsedStage(r)?.text ?? null
          case 'mapped':
            return r.mapped
          case 'outbound':
            return r.outbound
          case 'response':
            return r.response
        }
      })()
      ctx.audit.append({ actor: c.actor, action: 'transaction.view_payload', practiceId: r.practice_id, targetType: 'transaction', targetId: String(id), details: { stage } })
      return { stage, contentType: stage === 'raw' || stage === 'current' ? r.content_type : stage === 'response' ? 'text' : 'json', text }
    },
    'transactions.reprocess': ({ ids }, c) => ctx.pipeline.reprocess(ids, c.actor),
    'transactions.editAndReprocess': ({ id, raw, reason }, c) => ctx.pipeline.editAndReprocess(id, Buffer.from(raw, 'utf8'), reason, c.actor),
    'transactions.discard': ({ ids, reason }, c) => ctx.pipeline.discard(ids, reason, c.actor),
    'transactions.counts': ({ practiceId }, c) => {
      const counts = ctx.txRepo.counts(practiceId, c.scope)
      return { received: 0, queued: 0, processing: 0, done: 0, filtered: 0, error: 0, discarded: 0, ...counts }
    },
  }
}
