/**
 * Acknowledgments we send: original mode (AA/AE/AR) and enhanced-mode accept ACKs (CA/CE/CR).
 * The ACK answers in the original's delimiters, version and processing id, swaps sender and
 * receiver, echoes MSH-10 in MSA-2 byte for byte, and lays out errors as the version expects:
 * ERR-2/3/4/7/8 from v2.5, ERR-1 (plus MSA-6 from v2.2) before that; MSA-3 is withdrawn in v2.7.
 */
import { randomBytes } from 'node:crypto'
import { isAppError } from '../../../../shared/errors'
import type { Clock } from '../../core/clock'
import { resolveHl7Charset } from './charset'
import { DEFAULT_DELIMITERS, encodingCharacters, type Hl7Delimiters } from './delimiters'
import { decodeEscapes, encodeEscapes } from './escape'
import { sniffMshHeader } from './header-sniff'
import type { Hl7Message } from './message'
import { HL7_ERROR_CODE_TEXT, isHl7ParseError, type Hl7ErrorCode } from './parse-error'
import { SUPPORTED_VERSION_RE } from './parser'
import { nthPart } from './segment'
import { formatHl7Timestamp } from './timestamp'
import { versionAtLeast } from './version'

export const ACK_CODES = ['AA', 'AE', 'AR', 'CA', 'CE', 'CR'] as const
export type AckCode = (typeof ACK_CODES)[number]

export interface AckErrorLocation {
  segment: string
  /** Occurrence of the segment in the message (1 for MSH). */
  sequence?: number
  field?: number
  fieldRepetition?: number
  component?: number
  subcomponent?: number
}

export interface AckError {
  /** HL7 table 0357 code; default 207 (application internal error). */
  code?: string
  /** Text for the code; defaults to the table's wording. */
  codeText?: string
  /** Table 0516: E error (default), W warning, I information, F fatal. */
  severity?: 'E' | 'W' | 'I' | 'F'
  location?: AckErrorLocation
  /** ERR-8 from v2.5: what a person on the sending side should read. */
  userMessage?: string
  /** ERR-7 from v2.5: technical detail. Never put message content (PHI) here. */
  diagnostic?: string
}

export interface AckOptions {
  code: AckCode
  /** MSA-3 (and ERR-8 of the synthesized error for AE/AR/CE/CR without explicit errors). */
  text?: string
  errors?: readonly AckError[]
  /** MSH-7 comes from this clock. */
  clock: Clock
  /** MSH-10 of the ACK; generated when absent. */
  controlId?: string
  /** MSH-7 offset from UTC in minutes; default 0 (written as +0000). */
  utcOffsetMinutes?: number
}

const MAX_ECHO = 4096

// A random start per process plus a counter: unique within the process, unlikely to collide across
// processes, and without a call into the system RNG per ACK (that was ~8% of a busy listener's CPU).
let idSeq = randomBytes(4).readUInt32BE(0) & 0x0fffffff

/** A fresh ACK control id: time-ordered, 16 characters, within every version's MSH-10 length. */
export function newControlId(clock: Clock): string {
  idSeq = (idSeq + 1) & 0x0fffffff
  return clock.now().toString(36).toUpperCase().padStart(9, '0').slice(-9) + idSeq.toString(16).toUpperCase().padStart(7, '0')
}

/** Raw text copied from a received message, made safe to write back: no controls, bounded length. */
function safeRaw(raw: string | undefined, d: Hl7Delimiters): string {
  if (!raw) return ''
  const v = raw.length > MAX_ECHO ? raw.slice(0, MAX_ECHO) : raw
  let out = ''
  let from = 0
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i)
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) {
      // A raw CR, VT or FS echoed back would split our segment or our MLLP frame.
      out += v.slice(from, i) + d.escape + 'X' + c.toString(16).toUpperCase().padStart(2, '0') + d.escape
      from = i + 1
    }
  }
  return from === 0 ? v : out + v.slice(from)
}

interface AckHeader {
  d: Hl7Delimiters
  /** Raw fields of the original, already made safe. */
  sendingApplication: string
  sendingFacility: string
  receivingApplication: string
  receivingFacility: string
  processingId: string
  versionField: string
  charsetField: string
  originalControlId: string
  version: string
  trigger?: string
}

function ackMessageType(h: AckHeader): string {
  const { d, version } = h
  if (!h.trigger || !versionAtLeast(version, '2.2')) return 'ACK'
  const t = encodeEscapes(h.trigger, d)
  return versionAtLeast(version, '2.3.1') ? `ACK${d.component}${t}${d.component}ACK` : `ACK${d.component}${t}`
}

function trimFields(fields: string[]): string[] {
  let n = fields.length
  while (n > 0 && fields[n - 1] === '') n--
  return fields.slice(0, n)
}

function errorCodeText(e: AckError): { code: string; text: string } {
  const code = e.code ?? '207'
  return { code, text: e.codeText ?? HL7_ERROR_CODE_TEXT[code as Hl7ErrorCode] ?? '' }
}

function composeAck(h: AckHeader, opts: AckOptions): string {
  const { d, version } = h
  const e = (s: string | undefined): string => (s === undefined ? '' : encodeEscapes(s, d))
  const fs = d.field
  const controlId = opts.controlId ?? newControlId(opts.clock)
  const msh = trimFields([
    h.receivingApplication,
    h.receivingFacility,
    h.sendingApplication,
    h.sendingFacility,
    formatHl7Timestamp(opts.clock.now(), opts.utcOffsetMinutes ?? 0),
    '',
    ackMessageType(h),
    e(controlId),
    h.processingId || 'P',
    h.versionField || e(version),
    '',
    '',
    '',
    '',
    '',
    h.charsetField,
  ])
  const lines = ['MSH' + fs + encodingCharacters(d) + fs + msh.join(fs)]

  const negative = opts.code !== 'AA' && opts.code !== 'CA'
  let errors = opts.errors ?? []
  if (negative && errors.length === 0) errors = [{ code: '207', ...(opts.text ? { userMessage: opts.text } : {}) }]
  const text = opts.text ?? (negative ? (errors[0]?.userMessage ?? errorCodeText(errors[0] ?? {}).text) : undefined)

  const withdrawnMsa3 = versionAtLeast(version, '2.7')
  const msa = [opts.code, h.originalControlId, withdrawnMsa3 ? '' : e(text)]
  if (errors.length > 0 && versionAtLeast(version, '2.2') && !versionAtLeast(version, '2.5')) {
    const first = errorCodeText(errors[0] as AckError)
    msa.push('', '', [e(first.code), e(first.text), 'HL70357'].join(d.component))
  }
  lines.push('MSA' + fs + trimFields(msa).join(fs))

  if (errors.length > 0) {
    if (versionAtLeast(version, '2.5')) {
      for (const err of errors) {
        const { code, text: codeText } = errorCodeText(err)
        const loc = err.location
        const erl = loc
          ? trimFields([
              e(loc.segment),
              loc.sequence?.toString() ?? '',
              loc.field?.toString() ?? '',
              loc.fieldRepetition?.toString() ?? '',
              loc.component?.toString() ?? '',
              loc.subcomponent?.toString() ?? '',
            ]).join(d.component)
          : ''
        const err3 = trimFields([e(code), e(codeText), 'HL70357']).join(d.component)
        const fields = ['', erl, err3, err.severity ?? 'E', '', '', e(err.diagnostic), e(err.userMessage)]
        lines.push('ERR' + fs + trimFields(fields).join(fs))
      }
    } else {
      const reps = errors.map((err) => {
        const { code, text: codeText } = errorCodeText(err)
        const loc = err.location
        const ce = trimFields([e(code), e(codeText), 'HL70357']).join(d.subcomponent)
        return trimFields([e(loc?.segment), loc?.sequence?.toString() ?? '', loc?.field?.toString() ?? '', ce]).join(d.component)
      })
      lines.push('ERR' + fs + reps.join(d.repetition))
    }
  }
  return lines.join('\r') + '\r'
}

/** The ACK for a message we parsed. Returns the ACK text (CR terminated), ready to encode and frame. */
export function buildAck(original: Hl7Message, opts: AckOptions): string {
  const h = original.header
  const d = original.delimiters
  const version = original.version || '2.5.1'
  const trigger = original.trigger
  return composeAck(
    {
      d,
      sendingApplication: safeRaw(h.field(3), d),
      sendingFacility: safeRaw(h.field(4), d),
      receivingApplication: safeRaw(h.field(5), d),
      receivingFacility: safeRaw(h.field(6), d),
      processingId: safeRaw(h.field(11), d),
      versionField: safeRaw(h.field(12), d),
      charsetField: safeRaw(h.field(18), d),
      originalControlId: safeRaw(h.field(10), d),
      version,
      ...(trigger ? { trigger } : {}),
    },
    opts,
  )
}

/** ERR details for a parse failure: table 0357 code and the location the parser reported. */
export function ackErrorFor(error: unknown): AckError {
  if (isHl7ParseError(error)) {
    return {
      code: error.hl7ErrorCode,
      severity: 'E',
      userMessage: error.message,
      ...(error.segmentId ? { location: { segment: error.segmentId, ...(error.segmentId === 'MSH' ? { sequence: 1 } : {}), ...(error.field ? { field: error.field } : {}) } } : {}),
    }
  }
  if (isAppError(error)) return { code: '207', severity: 'E', userMessage: error.message }
  return { code: '207', severity: 'E', userMessage: 'Application internal error' }
}

export interface RejectAckOptions {
  /** Why the message could not be processed (an Hl7ParseError gives the precise ERR). */
  error: unknown
  clock: Clock
  controlId?: string
  /** Version to answer in when the original's MSH-12 is missing or unsupported; default 2.5.1. */
  defaultVersion?: string
  /** Override of the automatic AR (original mode) / CR (enhanced mode). */
  code?: AckCode
  utcOffsetMinutes?: number
}

/**
 * An AR (or CR when the sender asked for enhanced mode) for text that did not parse. Header
 * fields are read best-effort; when MSH-2 itself is broken, the ACK uses the default delimiters
 * and the echoed values are escaped as plain text.
 */
export function buildRejectAck(input: string | Uint8Array, opts: RejectAckOptions): string {
  const sniff = sniffMshHeader(input)
  // With a broken MSH-2 but the usual '|', the sender almost certainly meant the default
  // encoding characters: read and echo its fields that way. Otherwise echo them as opaque text.
  const readable = sniff.delimiters ?? (sniff.fieldSeparator === DEFAULT_DELIMITERS.field ? DEFAULT_DELIMITERS : undefined)
  const d = sniff.delimiters ?? DEFAULT_DELIMITERS
  const raw = (n: number): string => {
    const v = sniff.fields.get(n)
    if (!v) return ''
    return readable ? safeRaw(v, d) : encodeEscapes(v.length > MAX_ECHO ? v.slice(0, MAX_ECHO) : v, d)
  }
  const leaf = (n: number, comp: number): string | undefined => {
    const v = sniff.fields.get(n)
    if (!v || !readable) return undefined
    const r = nthPart(nthPart(nthPart(v, readable.repetition, 1) ?? '', readable.component, comp) ?? '', readable.subcomponent, 1)
    return r ? decodeEscapes(r, readable) : undefined
  }
  const sniffedVersion = leaf(12, 1)?.trim()
  const supported = sniffedVersion !== undefined && SUPPORTED_VERSION_RE.test(sniffedVersion)
  const version = supported ? sniffedVersion : (opts.defaultVersion ?? '2.5.1')
  const enhanced = Boolean(sniff.fields.get(15) || sniff.fields.get(16))
  const trigger = leaf(9, 2)
  const error = ackErrorFor(opts.error)
  return composeAck(
    {
      d,
      sendingApplication: raw(3),
      sendingFacility: raw(4),
      receivingApplication: raw(5),
      receivingFacility: raw(6),
      processingId: raw(11),
      versionField: supported ? raw(12) : '',
      // Echo MSH-18 only when it names a charset we can write (and the peer can read the ACK in):
      // an undecodable one, typical of fuzzed input, would make the ACK itself unreadable.
      charsetField: resolveHl7Charset(leaf(18, 1)) ? raw(18) : '',
      originalControlId: raw(10),
      version,
      ...(trigger ? { trigger } : {}),
    },
    {
      code: opts.code ?? (enhanced ? 'CR' : 'AR'),
      errors: [error],
      ...(error.userMessage ? { text: error.userMessage } : {}),
      clock: opts.clock,
      ...(opts.controlId ? { controlId: opts.controlId } : {}),
      ...(opts.utcOffsetMinutes !== undefined ? { utcOffsetMinutes: opts.utcOffsetMinutes } : {}),
    },
  )
}

/**
 * The acknowledgment of a batch (BHS … BTS, inside FHS … FTS when the batch came in a file
 * envelope): the ACK of each message in order, under a header that swaps the received header's
 * sender and receiver and names the received batch control id (BHS-11) in BHS-12 (and FHS-11 in
 * FHS-12); BTS-1 counts the ACKs.
 */
export function buildAckBatch(received: { fileHeader?: { raw: string }; header?: { raw: string } }, acks: readonly string[], clock: Clock): string {
  const envelope = (id: 'FHS' | 'BHS', raw: string | undefined): string => {
    const fs = raw?.[3] ?? DEFAULT_DELIMITERS.field
    const f = raw ? raw.split(fs) : []
    const enc = f[1] ?? encodingCharacters(DEFAULT_DELIMITERS)
    const d = { ...DEFAULT_DELIMITERS, field: fs }
    // Fields of the received header (FHS-3 is f[2]: the segment id takes f[0], FHS-1 is the separator itself).
    const at = (n: number): string => safeRaw(f[n - 1], d)
    return trimFields([id, enc, at(5), at(6), at(3), at(4), formatHl7Timestamp(clock.now(), 0), '', '', '', newControlId(clock), at(11)]).join(fs)
  }
  const head = received.header?.raw ?? received.fileHeader?.raw
  const fs = head?.[3] ?? DEFAULT_DELIMITERS.field
  const body = acks.map((a) => (a.endsWith('\r') ? a : `${a}\r`)).join('')
  const batch = `${envelope('BHS', head)}\r${body}BTS${fs}${acks.length}\r`
  return received.fileHeader ? `${envelope('FHS', received.fileHeader.raw)}\r${batch}FTS${fs}1\r` : batch
}
