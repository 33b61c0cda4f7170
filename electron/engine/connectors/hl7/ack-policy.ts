/**
 * Which acknowledgments a received message asks for (MSH-15/16, HL7 table 0155). Both empty is
 * original mode: one application ACK (AA/AE/AR). Either set is enhanced mode: an accept ACK
 * (CA/CE/CR) after commit, and an application ACK later, each sent only when its condition holds.
 */
import type { Hl7Message } from './message'

export type AckCondition = 'AL' | 'NE' | 'ER' | 'SU'

export interface AckPolicy {
  mode: 'original' | 'enhanced'
  /** MSH-15; in enhanced mode an empty value is read as AL. */
  accept: AckCondition
  /** MSH-16; in enhanced mode an empty value is read as AL. */
  application: AckCondition
}

function condition(v: string | undefined): AckCondition | undefined {
  const t = v?.trim().toUpperCase()
  return t === 'AL' || t === 'NE' || t === 'ER' || t === 'SU' ? t : undefined
}

export function ackPolicy(message: Hl7Message): AckPolicy {
  const accept = condition(message.acceptAckType)
  const application = condition(message.applicationAckType)
  if (message.acceptAckType === undefined && message.applicationAckType === undefined) {
    return { mode: 'original', accept: 'NE', application: 'AL' }
  }
  return { mode: 'enhanced', accept: accept ?? 'AL', application: application ?? 'AL' }
}

/** Whether an acknowledgment governed by `c` is sent for an outcome. */
export function ackRequired(c: AckCondition, success: boolean): boolean {
  switch (c) {
    case 'AL':
      return true
    case 'NE':
      return false
    case 'ER':
      return !success
    case 'SU':
      return success
  }
}
