/** The `billing.*` contract methods (shared/api/billing.ts). */
import { withinScope } from '../../../access/call-scope'
import { AppError } from '../../../../../shared/errors'
import type { Handlers } from '../../../api/dispatcher'
import type { EngineContext } from '../../../core/engine-context'
import { billingRuntime } from './runtime'

type BillingMethods = Extract<keyof Handlers, `billing.${string}`>

export function billingHandlers(ctx: EngineContext): Pick<Handlers, BillingMethods> {
  const svc = () => {
    const r = billingRuntime.find(ctx)
    if (!r) throw new AppError('not_found', 'Billing file exchange is not installed in this engine.')
    return r
  }
  return {
    'billing.settings': ({ practiceId }) => ctx.practices.get(practiceId).settings.claims ?? null,
    'billing.saveSettings': ({ practiceId, settings }, c) => {
      ctx.practices.update({ id: practiceId, settings: { claims: settings } }, c.actor)
      return settings
    },
    'billing.previewClaims': ({ practiceId, from, to }) =>
      svc()
        .preview(practiceId, from, to)
        .map((p) => ({ patientRef: p.draft.patientRef, serviceDate: p.draft.lines[0]?.serviceDate ?? '', totalCents: p.draft.totalCents, lineCount: p.draft.lines.length, payerId: p.draft.payer.id, issues: p.issues })),
    'billing.generateClaims': ({ practiceId, format, from, to }, c) => svc().generate(practiceId, { format, from, to }, c.actor),
    'billing.resubmitClaim': ({ practiceId, claimId, frequency }, c) => svc().resubmit(practiceId, claimId, frequency, c.actor),
    'billing.claims': (q, c) => svc().store.claims({ ...q, practiceIds: withinScope(q.practiceIds, c.scope) }),
    'billing.claimFiles': ({ practiceId, limit }) => svc().store.files(practiceId, limit),
    'billing.claimFileContent': ({ practiceId, id }, c) => {
      const f = svc().store.file(practiceId, id)
      if (!f) throw new AppError('not_found', `Claim file ${id} does not exist in this practice.`)
      ctx.audit.append({ actor: c.actor, action: 'billing.claimFileContent', practiceId, targetType: 'claim_file', targetId: String(id), outcome: 'ok', details: { fileName: f.fileName, claims: f.claimCount } })
      return { fileName: f.fileName, content: f.content }
    },
    'billing.importRemittance': ({ practiceId, fileName, content }, c) => svc().importRemittance(practiceId, fileName, Buffer.from(content, 'latin1'), c.actor),
    'billing.importDeposits': ({ practiceId, fileName, content }, c) => svc().importDeposits(practiceId, fileName, content, c.actor),
    'billing.remittances': ({ practiceId, from, to, limit }) => svc().store.remittances({ practiceId, from, to, limit }),
    'billing.remittanceClaims': ({ practiceId, remittanceId }) => svc().remitClaimsOf(practiceId, remittanceId),
    'billing.deposits': ({ practiceId, from, to }) => svc().store.deposits({ practiceId, from, to }),
    'billing.reconciliation': ({ practiceId, from, to }) => svc().reconciliation(practiceId, from, to),
    'billing.exportReconciliation': ({ practiceId, from, to }, c) => {
      const s = svc()
      const content = s.reconciliationCsv(s.reconciliation(practiceId, from, to))
      ctx.audit.append({ actor: c.actor, action: 'billing.exportReconciliation', practiceId, targetType: 'reconciliation', targetId: `${from}..${to}`, outcome: 'ok', details: { bytes: content.length } })
      return { fileName: `${practiceId}-reconciliation-${from}-${to}.csv`, content }
    },
  }
}
