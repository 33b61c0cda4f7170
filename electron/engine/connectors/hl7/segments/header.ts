/** MSH, EVN, MSA and ERR as plain objects (v2.5.1 field layout). */
import type { Hl7Segment } from '../segment'
import { coded, dropUndefined, ei, hd, rep, repeated, single, ts, xcn, type Coded, type EntityId, type Hd, type PersonRef } from './datatypes'

export interface MessageHeader {
  fieldSeparator: string
  encodingCharacters: string
  sendingApplication?: Hd
  sendingFacility?: Hd
  receivingApplication?: Hd
  receivingFacility?: Hd
  dateTime?: string
  security?: string
  messageCode?: string
  triggerEvent?: string
  messageStructure?: string
  controlId?: string
  processingId?: string
  processingMode?: string
  version?: string
  sequenceNumber?: string
  continuationPointer?: string
  acceptAckType?: string
  applicationAckType?: string
  countryCode?: string
  characterSets: string[]
  principalLanguage?: Coded
  alternateCharsetScheme?: string
  messageProfiles: EntityId[]
}

export function readMsh(s: Hl7Segment): MessageHeader {
  const r9 = rep(s, 9)
  const r11 = rep(s, 11)
  return dropUndefined({
    fieldSeparator: s.value(1) ?? '',
    encodingCharacters: s.value(2) ?? '',
    sendingApplication: single(s, 3, (r) => hd(r)),
    sendingFacility: single(s, 4, (r) => hd(r)),
    receivingApplication: single(s, 5, (r) => hd(r)),
    receivingFacility: single(s, 6, (r) => hd(r)),
    dateTime: single(s, 7, ts),
    security: s.value(8),
    messageCode: r9.c(1),
    triggerEvent: r9.c(2),
    messageStructure: r9.c(3),
    controlId: s.value(10),
    processingId: r11.c(1),
    processingMode: r11.c(2),
    version: s.value(12),
    sequenceNumber: s.value(13),
    continuationPointer: s.value(14),
    acceptAckType: s.value(15),
    applicationAckType: s.value(16),
    countryCode: s.value(17),
    characterSets: s.values(18),
    principalLanguage: single(s, 19, coded),
    alternateCharsetScheme: s.value(20),
    messageProfiles: repeated(s, 21, ei),
  })
}

export interface EventType {
  eventTypeCode?: string
  recordedAt?: string
  plannedAt?: string
  reasonCode?: string
  operators: PersonRef[]
  occurredAt?: string
  facility?: Hd
}

export function readEvn(s: Hl7Segment): EventType {
  return dropUndefined({
    eventTypeCode: s.value(1),
    recordedAt: single(s, 2, ts),
    plannedAt: single(s, 3, ts),
    reasonCode: s.value(4),
    operators: repeated(s, 5, xcn),
    occurredAt: single(s, 6, ts),
    facility: single(s, 7, (r) => hd(r)),
  })
}

export interface MessageAcknowledgment {
  code?: string
  controlId?: string
  text?: string
  expectedSequenceNumber?: string
  delayedAckType?: string
  errorCondition?: Coded
}

export function readMsa(s: Hl7Segment): MessageAcknowledgment {
  return dropUndefined({
    code: s.value(1),
    controlId: s.value(2),
    text: s.value(3),
    expectedSequenceNumber: s.value(4),
    delayedAckType: s.value(5),
    errorCondition: single(s, 6, coded),
  })
}

export interface ErrorLocation {
  segment?: string
  sequence?: string
  field?: string
  fieldRepetition?: string
  component?: string
  subcomponent?: string
}

export interface ErrorSegment {
  /** ERR-1 (before v2.5): location and code per repetition. */
  codeAndLocation: (ErrorLocation & { code?: Coded })[]
  /** ERR-2 (v2.5+). */
  locations: ErrorLocation[]
  hl7ErrorCode?: Coded
  severity?: string
  applicationErrorCode?: Coded
  applicationErrorParameters: string[]
  diagnosticInformation?: string
  userMessage?: string
  informPersonIndicator: string[]
  overrideType?: Coded
  overrideReasonCodes: Coded[]
}

export function readErr(s: Hl7Segment): ErrorSegment {
  return dropUndefined({
    codeAndLocation: repeated(s, 1, (r) =>
      dropUndefinedOrNone({
        segment: r.c(1),
        sequence: r.c(2),
        field: r.c(3),
        code: compactCoded(r.c(4, 1), r.c(4, 2), r.c(4, 3)),
      }),
    ),
    locations: repeated(s, 2, (r) =>
      dropUndefinedOrNone({ segment: r.c(1), sequence: r.c(2), field: r.c(3), fieldRepetition: r.c(4), component: r.c(5), subcomponent: r.c(6) }),
    ),
    hl7ErrorCode: single(s, 3, coded),
    severity: s.value(4),
    applicationErrorCode: single(s, 5, coded),
    applicationErrorParameters: s.values(6),
    diagnosticInformation: s.value(7),
    userMessage: s.value(8),
    informPersonIndicator: s.values(9),
    overrideType: single(s, 10, coded),
    overrideReasonCodes: repeated(s, 11, coded),
  })
}

function compactCoded(code?: string, text?: string, system?: string): Coded | undefined {
  if (code === undefined && text === undefined && system === undefined) return undefined
  return dropUndefined({ code, text, system })
}

function dropUndefinedOrNone<T extends object>(o: T): T | undefined {
  const out = dropUndefined(o)
  return Object.keys(out).length > 0 ? out : undefined
}
