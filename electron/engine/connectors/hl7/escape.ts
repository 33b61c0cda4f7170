/**
 * HL7 v2 escape sequences (v2.5 ch. 2.7). Delimiter escapes (\F\ \S\ \T\ \R\ \E\, v2.7 \P\) and
 * hex data (\Xhh..\) are decoded; formatting commands (\H\ \N\ \.br\ \.sp\ …), charset switches
 * (\C..\ \M..\) and local escapes (\Z..\) stay in the decoded text verbatim so that a display can
 * render them and the encoder can write them back unchanged. Unknown sequences also stay verbatim.
 *
 * Invariant the round-trip tests rely on: decodeEscapes(encodeEscapes(s)) === s for every string.
 */
import type { Hl7Delimiters } from './delimiters'

export type HexDecoder = (bytes: Uint8Array) => string

const utf8 = new TextDecoder('utf-8', { fatal: false })
export const utf8HexDecoder: HexDecoder = (bytes) => utf8.decode(bytes)
export const latin1HexDecoder: HexDecoder = (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
}

function allHex(s: string, from: number): boolean {
  for (let i = from; i < s.length; i++) if (!isHex(s.charCodeAt(i))) return false
  return true
}

/** Formatting / charset / local escapes that pass through untouched (content between the escape chars). */
export function isVerbatimEscape(content: string): boolean {
  const n = content.length
  if (n === 0) return false
  const c0 = content[0]
  if (n === 1) return c0 === 'H' || c0 === 'N'
  if (c0 === '.') {
    // .br .sp .fi .nf .ce, and .sp<n> .in±<n> .ti±<n> .sk <n>
    if (n < 3) return false
    const a = content.charCodeAt(1)
    const b = content.charCodeAt(2)
    if (a < 0x61 || a > 0x7a || b < 0x61 || b > 0x7a) return false
    let i = 3
    if (i < n && content[i] === ' ') i++
    if (i < n && (content[i] === '+' || content[i] === '-')) i++
    if (i === n) return i === 3
    for (; i < n; i++) {
      const d = content.charCodeAt(i)
      if (d < 0x30 || d > 0x39) return false
    }
    return true
  }
  if (c0 === 'C') return n === 5 && allHex(content, 1)
  if (c0 === 'M') return (n === 5 || n === 7) && allHex(content, 1)
  if (c0 === 'Z') {
    if (n > 33) return false
    for (let i = 1; i < n; i++) {
      const d = content.charCodeAt(i)
      const alnum = (d >= 0x30 && d <= 0x39) || (d >= 0x41 && d <= 0x5a) || (d >= 0x61 && d <= 0x7a)
      if (!alnum) return false
    }
    return true
  }
  return false
}

function decodeHex(content: string, hexDecoder: HexDecoder): string | undefined {
  // content is "X" + pairs of hex digits
  const hexLen = content.length - 1
  if (hexLen === 0 || hexLen % 2 !== 0 || !allHex(content, 1)) return undefined
  const bytes = new Uint8Array(hexLen / 2)
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(content.substr(1 + i * 2, 2), 16)
  return hexDecoder(bytes)
}

/** Decodes one leaf value (a subcomponent, or an unsplit primitive field). */
export function decodeEscapes(raw: string, d: Hl7Delimiters, hexDecoder: HexDecoder = utf8HexDecoder): string {
  const esc = d.escape
  let i = raw.indexOf(esc)
  if (i < 0) return raw
  let out = raw.slice(0, i)
  const n = raw.length
  while (i < n) {
    const close = raw.indexOf(esc, i + 1)
    if (close < 0) {
      out += raw.slice(i)
      break
    }
    const content = raw.slice(i + 1, close)
    let decoded: string | undefined
    switch (content) {
      case 'F':
        decoded = d.field
        break
      case 'S':
        decoded = d.component
        break
      case 'T':
        decoded = d.subcomponent
        break
      case 'R':
        decoded = d.repetition
        break
      case 'E':
        decoded = esc
        break
      case 'P':
        decoded = d.truncation
        break
      case '':
        decoded = undefined
        break
      default:
        if (content[0] === 'X') decoded = decodeHex(content, hexDecoder)
    }
    if (content === '') {
      // "\\" is no sequence: keep the first escape char and let the second open the next one.
      out += esc
      i = close
      continue
    }
    out += decoded ?? esc + content + esc
    i = close + 1
    const next = raw.indexOf(esc, i)
    if (next < 0) {
      out += raw.slice(i)
      break
    }
    out += raw.slice(i, next)
    i = next
  }
  return out
}

function needsEncoding(c: number, d: Hl7Delimiters): boolean {
  return c < 0x20 || c === 0x7f || c === d.field.charCodeAt(0) || c === d.component.charCodeAt(0) ||
    c === d.repetition.charCodeAt(0) || c === d.escape.charCodeAt(0) || c === d.subcomponent.charCodeAt(0) ||
    (d.truncation !== undefined && c === d.truncation.charCodeAt(0))
}

function containsDelimiter(s: string, from: number, to: number, d: Hl7Delimiters): boolean {
  for (let i = from; i < to; i++) {
    const ch = s[i]
    if (ch === d.field || ch === d.component || ch === d.repetition || ch === d.subcomponent || ch === d.truncation) return true
  }
  return false
}

/**
 * Encodes one leaf value for writing into a message with delimiters `d`. Control characters
 * (CR, LF, and the MLLP framing bytes VT/FS among them) become \Xhh\ so a value can never split a
 * segment or a frame; TAB is kept, as HL7 text types allow it.
 */
export function encodeEscapes(value: string, d: Hl7Delimiters): string {
  const n = value.length
  let i = 0
  while (i < n && !needsEncoding(value.charCodeAt(i), d)) i++
  if (i === n) return value
  const esc = d.escape
  let out = value.slice(0, i)
  for (; i < n; i++) {
    const ch = value[i] as string
    const c = value.charCodeAt(i)
    if (ch === esc) {
      const close = value.indexOf(esc, i + 1)
      if (close > i + 1 && isVerbatimEscape(value.slice(i + 1, close)) && !containsDelimiter(value, i + 1, close, d)) {
        out += value.slice(i, close + 1)
        i = close
      } else {
        out += esc + 'E' + esc
      }
    } else if (ch === d.field) out += esc + 'F' + esc
    else if (ch === d.component) out += esc + 'S' + esc
    else if (ch === d.subcomponent) out += esc + 'T' + esc
    else if (ch === d.repetition) out += esc + 'R' + esc
    else if (d.truncation !== undefined && ch === d.truncation) out += esc + 'P' + esc
    else if ((c < 0x20 && c !== 0x09) || c === 0x7f) out += esc + 'X' + c.toString(16).toUpperCase().padStart(2, '0') + esc
    else out += ch
  }
  return out
}
