/** `patients.links` / `patients.undoLink`: the pairs merge messages named (records/patient-links.ts). */
import { AppError } from '../../../shared/errors'
import { withinScope } from '../access/call-scope'
import type { EngineContext } from '../core/engine-context'
import type { Handlers } from './dispatcher'

export function patientLinksHandlers(ctx: EngineContext): Pick<Handlers, 'patients.links' | 'patients.undoLink'> {
  return {
    'patients.links': (q, c) => ctx.patientLinks.list({ ...q, practiceIds: withinScope(undefined, c.scope) }),
    'patients.undoLink': ({ practiceId, id }, c) => {
      const link = ctx.patientLinks.get(id)
      if (!link || link.practiceId !== practiceId) throw new AppError('not_found', `Patient link ${id} does not exist in practice "${practiceId}".`)
      const undone = ctx.patientLinks.undo(id, c.actor)
      ctx.audit.append({
        actor: c.actor,
        action: 'patient_link.undo',
        practiceId,
        targetType: 'patient_link',
        targetId: String(id),
        details: { survivorId: link.survivorId, priorId: link.priorId, records: link.moved?.records.length ?? 0, externalIds: link.moved?.externalIds.length ?? 0 },
      })
      return undone
    },
  }
}
