/**
 * Outbound SIU messages: the MSH from the destination's settings, a skeleton in SIU segment order
 * (SCH, NTE, PID, RGS, AIL, AIP), then the flat HL7-path output of the mapping sets written into
 * it (values are escaped with the message's delimiters). Segments nothing was written to are
 * dropped, except the ones the structure requires.
 */
import { DateTime } from 'luxon'
import type { Hl7OutboundConfig } from '../../../../../shared/config'
import { DEFAULT_DELIMITERS, encodeEscapes, formatHl7Timestamp, parseHl7 } from '../../hl7'

export type SiuEvent = 'S12' | 'S14' | 'S15'

export interface SiuInput {
  event: SiuEvent
  controlId: string
  /** Epoch ms written to MSH-7 (in `timeZone`, with its offset). */
  at: number
  timeZone: string
  header: Pick<Hl7OutboundConfig, 'sendingApplication' | 'sendingFacility' | 'receivingApplication' | 'receivingFacility' | 'version'>
  /** Processing id (MSH-11); P unless a test. */
  processingId?: 'P' | 'T' | 'D'
  /** SCH-1: the placer appointment id (Practice Studio's record id). */
  placerId: string
  /** HL7 path → value, from the mapping sets (later entries win). */
  fields: Record<string, unknown>
}

/** The offset of a zone at an instant, in minutes east of UTC (0 for an unknown zone). */
export function zoneOffsetMinutes(epochMs: number, zone: string): number {
  const dt = DateTime.fromMillis(epochMs, { zone })
  return dt.isValid ? dt.offset : 0
}

const ACTION: Record<SiuEvent, string> = { S12: 'A', S14: 'U', S15: 'D' }
const REQUIRED = new Set(['MSH', 'SCH', 'PID', 'RGS'])

export function buildSiu(input: SiuInput): string {
  const d = DEFAULT_DELIMITERS
  const e = (s: string): string => encodeEscapes(s, d)
  const h = input.header
  const msh = [
    'MSH',
    '^~\\&',
    e(h.sendingApplication),
    e(h.sendingFacility),
    e(h.receivingApplication),
    e(h.receivingFacility),
    formatHl7Timestamp(input.at, zoneOffsetMinutes(input.at, input.timeZone)),
    '',
    `SIU^${input.event}^SIU_${input.event}`,
    e(input.controlId),
    input.processingId ?? 'P',
    e(h.version),
  ].join('|')
  const action = ACTION[input.event]
  const skeleton = [msh, 'SCH', 'NTE|1', 'PID|1', `RGS|1|${action}`, `AIL|1|${action}`, `AIP|1|${action}`].join('\r') + '\r'
  const msg = parseHl7(skeleton, { anyVersion: true })
  msg.set('SCH-1.1', input.placerId)
  if (h.sendingApplication) msg.set('SCH-1.2', h.sendingApplication)
  const touched = new Set<string>(['SCH'])
  for (const [path, value] of Object.entries(input.fields)) {
    if (value === undefined || value === null || value === '') continue
    msg.set(path, typeof value === 'string' ? value : String(value))
    touched.add(path.slice(0, 3))
  }
  return (
    msg.segments
      .filter((s) => REQUIRED.has(s.id) || touched.has(s.id))
      .map((s) => s.raw)
      .join('\r') + '\r'
  )
}
