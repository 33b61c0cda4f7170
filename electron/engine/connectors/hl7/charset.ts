/**
 * Character sets named in MSH-18 (HL7 table 0211). Bytes are decoded per the message's own
 * declaration, peeked from the ASCII-compatible header before any decoding; raw bytes remain the
 * stored truth (MLLP-11), so invalid sequences become U+FFFD here and are never "repaired".
 * UTF-16/32 cannot travel inside MLLP framing and are refused.
 */
import { isAscii } from 'node:buffer'
import { latin1HexDecoder, utf8HexDecoder, type HexDecoder } from './escape'
import { Hl7ParseError } from './parse-error'

export interface Hl7Charset {
  /** WHATWG encoding label used to decode, e.g. 'utf-8', 'iso-8859-2'; 'latin1' for 8859/1 and ASCII. */
  readonly encoding: string
  /** Decodes \Xhh\ escape bytes the same way the message bytes are decoded. */
  readonly hexDecoder: HexDecoder
}

const UTF8: Hl7Charset = { encoding: 'utf-8', hexDecoder: utf8HexDecoder }
const LATIN1: Hl7Charset = { encoding: 'latin1', hexDecoder: latin1HexDecoder }

function textDecoderCharset(label: string): Hl7Charset {
  const decoder = new TextDecoder(label, { fatal: false })
  return { encoding: label, hexDecoder: (bytes) => decoder.decode(bytes) }
}

const cache = new Map<string, Hl7Charset>()

function normalizeName(name: string): string {
  return name.trim().toUpperCase().replace(/\s+/g, ' ')
}

/** Maps an MSH-18 value (or a per-connection setting) to a decoder; undefined when unknown. */
export function resolveHl7Charset(name: string | undefined): Hl7Charset | undefined {
  if (name === undefined) return undefined
  const n = normalizeName(name)
  if (n === '') return undefined
  const hit = cache.get(n)
  if (hit) return hit
  let cs: Hl7Charset | undefined
  const iso = /^(?:ISO[-_ ]?)?8859[/_-](\d{1,2})$/.exec(n)
  if (n === 'UNICODE UTF-8' || n === 'UNICODE' || n === 'UTF-8' || n === 'UTF8') cs = UTF8
  else if (n === 'ASCII' || n === 'US-ASCII' || n === 'LATIN1') cs = LATIN1
  else if (iso) {
    const part = Number(iso[1])
    if (part === 1) cs = LATIN1
    else if ((part >= 2 && part <= 9) || part === 15) cs = textDecoderCharset(`iso-8859-${part}`)
  } else if (n === 'ISO IR14') cs = textDecoderCharset('shift_jis')
  else if (n === 'ISO IR87' || n === 'ISO IR159') cs = textDecoderCharset('iso-2022-jp')
  else if (n === 'GB 18030-2000' || n === 'GB18030') cs = textDecoderCharset('gb18030')
  else if (n === 'KS X 1001') cs = textDecoderCharset('euc-kr')
  else if (n === 'BIG-5' || n === 'BIG5') cs = textDecoderCharset('big5')
  if (cs) cache.set(n, cs)
  return cs
}

function isMultiByteUnicode(name: string): boolean {
  const n = normalizeName(name)
  return n.includes('UTF-16') || n.includes('UTF-32') || n.includes('UTF16') || n.includes('UTF32')
}

function isLineBreak(b: number | undefined): boolean {
  return b === 0x0d || b === 0x0a
}

const PEEK_LIMIT = 64 * 1024

/**
 * MSH-18 (first repetition) read straight from the bytes of the first MSH segment, or undefined
 * when the header has none. Works on batch files too (skips FHS/BHS lines).
 */
export function peekHl7Charset(buf: Uint8Array): string | undefined {
  const limit = Math.min(buf.length, PEEK_LIMIT)
  let lineStart = 0
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) lineStart = 3
  while (lineStart < limit) {
    while (lineStart < limit && (isLineBreak(buf[lineStart]) || buf[lineStart] === 0x20 || buf[lineStart] === 0x09)) lineStart++
    if (buf[lineStart] === 0x4d && buf[lineStart + 1] === 0x53 && buf[lineStart + 2] === 0x48) {
      return readMsh18(buf, lineStart, limit)
    }
    while (lineStart < limit && !isLineBreak(buf[lineStart])) lineStart++
  }
  return undefined
}

function readMsh18(buf: Uint8Array, start: number, limit: number): string | undefined {
  const fs = buf[start + 3]
  if (fs === undefined || isLineBreak(fs)) return undefined
  // MSH-18 is read with MSH-2's separators: when MSH-2 is broken, reading it would report the
  // fault as MSH-18's; leave the charset to the default and let the parser name MSH-2.
  if (!plausibleMsh2(buf, start + 4, limit, fs)) return undefined
  const rep = buf[start + 5]
  // MSH-1 is the separator at start+3; MSH-n begins after the (n-1)th separator.
  let seps = 1
  let i = start + 4
  for (; i < limit && seps < 17; i++) {
    const b = buf[i]
    if (isLineBreak(b)) return undefined
    if (b === fs) seps++
  }
  if (seps < 17) return undefined
  let end = i
  while (end < limit && buf[end] !== fs && buf[end] !== rep && !isLineBreak(buf[end])) end++
  const value = Buffer.from(buf.buffer, buf.byteOffset + i, end - i).toString('latin1').trim()
  return value === '' ? undefined : value
}

/** MSH-2: 4 or 5 distinct printable characters, none the field separator. */
function plausibleMsh2(buf: Uint8Array, from: number, limit: number, fs: number): boolean {
  const seen = new Set<number>([fs])
  let i = from
  for (; i < limit && buf[i] !== fs; i++) {
    const b = buf[i] as number
    if (b < 0x21 || b > 0x7e || seen.has(b)) return false
    seen.add(b)
  }
  const n = i - from
  return i < limit && (n === 4 || n === 5)
}

export interface DecodeHl7Options {
  /** Charset when MSH-18 is empty (per-connection setting); default UTF-8. */
  defaultCharset?: string
}

/** The charset a buffer will be decoded with: declared MSH-18, else the default. */
export function charsetForBytes(buf: Uint8Array, opts: DecodeHl7Options = {}): { name: string; charset: Hl7Charset } {
  if ((buf[0] === 0xfe && buf[1] === 0xff) || (buf[0] === 0xff && buf[1] === 0xfe)) {
    throw new Hl7ParseError('unsupported_charset', 'UTF-16/UTF-32 content cannot be carried over MLLP')
  }
  const hasUtf8Bom = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf
  const declared = peekHl7Charset(buf)
  const name = declared ?? opts.defaultCharset ?? 'UNICODE UTF-8'
  if (isMultiByteUnicode(name)) {
    throw new Hl7ParseError('unsupported_charset', 'UTF-16/UTF-32 content cannot be carried over MLLP', { segmentId: 'MSH', field: 18 })
  }
  const charset = resolveHl7Charset(name)
  if (!charset) {
    throw new Hl7ParseError('unsupported_charset', 'MSH-18 names a character set this engine cannot decode', { segmentId: 'MSH', field: 18 })
  }
  // A BOM is stronger evidence than a label, and "ASCII" with high bytes is always mislabelled:
  // prefer UTF-8 when the bytes are valid UTF-8, else keep the single-byte reading.
  if (hasUtf8Bom) return { name, charset: UTF8 }
  if (charset === LATIN1 && normalizeName(name).includes('ASCII') && hasHighBytes(buf) && isValidUtf8(buf)) return { name, charset: UTF8 }
  return { name, charset }
}

function hasHighBytes(buf: Uint8Array): boolean {
  for (let i = 0; i < buf.length; i++) if ((buf[i] as number) >= 0x80) return true
  return false
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })
function isValidUtf8(buf: Uint8Array): boolean {
  try {
    strictUtf8.decode(buf)
    return true
  } catch {
    return false
  }
}

/** Decodes received bytes to text using MSH-18 (peeked from the bytes) or the default charset. */
export function decodeHl7Bytes(buf: Uint8Array, opts: DecodeHl7Options = {}): string {
  const { charset } = charsetForBytes(buf, opts)
  return decodeWith(buf, charset)
}

export function decodeWith(buf: Uint8Array, charset: Hl7Charset): string {
  // All-ASCII UTF-8 (nearly every message, and a 5 MB base64 document) is its latin1 reading:
  // parsing a 5 MB MDM took 27 ms of the main thread through TextDecoder, 4 ms this way (CPU profile).
  if (charset.encoding === 'latin1' || (charset.encoding === 'utf-8' && isAscii(buf))) return Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('latin1')
  let text = charset.encoding === 'utf-8' ? utf8HexDecoder(buf) : charset.hexDecoder(buf)
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  return text
}

/** `text` with every character above `max` replaced by '?'. */
function replaceAbove(text: string, max: number): string {
  let i = 0
  while (i < text.length && text.charCodeAt(i) <= max) i++
  if (i === text.length) return text
  let out = text.slice(0, i)
  for (const ch of text.slice(i)) out += (ch.codePointAt(0) as number) <= max ? ch : '?'
  return out
}

/**
 * Encodes outgoing text (an ACK, a message to send) in the charset named by its MSH-18.
 * UTF-8 and 8859/1 (and ASCII) are exact; other single-byte sets keep ASCII and write '?' for
 * anything else, because Node has no encoder for them — the ACKs we build are ASCII in practice.
 */
export function encodeHl7Text(text: string, charsetName?: string): Buffer {
  const cs = resolveHl7Charset(charsetName) ?? UTF8
  if (cs === UTF8) return Buffer.from(text, 'utf8')
  if (cs === LATIN1) {
    return Buffer.from(replaceAbove(text, 0xff), 'latin1')
  }
  return Buffer.from(replaceAbove(text, 0x7f), 'latin1')
}
