/** The `matching.*` contract methods (shared/api/matching.ts). */
import { AppError } from '../../../shared/errors'
import type { Handlers } from '../api/dispatcher'
import type { EngineContext } from '../core/engine-context'
import { patientMatching } from '.'
import { withinScope } from '../access/call-scope'

type MatchingMethods = 'matching.worklist' | 'matching.pair' | 'matching.resolve' | 'matching.undo' | 'matching.exportCsv'

export function matchingHandlers(ctx: EngineContext): Pick<Handlers, MatchingMethods> {
  const wl = () => patientMatching(ctx).worklist
  const side = (id: number) => {
    const r = ctx.records.get(id)
    return r ? { id: r.id, data: r.data, externalIds: r.externalIds, version: r.version } : null
  }
  return {
    'matching.worklist': (input, c) => {
      const list = wl().list({ ...input, practiceIds: withinScope(input.practiceIds, c.scope) })
      if (input.practiceId) ctx.audit.append({ actor: c.actor, action: 'matching.worklist.view', practiceId: input.practiceId, targetType: 'practice', targetId: input.practiceId, details: { rows: list.length } })
      return list
    },
    'matching.pair': ({ practiceId, id }, c) => {
      const pair = wl().get(id)
      if (pair.practiceId !== practiceId) throw new AppError('not_found', `There is no potential duplicate ${id} in practice "${practiceId}".`, { retryable: false })
      ctx.audit.append({ actor: c.actor, action: 'matching.pair.view', practiceId, targetType: 'duplicate_pair', targetId: String(id), details: { records: [pair.recordA, pair.recordB] } })
      return { pair, a: side(pair.recordA), b: side(pair.recordB) }
    },
    'matching.resolve': ({ practiceId, id, action, survivor }, c) => wl().resolve(practiceId, id, action, c.actor, survivor),
    'matching.undo': ({ practiceId, id }, c) => wl().undo(practiceId, id, c.actor),
    'matching.exportCsv': ({ practiceId }, c) => {
      const r = wl().exportCsv(practiceId)
      ctx.audit.append({ actor: c.actor, action: 'matching.worklist.export', practiceId, targetType: 'practice', targetId: practiceId, details: { rows: r.rows } })
      return { fileName: `${practiceId}-potential-duplicates.csv`, ...r }
    },
  }
}
