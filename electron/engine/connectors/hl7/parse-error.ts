/**
 * The one error type the HL7 parser throws. It is an AppError (code `parse_error`, or
 * `unsupported_message` for a version/charset we do not speak) with a machine `reason` and the
 * HL7 table 0357 code, so the listener can answer with a precise AR/AE without re-deriving why.
 * Messages name positions and segment ids only, never field values: they reach logs and the UI.
 */
import { AppError } from '../../../../shared/errors'

export const HL7_PARSE_REASONS = [
  'empty_input',
  'missing_msh',
  'invalid_field_separator',
  'invalid_encoding_characters',
  'doubled_escape_character',
  'missing_message_type',
  'missing_control_id',
  'missing_version',
  'unsupported_version',
  'invalid_segment_id',
  'unexpected_segment',
  'multiple_messages',
  'segment_outside_message',
  'batch_count_mismatch',
  'trailing_delimiters',
  'control_characters',
  'unsupported_charset',
  'invalid_ack',
] as const

export type Hl7ParseReason = (typeof HL7_PARSE_REASONS)[number]

/** HL7 table 0357 (message error condition codes) used in ERR-3 / ERR-1.4 of the ACK we send back. */
export type Hl7ErrorCode = '0' | '100' | '101' | '102' | '103' | '200' | '201' | '202' | '203' | '207'

export const HL7_ERROR_CODE_TEXT: Readonly<Record<Hl7ErrorCode, string>> = {
  '0': 'Message accepted',
  '100': 'Segment sequence error',
  '101': 'Required field missing',
  '102': 'Data type error',
  '103': 'Table value not found',
  '200': 'Unsupported message type',
  '201': 'Unsupported event code',
  '202': 'Unsupported processing id',
  '203': 'Unsupported version id',
  '207': 'Application internal error',
}

const REASON_TO_0357: Readonly<Record<Hl7ParseReason, Hl7ErrorCode>> = {
  empty_input: '100',
  missing_msh: '100',
  invalid_field_separator: '102',
  invalid_encoding_characters: '102',
  doubled_escape_character: '102',
  missing_message_type: '101',
  missing_control_id: '101',
  missing_version: '101',
  unsupported_version: '203',
  invalid_segment_id: '100',
  unexpected_segment: '100',
  multiple_messages: '100',
  segment_outside_message: '100',
  batch_count_mismatch: '100',
  trailing_delimiters: '102',
  control_characters: '102',
  unsupported_charset: '102',
  invalid_ack: '100',
}

export interface Hl7ParseErrorDetails {
  reason: Hl7ParseReason
  hl7ErrorCode: Hl7ErrorCode
  /** 1-based index of the offending segment within the message (or file, for batch errors). */
  segmentIndex?: number
  segmentId?: string
  /** 1-based field number, e.g. 10 for MSH-10. */
  field?: number
}

export class Hl7ParseError extends AppError {
  readonly reason: Hl7ParseReason
  readonly hl7ErrorCode: Hl7ErrorCode
  readonly segmentIndex?: number
  readonly segmentId?: string
  readonly field?: number

  constructor(reason: Hl7ParseReason, message: string, at: { segmentIndex?: number; segmentId?: string; field?: number } = {}) {
    const hl7ErrorCode = REASON_TO_0357[reason]
    const details: Hl7ParseErrorDetails = { reason, hl7ErrorCode, ...at }
    const code = reason === 'unsupported_version' || reason === 'unsupported_charset' ? 'unsupported_message' : 'parse_error'
    super(code, message, { retryable: false, details })
    this.name = 'Hl7ParseError'
    this.reason = reason
    this.hl7ErrorCode = hl7ErrorCode
    this.segmentIndex = at.segmentIndex
    this.segmentId = at.segmentId
    this.field = at.field
  }
}

export function isHl7ParseError(e: unknown): e is Hl7ParseError {
  return e instanceof Hl7ParseError
}

/**
 * Something a tolerant parse accepted but a conformance check would reject; kept on the parsed
 * message / batch so the console can show it and strict mode can refuse it.
 */
export interface Hl7Warning {
  reason: Extract<Hl7ParseReason, 'missing_control_id' | 'doubled_escape_character' | 'batch_count_mismatch'>
  message: string
  segmentIndex?: number
  field?: number
}
