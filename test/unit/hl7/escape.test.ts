import { describe, expect, it } from 'vitest'
import {
  decodeEscapes,
  DEFAULT_DELIMITERS,
  encodeEscapes,
  isVerbatimEscape,
  latin1HexDecoder,
  parseHl7,
  readDelimiters,
  type Hl7Delimiters,
} from '../../../electron/engine/connectors/hl7'
import { prng } from './corpus-files'

const D = DEFAULT_DELIMITERS
const V27: Hl7Delimiters = { ...D, truncation: '#' }

describe('escape sequences', () => {
  it('decodes the delimiter escapes', () => {
    expect(decodeEscapes('O\\F\\BRIEN', D)).toBe('O|BRIEN')
    expect(decodeEscapes('JO\\S\\HN\\T\\X\\R\\Y\\E\\Z', D)).toBe('JO^HN&X~Y\\Z')
    expect(decodeEscapes('plain', D)).toBe('plain')
  })

  it('decodes hex data in the message charset', () => {
    expect(decodeEscapes('A\\X0D0A\\B', D)).toBe('A\r\nB')
    expect(decodeEscapes('caf\\XC3A9\\', D)).toBe('café')
    expect(decodeEscapes('caf\\XE9\\', D, latin1HexDecoder)).toBe('café')
  })

  it('keeps formatting, charset and local escapes verbatim', () => {
    for (const s of ['\\H\\', '\\N\\', '\\.br\\', '\\.sp\\', '\\.sp3\\', '\\.in+4\\', '\\.ti-2\\', '\\.sk 2\\', '\\.ce\\', '\\.fi\\', '\\.nf\\', '\\C2842\\', '\\M2442\\', '\\Zabc\\']) {
      expect(decodeEscapes(`x${s}y`, D)).toBe(`x${s}y`)
      expect(encodeEscapes(`x${s}y`, D)).toBe(`x${s}y`)
    }
    expect(isVerbatimEscape('Q')).toBe(false)
  })

  it('keeps unknown, malformed and unterminated sequences as text', () => {
    expect(decodeEscapes('a\\Q\\b', D)).toBe('a\\Q\\b')
    expect(decodeEscapes('a\\XZZ\\b', D)).toBe('a\\XZZ\\b')
    expect(decodeEscapes('a\\X0\\b', D)).toBe('a\\X0\\b')
    expect(decodeEscapes('a\\b', D)).toBe('a\\b')
    expect(decodeEscapes('a\\\\F\\b', D)).toBe('a\\|b')
    expect(decodeEscapes('a\\P\\b', D)).toBe('a\\P\\b')
    expect(decodeEscapes('a\\P\\b', V27)).toBe('a#b')
  })

  it('escapes delimiters, the truncation character and control characters (never a raw CR or framing byte)', () => {
    expect(encodeEscapes('A|B^C&D~E\\F', D)).toBe('A\\F\\B\\S\\C\\T\\D\\R\\E\\E\\F')
    expect(encodeEscapes('line1\rline2\n\u000b\u001c', D)).toBe('line1\\X0D\\line2\\X0A\\\\X0B\\\\X1C\\')
    expect(encodeEscapes('tab\there', D)).toBe('tab\there')
    expect(encodeEscapes('50#', V27)).toBe('50\\P\\')
    expect(encodeEscapes('50#', D)).toBe('50#')
  })

  it('decode(encode(s)) === s for arbitrary text (seeded)', () => {
    const rnd = prng(0x5eed)
    const alphabet = ['a', 'Z', '0', ' ', '|', '^', '~', '\\', '&', '#', 'H', 'N', 'X', 'F', 'S', '.', 'b', 'r', '\r', '\n', '\u0000', '\u001c', 'é', '♥', '+', '-', '3']
    for (const d of [D, V27, readDelimiters('MSH#!@%*#')]) {
      for (let i = 0; i < 3000; i++) {
        const len = Math.floor(rnd() * 24)
        let s = ''
        for (let k = 0; k < len; k++) s += alphabet[Math.floor(rnd() * alphabet.length)]
        const enc = encodeEscapes(s, d)
        for (const framing of ['\r', '\n', '\u000b', '\u001c']) expect(enc.includes(framing)).toBe(false)
        for (const ch of [d.field, d.component, d.repetition, d.subcomponent]) {
          // an encoded leaf never contains a bare delimiter
          expect(enc.includes(ch)).toBe(false)
        }
        expect(decodeEscapes(enc, d)).toBe(s)
      }
    }
  })
})

describe('custom delimiters', () => {
  it('reads MSH-1/MSH-2 as declared, including the v2.7 truncation character', () => {
    const m = parseHl7('MSH#@!\\%#ATHENA#FAC#RECV#FAC#20260101##ADT@A01#C1#P#2.5\rPID#1##12345@@@ATHENA@MRN!67890@@@OTHER@MR##O\\F\\BRIEN@JO\\S\\HN\r')
    expect(m.delimiters).toEqual({ field: '#', component: '@', repetition: '!', escape: '\\', subcomponent: '%' })
    expect(m.get('MSH-1')).toBe('#')
    expect(m.get('MSH-2')).toBe('@!\\%')
    expect(m.messageType).toBe('ADT^A01')
    expect(m.get('PID-3(2).1')).toBe('67890')
    expect(m.get('PID-3(2).4')).toBe('OTHER')
    expect(m.get('PID-5.1')).toBe('O#BRIEN')
    expect(m.get('PID-5.2')).toBe('JO@HN')
    m.set('PID-5.1', 'A#B@C!D%E')
    expect(m.getRaw('PID-5.1')).toBe('A\\F\\B\\S\\C\\R\\D\\T\\E')
    expect(parseHl7(m.toString()).get('PID-5.1')).toBe('A#B@C!D%E')
  })

  it('accepts a ^ field separator with ~ components and | repetitions', () => {
    const m = parseHl7('MSH^~|\\&^SEND^200M^RECV^200^20120918^^ADT~A24^2003582144^T^2.4\rPID^1^^11111~~~FOO&&0363~NI|22222~~~BAR^^SMITH~JOHN\r')
    expect(m.messageType).toBe('ADT^A24')
    expect(m.get('PID-3.4.1')).toBe('FOO')
    expect(m.get('PID-3.4.3')).toBe('0363')
    expect(m.getAll('PID-3')).toEqual(['11111', '22222'])
    expect(m.get('PID-5.2')).toBe('JOHN')
  })

  it('treats # as the truncation character only when MSH-2 declares it', () => {
    const m = parseHl7('MSH|^~\\&#|A|B|C|D|20110708||RSP^K22^RSP_K21|1234|D|2.7\rNTE|1||50\\P\\ #1\r')
    expect(m.delimiters.truncation).toBe('#')
    expect(m.get('NTE-3')).toBe('50# #1')
  })
})
