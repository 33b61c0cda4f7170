/**
 * Writing HL7 text. A parsed message serializes through `toString()` (its own delimiters, CR
 * terminators, edited segments rebuilt); this module writes from decoded values, escaping every
 * leaf, which is what builders and the round-trip tests need.
 */
import { encodingCharacters, type Hl7Delimiters } from './delimiters'
import { encodeEscapes } from './escape'
import type { Hl7Message } from './message'
import { isHeaderSegmentId } from './segment'

/** Decoded segment: [field][repetition][component][subcomponent]; index 0 holds the segment id. */
export type Hl7SegmentStructure = string[][][][]

export function serializeHl7(message: Hl7Message): string {
  return message.toString()
}

/**
 * One field from decoded values: a string (one leaf), or repetitions → components → subcomponents.
 * Trailing empty parts are dropped so builders can pass sparse arrays.
 */
export type Hl7FieldValue = string | undefined | readonly (string | undefined | readonly (string | undefined | readonly (string | undefined)[])[])[]

function trimJoin(parts: string[], sep: string): string {
  let n = parts.length
  while (n > 0 && parts[n - 1] === '') n--
  return parts.slice(0, n).join(sep)
}

export function encodeField(value: Hl7FieldValue, d: Hl7Delimiters): string {
  if (value === undefined) return ''
  if (typeof value === 'string') return encodeEscapes(value, d)
  return trimJoin(
    value.map((rep) => {
      if (rep === undefined) return ''
      if (typeof rep === 'string') return encodeEscapes(rep, d)
      return trimJoin(
        rep.map((comp) => {
          if (comp === undefined) return ''
          if (typeof comp === 'string') return encodeEscapes(comp, d)
          return trimJoin(comp.map((s) => (s === undefined ? '' : encodeEscapes(s, d))), d.subcomponent)
        }),
        d.component,
      )
    }),
    d.repetition,
  )
}

/**
 * Builds segment text. For MSH/FHS/BHS, `fields[0]` is field 3 (fields 1 and 2 come from `d`).
 * For other segments `fields[0]` is field 1. Trailing empty fields are not written.
 */
export function encodeSegment(id: string, fields: readonly Hl7FieldValue[], d: Hl7Delimiters): string {
  const parts = fields.map((f) => encodeField(f, d))
  const body = trimJoin(parts, d.field)
  if (isHeaderSegmentId(id)) return id + d.field + encodingCharacters(d) + (body === '' ? '' : d.field + body)
  return body === '' ? id : id + d.field + body
}

/** Text from a decoded structure (see Hl7Message.toStructure), every leaf re-escaped. */
export function serializeStructure(segments: readonly Hl7SegmentStructure[], d: Hl7Delimiters): string {
  let out = ''
  for (const seg of segments) {
    const id = seg[0]?.[0]?.[0]?.[0] ?? ''
    let line = id
    for (let f = 1; f < seg.length; f++) {
      const reps = seg[f] as string[][][]
      if (isHeaderSegmentId(id) && f === 1) continue
      if (isHeaderSegmentId(id) && f === 2) {
        // MSH-2 verbatim: it declares the delimiters and is never escaped.
        line += d.field + (reps[0]?.[0]?.[0] ?? encodingCharacters(d))
        continue
      }
      line +=
        d.field +
        reps.map((r) => r.map((c) => c.map((s) => encodeEscapes(s, d)).join(d.subcomponent)).join(d.component)).join(d.repetition)
    }
    out += line + '\r'
  }
  return out
}
