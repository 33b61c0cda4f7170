/**
 * Best-effort read of MSH fields from text that failed to parse, so the receiver can still
 * answer with an AR/CR addressed to the right application and echoing the control id. Nothing
 * here throws; fields come back raw only when MSH-1/MSH-2 were usable.
 */
import { readDelimiters, type Hl7Delimiters } from './delimiters'

export interface SniffedHeader {
  /** Usable delimiters of the original, when MSH-1/MSH-2 were valid. */
  delimiters?: Hl7Delimiters
  /** MSH-1 as found, even when MSH-2 was unusable. */
  fieldSeparator?: string
  /** Raw MSH fields by number (3..21), split on the field separator only. */
  fields: Map<number, string>
}

const SNIFF_LIMIT = 64 * 1024

function atLineStart(text: string, i: number): boolean {
  const prev = text.charCodeAt(i - 1)
  if (prev === 0x0d || prev === 0x0a) return true
  // A UTF-8 BOM read as latin1 is EF BB BF; as UTF-16 text it is FEFF.
  for (let k = 0; k < i; k++) {
    const c = text.charCodeAt(k)
    if (!(c === 0xfeff || c === 0xef || c === 0xbb || c === 0xbf || c === 0x20 || c === 0x09)) return false
  }
  return true
}

export function sniffMshHeader(input: string | Uint8Array): SniffedHeader {
  const text = typeof input === 'string' ? input.slice(0, SNIFF_LIMIT) : Buffer.from(input.buffer, input.byteOffset, Math.min(input.byteLength, SNIFF_LIMIT)).toString('latin1')
  const fields = new Map<number, string>()
  let start = text.indexOf('MSH')
  // Only an MSH at the beginning of a line (or after a leading BOM / whitespace) counts.
  while (start > 0 && !atLineStart(text, start)) start = text.indexOf('MSH', start + 1)
  if (start < 0) return { fields }
  let end = start
  while (end < text.length && text[end] !== '\r' && text[end] !== '\n') end++
  const line = text.slice(start, end)
  const fs = line[3]
  if (fs === undefined) return { fields }
  let delimiters: Hl7Delimiters | undefined
  try {
    delimiters = readDelimiters(line)
  } catch {
    delimiters = undefined
  }
  const split = line.split(fs)
  for (let i = 2; i < split.length && i <= 20; i++) fields.set(i + 1, split[i] as string)
  return delimiters ? { delimiters, fieldSeparator: fs, fields } : { fieldSeparator: fs, fields }
}
