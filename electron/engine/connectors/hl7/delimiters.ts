/**
 * HL7 v2 delimiters as declared by a message itself in MSH-1 and MSH-2 (or FHS/BHS-1/2). Any
 * printable, non-alphanumeric characters are legal; v2.7 adds a fifth, the truncation character.
 */
import { Hl7ParseError } from './parse-error'

export interface Hl7Delimiters {
  readonly field: string
  readonly component: string
  readonly repetition: string
  readonly escape: string
  readonly subcomponent: string
  /** v2.7+ truncation character (MSH-2 position 5), usually `#`; absent before v2.7. */
  readonly truncation?: string
}

export const DEFAULT_DELIMITERS: Hl7Delimiters = Object.freeze({
  field: '|',
  component: '^',
  repetition: '~',
  escape: '\\',
  subcomponent: '&',
})

/** MSH-2 as written: component, repetition, escape, subcomponent [, truncation]. */
export function encodingCharacters(d: Hl7Delimiters): string {
  return d.component + d.repetition + d.escape + d.subcomponent + (d.truncation ?? '')
}

/** Printable ASCII punctuation only: letters, digits, space and controls cannot delimit safely. */
function isDelimiterChar(code: number): boolean {
  if (code < 0x21 || code > 0x7e) return false
  if (code >= 0x30 && code <= 0x39) return false
  if (code >= 0x41 && code <= 0x5a) return false
  if (code >= 0x61 && code <= 0x7a) return false
  return true
}

/**
 * Reads the delimiters from a header line (`MSH|^~\&|…`, `FHS…`, `BHS…`). Throws Hl7ParseError
 * when MSH-1 or MSH-2 is unusable, because every later split would silently go wrong.
 */
export function readDelimiters(headerLine: string, segmentIndex = 1): Hl7Delimiters {
  const segmentId = headerLine.slice(0, 3)
  if (headerLine.length < 4) {
    throw new Hl7ParseError('invalid_field_separator', `${segmentId}-1 (field separator) is missing`, { segmentIndex, segmentId, field: 1 })
  }
  const fs = headerLine.charCodeAt(3)
  if (!isDelimiterChar(fs)) {
    throw new Hl7ParseError('invalid_field_separator', `${segmentId}-1 (field separator) is not a printable delimiter character`, {
      segmentIndex,
      segmentId,
      field: 1,
    })
  }
  const field = headerLine[3] as string
  let end = headerLine.indexOf(field, 4)
  if (end < 0) end = headerLine.length
  let enc = headerLine.slice(4, end)
  // Tolerated on purpose: "^~\\&" (the escape char doubled) is what source code with an unescaped
  // backslash literal produces; reading it as "^~\&" is the only sensible interpretation.
  if (hasDoubledEscape(enc)) enc = enc.slice(0, 3) + enc.slice(4)
  if (enc.length !== 4 && enc.length !== 5) {
    throw new Hl7ParseError(
      'invalid_encoding_characters',
      `${segmentId}-2 (encoding characters) must hold 4 or 5 characters, found ${enc.length}`,
      { segmentIndex, segmentId, field: 2 },
    )
  }
  const seen = new Set<string>([field])
  for (let i = 0; i < enc.length; i++) {
    const ch = enc[i] as string
    if (!isDelimiterChar(enc.charCodeAt(i)) || seen.has(ch)) {
      throw new Hl7ParseError(
        'invalid_encoding_characters',
        `${segmentId}-2 (encoding characters) position ${i + 1} is not a distinct printable delimiter`,
        { segmentIndex, segmentId, field: 2 },
      )
    }
    seen.add(ch)
  }
  const d: Hl7Delimiters = {
    field,
    component: enc[0] as string,
    repetition: enc[1] as string,
    escape: enc[2] as string,
    subcomponent: enc[3] as string,
    ...(enc.length === 5 ? { truncation: enc[4] as string } : {}),
  }
  return d
}

/** MSH-2 written as `^~\\&`: five characters whose 3rd and 4th are the same escape character. */
export function hasDoubledEscape(encodingField: string): boolean {
  return encodingField.length === 5 && encodingField[2] === encodingField[3]
}
