/**
 * Parsing HL7 v2 text into messages. Tolerant of what real senders do (CR, LF or CRLF
 * terminators, a BOM or blank lines in front, no final terminator, trailing delimiters, Z-segments)
 * and strict about what would make later reads wrong (MSH-1/MSH-2, segment ids, MSH-9/10/12).
 * Every failure is an Hl7ParseError; the work is linear in the input, so hostile input cannot hang it.
 */
import { charsetForBytes, decodeWith, resolveHl7Charset, type DecodeHl7Options } from './charset'
import { DEFAULT_DELIMITERS, hasDoubledEscape, readDelimiters, type Hl7Delimiters } from './delimiters'
import { utf8HexDecoder } from './escape'
import { Hl7Message } from './message'
import { Hl7ParseError, type Hl7Warning } from './parse-error'
import { Hl7Segment, type Hl7Context } from './segment'

export interface ParseHl7Options extends DecodeHl7Options {
  /**
   * Conformance mode: additionally rejects what receivers should tolerate but senders should not
   * produce: an empty MSH-10, a doubled escape character in MSH-2, trailing delimiters, control
   * characters, and batch trailer counts that do not match (all reported as warnings otherwise).
   */
  strict?: boolean
  /**
   * Skip the MSH-12 version check. For reading a peer's response (an ACK), where the version is
   * informational and refusing it would turn a delivered message into a failed one.
   */
  anyVersion?: boolean
}

export const SUPPORTED_VERSION_RE = /^2\.[1-8](?:\.\d{1,2})?$/

/** Non-empty lines of `text`, split on CR, LF or CRLF; whitespace-only lines and BOMs dropped. */
export function splitSegmentLines(text: string): string[] {
  const out: string[] = []
  const n = text.length
  let start = 0
  let cr = text.indexOf('\r')
  let lf = text.indexOf('\n')
  while (start < n) {
    if (cr !== -1 && cr < start) cr = text.indexOf('\r', start)
    if (lf !== -1 && lf < start) lf = text.indexOf('\n', start)
    const end = cr === -1 ? (lf === -1 ? n : lf) : lf === -1 ? cr : cr < lf ? cr : lf
    if (end > start) {
      let line = text.slice(start, end)
      if (line.charCodeAt(0) === 0xfeff) line = line.slice(1)
      const c0 = line.charCodeAt(0)
      if (line.length > 0 && !(c0 <= 0x20 && line.trim() === '')) out.push(line)
    }
    start = end + 1
  }
  return out
}

function isUpper(c: number): boolean {
  return c >= 0x41 && c <= 0x5a
}

function isUpperOrDigit(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39)
}

function hasValidSegmentId(line: string, fs: string): boolean {
  if (line.length < 3) return false
  if (!isUpper(line.charCodeAt(0)) || !isUpperOrDigit(line.charCodeAt(1)) || !isUpperOrDigit(line.charCodeAt(2))) return false
  return line.length === 3 || line[3] === fs
}

const BATCH_IDS = new Set(['FHS', 'BHS', 'BTS', 'FTS'])

function textOf(input: string | Uint8Array, opts: DecodeHl7Options): string {
  if (typeof input === 'string') return input
  return decodeWith(input, charsetForBytes(input, opts).charset)
}

/**
 * Builds and validates one message from its lines. `firstIndex` is the 0-based position of the
 * MSH among the file's lines, so batch errors point at the right segment.
 */
function buildMessage(raw: string, lines: string[], firstIndex: number, opts: ParseHl7Options): Hl7Message {
  const first = lines[0] as string
  const d = readDelimiters(first, firstIndex + 1)
  const ctx: Hl7Context = { delimiters: d, hexDecoder: utf8HexDecoder }
  const segments: Hl7Segment[] = new Array(lines.length)
  segments[0] = new Hl7Segment(first, ctx)
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string
    const at = { segmentIndex: firstIndex + i + 1 }
    if (!hasValidSegmentId(line, d.field)) {
      throw new Hl7ParseError('invalid_segment_id', `Segment ${at.segmentIndex} does not start with a valid segment id`, at)
    }
    const id = line.slice(0, 3)
    if (id === 'MSH') {
      throw new Hl7ParseError('multiple_messages', `Segment ${at.segmentIndex} starts a second message; parse the text as a batch`, {
        ...at,
        segmentId: id,
      })
    }
    if (BATCH_IDS.has(id)) {
      throw new Hl7ParseError('unexpected_segment', `${id} is not allowed inside a message (segment ${at.segmentIndex})`, { ...at, segmentId: id })
    }
    segments[i] = new Hl7Segment(line, ctx)
  }
  const warnings: Hl7Warning[] = []
  const msg = new Hl7Message(raw, segments, ctx, warnings)
  const cs = resolveHl7Charset(msg.charsetName)
  if (cs) ctx.hexDecoder = cs.hexDecoder
  validateHeader(msg, firstIndex + 1, warnings, opts.anyVersion === true)
  if (opts.strict) {
    const w = warnings[0]
    if (w) throw new Hl7ParseError(w.reason, w.message, { segmentIndex: w.segmentIndex, segmentId: 'MSH', field: w.field })
    checkStrict(lines, d, firstIndex)
  }
  return msg
}

function validateHeader(msg: Hl7Message, segmentIndex: number, warnings: Hl7Warning[], anyVersion: boolean): void {
  const h = msg.header
  const at = (field: number) => ({ segmentIndex, segmentId: 'MSH', field })
  if (h.value(9) === undefined) throw new Hl7ParseError('missing_message_type', 'MSH-9 (message type) is empty', at(9))
  if (hasDoubledEscape(h.field(2))) {
    warnings.push({ reason: 'doubled_escape_character', message: 'MSH-2 repeats the escape character; read as four encoding characters', segmentIndex, field: 2 })
  }
  // Tolerated because real senders omit it (see the corpus); without it the message cannot be
  // deduplicated, and the receiver decides what to do about that.
  if (h.value(10) === undefined) warnings.push({ reason: 'missing_control_id', message: 'MSH-10 (message control id) is empty', segmentIndex, field: 10 })
  if (anyVersion) return
  const version = h.value(12)
  if (version === undefined) throw new Hl7ParseError('missing_version', 'MSH-12 (version id) is empty', at(12))
  if (!SUPPORTED_VERSION_RE.test(version.trim())) {
    throw new Hl7ParseError('unsupported_version', 'MSH-12 (version id) is not a supported HL7 v2 version (2.1 to 2.8)', at(12))
  }
}

function checkStrict(lines: string[], d: Hl7Delimiters, firstIndex: number): void {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string
    const at = { segmentIndex: firstIndex + i + 1, segmentId: line.slice(0, 3) }
    if (line.length > 4 && line.endsWith(d.field)) {
      throw new Hl7ParseError('trailing_delimiters', `Segment ${at.segmentIndex} (${at.segmentId}) ends with empty fields`, at)
    }
    for (let k = 0; k < line.length; k++) {
      const c = line.charCodeAt(k)
      if ((c < 0x20 && c !== 0x09) || c === 0x7f) {
        throw new Hl7ParseError('control_characters', `Segment ${at.segmentIndex} (${at.segmentId}) contains a control character`, at)
      }
    }
  }
}

/**
 * Parses exactly one message. Text holding several messages or batch envelopes is refused with
 * `multiple_messages` / `unexpected_segment` (use parseHl7Batch), so a frame is one transaction.
 */
export function parseHl7(input: string | Uint8Array, opts: ParseHl7Options = {}): Hl7Message {
  const text = textOf(input, opts)
  const lines = splitSegmentLines(text)
  if (lines.length === 0) throw new Hl7ParseError('empty_input', 'The message is empty')
  const first = lines[0] as string
  if (!first.startsWith('MSH')) {
    const id = first.slice(0, 3)
    if (BATCH_IDS.has(id)) {
      throw new Hl7ParseError('unexpected_segment', `The text starts with ${id}: it is a batch, parse it with parseHl7Batch`, {
        segmentIndex: 1,
        segmentId: id,
      })
    }
    throw new Hl7ParseError('missing_msh', 'The message does not start with an MSH segment', { segmentIndex: 1 })
  }
  return buildMessage(text, lines, 0, opts)
}

export interface Hl7BatchGroup {
  /** BHS, when the group had one. */
  header?: Hl7Segment
  /** BTS, when the group had one. */
  trailer?: Hl7Segment
  messages: Hl7Message[]
}

export interface Hl7Batch {
  fileHeader?: Hl7Segment
  fileTrailer?: Hl7Segment
  groups: Hl7BatchGroup[]
  /** Every message in file order. */
  messages: Hl7Message[]
  /** Trailer counts that do not match (strict mode throws instead). */
  warnings: Hl7Warning[]
}

function countField(seg: Hl7Segment): number | undefined {
  const v = seg.value(1)
  if (v === undefined) return undefined
  const t = v.trim()
  return /^\d{1,9}$/.test(t) ? Number(t) : NaN
}

/**
 * Parses a file that may hold several messages: `[FHS] {[BHS] {MSH…} [BTS]} [FTS]`, or simply
 * messages back to back. BTS-1 is checked against the messages in its batch and FTS-1 against the
 * batches in the file, so a truncated file is noticed: a mismatch is a warning (real generators get
 * it wrong, see the corpus) and an error in strict mode. Every message is returned, none dropped.
 */
export function parseHl7Batch(input: string | Uint8Array, opts: ParseHl7Options = {}): Hl7Batch {
  const text = textOf(input, opts)
  const lines = splitSegmentLines(text)
  if (lines.length === 0) throw new Hl7ParseError('empty_input', 'The file is empty')

  const batch: Hl7Batch = { groups: [], messages: [], warnings: [] }
  const countMismatch = (message: string, segmentIndex: number): void => {
    if (opts.strict) throw new Hl7ParseError('batch_count_mismatch', message, { segmentIndex, field: 1 })
    batch.warnings.push({ reason: 'batch_count_mismatch', message, segmentIndex, field: 1 })
  }
  let envelope: Hl7Delimiters | undefined
  let envelopeCtx: Hl7Context | undefined
  let group: Hl7BatchGroup | undefined
  let msgLines: string[] | undefined
  let msgStart = 0
  let closed = false
  let explicitGroups = 0

  const flushMessage = (): void => {
    if (!msgLines) return
    const m = buildMessage(msgLines.join('\r') + '\r', msgLines, msgStart, opts)
    if (!group) {
      group = { messages: [] }
      batch.groups.push(group)
    }
    group.messages.push(m)
    batch.messages.push(m)
    msgLines = undefined
  }
  const ctxFor = (): Hl7Context => {
    if (envelopeCtx) return envelopeCtx
    const last = batch.messages[batch.messages.length - 1]
    return { delimiters: last?.delimiters ?? DEFAULT_DELIMITERS, hexDecoder: utf8HexDecoder }
  }

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string
    const id = line.slice(0, 3)
    const at = { segmentIndex: i + 1, segmentId: id }
    if (closed) throw new Hl7ParseError('unexpected_segment', `Segment ${i + 1} follows the FTS file trailer`, at)
    if (id === 'MSH') {
      flushMessage()
      msgLines = [line]
      msgStart = i
      continue
    }
    if (id === 'FHS') {
      if (i !== 0) throw new Hl7ParseError('unexpected_segment', `FHS may only open the file (segment ${i + 1})`, at)
      envelope = readDelimiters(line, i + 1)
      envelopeCtx = { delimiters: envelope, hexDecoder: utf8HexDecoder }
      batch.fileHeader = new Hl7Segment(line, envelopeCtx)
      continue
    }
    if (id === 'BHS') {
      flushMessage()
      const d = readDelimiters(line, i + 1)
      if (!envelope) envelope = d
      envelopeCtx = { delimiters: d, hexDecoder: utf8HexDecoder }
      group = { header: new Hl7Segment(line, envelopeCtx), messages: [] }
      batch.groups.push(group)
      explicitGroups++
      continue
    }
    if (id === 'BTS') {
      flushMessage()
      if (!group) {
        group = { messages: [] }
        batch.groups.push(group)
      }
      const bts = new Hl7Segment(line, ctxFor())
      const expected = countField(bts)
      if (expected !== undefined && expected !== group.messages.length) {
        countMismatch(`BTS-1 declares ${Number.isNaN(expected) ? 'an invalid count' : expected} messages but the batch holds ${group.messages.length}`, i + 1)
      }
      group.trailer = bts
      group = undefined
      continue
    }
    if (id === 'FTS') {
      flushMessage()
      const fts = new Hl7Segment(line, ctxFor())
      const expected = countField(fts)
      const groups = batch.groups.length
      if (expected !== undefined && expected !== groups && !(explicitGroups === 0 && expected === batch.messages.length)) {
        countMismatch(`FTS-1 declares ${Number.isNaN(expected) ? 'an invalid count' : expected} batches but the file holds ${groups}`, i + 1)
      }
      batch.fileTrailer = fts
      closed = true
      continue
    }
    if (!msgLines) {
      if (!hasValidSegmentId(line, envelope?.field ?? line[3] ?? '|')) {
        throw new Hl7ParseError(i === 0 ? 'missing_msh' : 'invalid_segment_id', `Segment ${i + 1} is not a valid segment`, { segmentIndex: i + 1 })
      }
      throw new Hl7ParseError('segment_outside_message', `Segment ${i + 1} (${id}) is not inside a message (no MSH before it)`, at)
    }
    msgLines.push(line)
  }
  flushMessage()
  if (batch.messages.length === 0) throw new Hl7ParseError('missing_msh', 'The file holds no MSH segment')
  return batch
}
