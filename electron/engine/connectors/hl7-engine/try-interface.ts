/**
 * An inbound interface's decisions on one message, without storing it: the type check the
 * listener makes at the door (inbound-receiver.ts; refused only under `unsupportedTypes: reject`)
 * and the filter rules the handler applies (filters.ts), then the handler's own type check. The console uses it to try rules on a pasted message before saving them.
 */
import type { Hl7FilterRule } from '../../../../shared/config'
import type { Hl7TryInterfaceResult } from '../../../../shared/api/hl7'
import { parseHl7 } from '../hl7'
import { evaluateFilters, ruleMatches } from './filters'
import { interfaceAccepts, SUPPORTED_SUMMARY, supportedType, TYPE_NOT_PROCESSED } from './message-types'

export function tryInterface(config: { messageTypes: readonly string[]; filters: readonly Hl7FilterRule[]; unsupportedTypes?: 'ignore' | 'reject' }, text: string): Hl7TryInterfaceResult {
  // Pasted text often has LF or CRLF line ends; the parser takes any of them.
  const msg = parseHl7(text.replace(/^\s+/, ''))
  const base = { messageType: msg.messageType, controlId: msg.controlId, processingId: msg.processingId ?? null }
  const rules = config.filters.map((r) => ({ name: r.name, action: r.action, matches: ruleMatches(r, msg) }))
  const why = !supportedType(msg.code, msg.trigger)
    ? `${msg.messageType} is not a type the engine processes (${SUPPORTED_SUMMARY})`
    : !interfaceAccepts(config.messageTypes, msg.code, msg.trigger)
      ? `${msg.messageType} is not in this interface's message types (${config.messageTypes.join(', ')})`
      : null
  if (why && (config.unsupportedTypes === 'reject' || msg.code.trim() === '')) return { ...base, outcome: 'refused', rule: null, reason: `${why}; answered AR.`, rules }
  const d = evaluateFilters(config.filters, msg)
  if (d.accept && why) return { ...base, outcome: 'filtered', rule: TYPE_NOT_PROCESSED, reason: `${why}; acknowledged (AA) and stored as filtered, not processed.`, rules }
  if (!d.accept) return { ...base, outcome: 'filtered', rule: d.rule, reason: `${d.reason ?? d.rule}; acknowledged and stored as filtered, not processed.`, rules }
  const by = rules.find((r) => r.matches)
  return { ...base, outcome: 'accepted', rule: null, reason: by ? `rule "${by.name}" accepts it; processed.` : 'no rule applies; processed.', rules }
}
