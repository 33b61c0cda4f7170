/**
 * Delivery of outbound SIU transactions (pipeline handler `hl7`/`out`, one lane per destination):
 * map the stored appointment change through hl7.siu.appointment.out (and the patient through
 * hl7.siu.patient.out), build the SIU, send it over the destination's MLLP sender and wait for
 * the ACK whose MSA-2 is the control id sent. AE is a retryable error and AR a final one, both
 * with the peer's text; timeouts close the socket; retries back off per the destination's
 * settings and end in the error queue after `maxAttempts`, so one bad message never blocks the
 * destination for good.
 */
import { AppError, isAppError } from '../../../../../shared/errors'
import type { EngineContext } from '../../../core/engine-context'
import { evaluateMapping, jsonAccessor } from '../../../mapping'
import type { ConnectorHandler } from '../../../pipeline/connector-handler'
import { encodeHl7Text, type ParsedAck } from '../../hl7'
import type { Hl7Interfaces, OutboundDestination } from '../interfaces'
import { mappingFailure, type Evaluation } from '../mapping-run'
import { MAPPING_KEYS } from '../message-types'
import type { DestinationSenders } from './destinations'
import type { OutboundChange } from './outbound-service'
import { buildSiu } from './siu-builder'

interface ParsedOut {
  change: OutboundChange
  dest: OutboundDestination
}

interface MappedOut {
  text: string
  controlId: string
  dest: OutboundDestination
}

/** The peer's own words from an ACK: MSA-3, else the first ERR's user message or code text. */
export function peerText(ack: ParsedAck | undefined): string {
  if (!ack) return ''
  const e = ack.errors[0]
  const t = ack.text ?? e?.userMessage ?? e?.diagnostic ?? e?.codeText ?? (e?.code ? `error ${e.code}` : '')
  return t.length > 300 ? `${t.slice(0, 300)}…` : t
}

export function createOutboundHandler(ctx: EngineContext, interfaces: Hl7Interfaces, senders: DestinationSenders): ConnectorHandler<ParsedOut, MappedOut> {
  const destination = (practiceId: string, name: string): OutboundDestination => {
    const d = interfaces.outbound(practiceId, name)
    if (!d) throw new AppError('not_found', `The HL7 destination "${name}" no longer exists; discard the transaction or recreate the destination and reprocess it.`, { retryable: false })
    // The lane holds a disabled destination's rows (held() below); this is a disable that raced a send.
    if (!d.enabled) throw new AppError('conflict', `The HL7 destination "${name}" was disabled while this message was being sent; enable it and reprocess the transaction.`, { retryable: false })
    return d
  }

  return {
    connector: 'hl7',
    direction: 'out',
    lanes: 'channel',
    // A disabled destination is paused: its queue waits, in order, and goes on when it is enabled.
    // While the engine stops, no new message starts (the one in flight gets its ACK, see closeAll()).
    held: (practiceId, name) => (senders.closing ? 'engine stopping' : name !== null && interfaces.outbound(practiceId, name)?.enabled === false ? 'destination disabled' : null),
    maxAttempts: 10,
    backoff: { baseMs: 1000, capMs: 5 * 60_000 },

    retryPolicy(tx) {
      const d = interfaces.outbound(tx.practice_id, tx.channel)
      if (!d) return undefined
      return { maxAttempts: d.config.maxAttempts, backoff: { baseMs: d.config.backoffBaseMs, capMs: d.config.backoffCapMs } }
    },

    parse(pctx) {
      let change: OutboundChange
      try {
        change = JSON.parse(pctx.payload.toString('utf8')) as OutboundChange
      } catch {
        throw new AppError('parse_error', 'The outbound transaction is not a readable appointment change.', { retryable: false })
      }
      if (!change || typeof change !== 'object' || !change.appointment || !change.event || !change.controlId) {
        throw new AppError('parse_error', 'The outbound transaction lacks its appointment, event or control id.', { retryable: false })
      }
      // An edited payload is a new message: give it its own control id so the peer does not drop it as a duplicate.
      if (pctx.tx.payload_version > 0) change.controlId = `${change.controlId}-${pctx.tx.payload_version}`
      const dest = destination(pctx.tx.practice_id, pctx.tx.channel)
      pctx.setKeys({ controlId: change.controlId, messageType: `SIU^${change.event}` })
      pctx.setParsed({ event: change.event, op: change.op, changeId: change.changeId, appointmentRecordId: change.recordId, patientRecordId: change.patientRecordId, appointment: change.appointment, patient: change.patient })
      return { change, dest }
    },

    map({ change, dest }, pctx) {
      const practiceId = pctx.tx.practice_id
      const practice = ctx.practices.find(practiceId)
      const mctx = { practiceId, defaultTimeZone: practice?.timeZone ?? 'America/New_York', now: () => ctx.clock.now() }
      const evals: Evaluation[] = []
      const run = (key: string, input: Record<string, unknown>): Record<string, unknown> => {
        const eff = ctx.mappings.effective(practiceId, key)
        const result = evaluateMapping(eff.set, jsonAccessor(input), mctx)
        ctx.mappings.recordMisses(practiceId, key, result.codeMisses, pctx)
        evals.push({ result, set: eff.set, key, version: eff.version })
        return result.output
      }
      const fields = { ...run(MAPPING_KEYS.appointmentOut, change.appointment) }
      if (change.patient) Object.assign(fields, run(MAPPING_KEYS.patientOut, change.patient))
      const failure = mappingFailure(evals.filter((e) => !e.result.ok))
      if (failure) throw failure
      const text = buildSiu({
        event: change.event,
        controlId: change.controlId,
        at: change.at,
        timeZone: mctx.defaultTimeZone,
        header: dest.config,
        placerId: String(change.recordId),
        fields,
      })
      pctx.setMapped(fields)
      pctx.setOutbound(text)
      return { text, controlId: change.controlId, dest }
    },

    async apply({ text, controlId, dest }, pctx) {
      const sender = senders.get(dest)
      const peer = `${dest.config.host}:${dest.config.port}`
      try {
        const ack = await sender.send(encodeHl7Text(text, 'UNICODE UTF-8'), controlId)
        if (ack.raw) pctx.setResponse(ack.raw)
        pctx.logger.info('delivered', { destination: dest.name, controlId, ackCode: ack.code })
      } catch (e) {
        if (isAppError(e) && (e.code === 'ack_error' || e.code === 'ack_reject')) {
          const ack = (e.details as { ack?: ParsedAck } | undefined)?.ack
          if (ack?.raw) pctx.setResponse(ack.raw)
          const text = peerText(ack)
          throw new AppError(e.code, `${peer} answered ${ack?.code ?? (e.code === 'ack_reject' ? 'AR' : 'AE')}${text ? `: ${text}` : ''}`, {
            retryable: e.code === 'ack_error',
            details: { peer, ackCode: ack?.code, errors: ack?.errors ?? [] },
          })
        }
        throw e
      }
    },
  }
}
