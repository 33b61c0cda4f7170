/**
 * Reading the acknowledgment a peer sent back: MSA-1 code, MSA-2 (the control id it answers),
 * MSA-3, and ERR details in either layout (v2.5+ ERR-2/3/4/7/8, or ERR-1 before v2.5, or MSA-6).
 */
import type { AckCode } from './ack-builder'
import { Hl7Message } from './message'
import { Hl7ParseError } from './parse-error'
import { parseHl7 } from './parser'
import { rep, repeated, type Rep } from './segments/datatypes'

export interface ParsedAckError {
  /** Table 0357 (or the peer's own) error code. */
  code?: string
  codeText?: string
  codeSystem?: string
  /** Table 0516: E, W, I or F. */
  severity?: string
  /** `PID[1]-3` style location, when the peer gave one. */
  location?: string
  userMessage?: string
  diagnostic?: string
  applicationCode?: string
}

export interface ParsedAck {
  code: AckCode
  /** AA or CA. */
  accepted: boolean
  /** MSA-2: the MSH-10 of the message being acknowledged. */
  controlId: string
  /** MSA-3, when sent. */
  text?: string
  errors: ParsedAckError[]
  /** MSH-10 of the ACK itself. */
  ackControlId: string
  messageType: string
  version: string
  /** The acknowledgment as received (decoded text), when the reader kept it (MllpSender does). */
  raw?: string
}

const CODES = new Set<string>(['AA', 'AE', 'AR', 'CA', 'CE', 'CR'])

/** `PID[2]-3(1).4.1` style text from ELD (ERR-1, components 1-3) or ERL (ERR-2, components 1-6). */
function location(r: Rep, erl: boolean): string | undefined {
  const s = r.c(1)
  if (!s) return undefined
  const seq = r.c(2)
  const f = r.c(3)
  let out = s + (seq && seq !== '1' ? `[${seq}]` : '')
  if (f) {
    out += `-${f}`
    if (erl) {
      const fr = r.c(4)
      const c = r.c(5)
      const sc = r.c(6)
      if (fr && fr !== '1') out += `(${fr})`
      if (c) out += `.${c}`
      if (c && sc) out += `.${sc}`
    }
  }
  return out
}

function compact(e: ParsedAckError): ParsedAckError {
  const out: ParsedAckError = {}
  for (const [k, v] of Object.entries(e) as [keyof ParsedAckError, string | undefined][]) if (v !== undefined) out[k] = v
  return out
}

function readErrors(msg: Hl7Message): ParsedAckError[] {
  const out: ParsedAckError[] = []
  for (const err of msg.segmentsNamed('ERR')) {
    if (err.value(3) !== undefined) {
      out.push(
        compact({
          code: err.value(3),
          codeText: err.value(3, 1, 2),
          codeSystem: err.value(3, 1, 3),
          severity: err.value(4),
          location: location(rep(err, 2), true) ?? location(rep(err, 1), false),
          userMessage: err.value(8),
          diagnostic: err.value(7),
          applicationCode: err.value(5),
        }),
      )
      continue
    }
    for (const e of repeated(err, 1, (r) => compact({ location: location(r, false), code: r.c(4, 1), codeText: r.c(4, 2), codeSystem: r.c(4, 3) }))) {
      if (Object.keys(e).length > 0) out.push(e)
    }
  }
  if (out.length === 0) {
    const msa = msg.segment('MSA')
    const code = msa?.value(6)
    const codeText = msa?.value(6, 1, 2)
    if (code || codeText) out.push(compact({ code, codeText, codeSystem: msa?.value(6, 1, 3) }))
  }
  return out
}

/**
 * Parses an acknowledgment (any message with an MSA: ACK, or an application response such as
 * ORF/RSP). The version is not checked: a response must be readable whatever the peer speaks.
 */
export function parseAck(input: string | Uint8Array | Hl7Message): ParsedAck {
  const msg = input instanceof Hl7Message ? input : parseHl7(input, { anyVersion: true })
  const msa = msg.segment('MSA')
  if (!msa) throw new Hl7ParseError('invalid_ack', 'The response has no MSA segment', { segmentId: 'MSA' })
  const code = msa.value(1)?.trim().toUpperCase()
  if (code === undefined || !CODES.has(code)) {
    throw new Hl7ParseError('invalid_ack', 'MSA-1 is not an acknowledgment code (AA, AE, AR, CA, CE, CR)', { segmentId: 'MSA', field: 1 })
  }
  const text = msa.value(3)
  return {
    code: code as AckCode,
    accepted: code === 'AA' || code === 'CA',
    controlId: msa.value(2) ?? '',
    ...(text !== undefined ? { text } : {}),
    errors: readErrors(msg),
    ackControlId: msg.controlId,
    messageType: msg.messageType,
    version: msg.version,
  }
}
