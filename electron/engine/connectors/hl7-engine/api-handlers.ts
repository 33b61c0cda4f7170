/** The `hl7.*` contract methods (shared/api/hl7.ts). */
import { AppError, isAppError } from '../../../../shared/errors'
import type { Handlers } from '../../api/dispatcher'
import type { EngineContext } from '../../core/engine-context'
import { sendTest } from './connectivity'
import { SUPPORTED_TYPES, MAPPING_KEYS } from './message-types'
import { tryInterface } from './try-interface'
import { hl7Runtime, type Hl7Runtime } from './runtime'

type Hl7Methods = 'hl7.listeners' | 'hl7.destinations' | 'hl7.sendTest' | 'hl7.tryInterface' | 'hl7.supportedTypes'

const SET_OF = { adt: MAPPING_KEYS.patient, siu: MAPPING_KEYS.appointment, oru: MAPPING_KEYS.observation, dft: MAPPING_KEYS.financial, mdm: MAPPING_KEYS.document } as const

export function hl7Handlers(ctx: EngineContext): Pick<Handlers, Hl7Methods> {
  const rt = (): Hl7Runtime => {
    const r = hl7Runtime(ctx)
    if (!r) throw new AppError('not_found', 'The HL7 engine is not installed in this engine.')
    return r
  }
  return {
    'hl7.listeners': ({ practiceId }, c) => rt().listeners.details(practiceId).filter((l) => c.scope === null || c.scope.includes(l.practiceId)),
    'hl7.destinations': ({ practiceId }, c) => {
      const r = rt()
      return r.interfaces.allOutbound(practiceId).filter((d) => c.scope === null || c.scope.includes(d.practiceId)).map((d) => ({
        connectionId: d.id,
        practiceId: d.practiceId,
        name: d.name,
        host: d.config.host,
        port: d.config.port,
        tls: d.config.tls.enabled,
        enabled: d.enabled,
        connected: r.outbound.senders.connected(d.id),
        pending: r.outbound.pending(d.practiceId, d.name),
        lastChangeId: r.outbound.lastChangeId(d.practiceId, d.id),
      }))
    },
    'hl7.sendTest': async ({ id, messageType }, c) => {
      const conn = ctx.connections.get(id)
      if (conn.kind !== 'hl7-outbound') throw new AppError('invalid_input', `Connection "${conn.name}" is not an HL7 destination.`, { details: { issues: [{ path: 'id', message: 'not an hl7-outbound connection' }] } })
      const dest = rt().interfaces.outboundOf(conn)
      const result = await sendTest(ctx, dest, messageType, ctx.logger.child({ component: 'hl7-send-test' }))
      ctx.audit.append({ actor: c.actor, action: 'hl7.sendTest', practiceId: conn.practiceId, targetType: 'connection', targetId: conn.id, outcome: result.ok ? 'ok' : 'error', details: { messageType, controlId: result.controlId, ackCode: result.ack?.code ?? null } })
      return result
    },
    'hl7.tryInterface': ({ messageTypes, filters, unsupportedTypes, message }, c) => {
      // A pasted message is PHI even though nothing is stored: the trail says who looked at one and what came of it (never its content).
      try {
        const r = tryInterface({ messageTypes, filters, unsupportedTypes }, message)
        ctx.audit.append({ actor: c.actor, action: 'hl7.tryInterface', targetType: 'message', outcome: 'ok', details: { messageType: r.messageType, outcome: r.outcome, rule: r.rule, bytes: message.length } })
        return r
      } catch (e) {
        ctx.audit.append({ actor: c.actor, action: 'hl7.tryInterface', targetType: 'message', outcome: 'error', details: { code: isAppError(e) ? e.code : 'internal', bytes: message.length } })
        throw e
      }
    },
    'hl7.supportedTypes': () => SUPPORTED_TYPES.map((t) => ({ messageType: `${t.code}^${t.trigger}`, action: t.action, record: t.record, mappingSet: SET_OF[t.route] })),
  }
}
