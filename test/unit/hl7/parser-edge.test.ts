import { describe, expect, it } from 'vitest'
import type { AppError } from '../../../shared/errors'
import {
  decodeHl7Bytes,
  encodeHl7Text,
  Hl7ParseError,
  parseHl7,
  parseHl7Batch,
  peekHl7Charset,
  type Hl7ParseReason,
} from '../../../electron/engine/connectors/hl7'

const MSH = 'MSH|^~\\&|APP|FAC|RAPP|RFAC|20240101120000||ADT^A08^ADT_A01|C1|P|2.5.1'
const BODY = ['EVN|A08|20240101', 'PID|1||42^^^HOSP^MR||DOE^JANE||19700101|F', 'ZPD|custom|value^x']

function reason(fn: () => unknown): Hl7ParseReason | undefined {
  try {
    fn()
    return undefined
  } catch (e) {
    expect(e).toBeInstanceOf(Hl7ParseError)
    return (e as Hl7ParseError).reason
  }
}

describe('segment separators and framing noise', () => {
  const lines = [MSH, ...BODY]
  it.each([
    ['CR', lines.join('\r') + '\r'],
    ['LF', lines.join('\n') + '\n'],
    ['CRLF', lines.join('\r\n') + '\r\n'],
    ['mixed', lines.join('\r\n').replace('\r\nPID', '\nPID').replace('\r\nZPD', '\rZPD')],
    ['no final terminator', lines.join('\r')],
    ['BOM + blank lines', '\uFEFF\r\n\r\n' + lines.join('\r\n') + '\r\n\r\n'],
    ['trailing delimiters', lines.map((l) => l + '|||').join('\r')],
  ])('%s', (_name, text) => {
    const m = parseHl7(text)
    expect(m.segments.map((s) => s.id)).toEqual(['MSH', 'EVN', 'PID', 'ZPD'])
    expect(m.messageType).toBe('ADT^A08')
    expect(m.structure).toBe('ADT_A01')
    expect(m.get('PID-5.2')).toBe('JANE')
    expect(m.get('ZPD-2.2')).toBe('x')
    const out = m.toString()
    expect(out.includes('\n')).toBe(false)
    expect(out.endsWith('\r')).toBe(true)
    expect(out.split('\r').slice(0, -1).map((l) => l.slice(0, 3))).toEqual(['MSH', 'EVN', 'PID', 'ZPD'])
  })

  it('reads versions 2.1 through 2.8 (with patch levels) and refuses others', () => {
    for (const v of ['2.1', '2.2', '2.3', '2.3.1', '2.4', '2.5', '2.5.1', '2.6', '2.7', '2.7.1', '2.8', '2.8.2', '2.5.1^USA']) {
      expect(parseHl7(MSH.replace('|2.5.1', `|${v}`)).version).toBe(v.split('^')[0])
    }
    for (const v of ['1.0', '3.0', '2.9', '2.8.10000', 'abc']) expect(reason(() => parseHl7(MSH.replace('|2.5.1', `|${v}`)))).toBe('unsupported_version')
    expect(reason(() => parseHl7(MSH.replace('|2.5.1', '|')))).toBe('missing_version')
    expect(parseHl7(MSH.replace('|2.5.1', '|9.9'), { anyVersion: true }).version).toBe('9.9')
  })

  it('takes the v2.1 trigger event from EVN-1 when MSH-9 carries only the code', () => {
    expect(parseHl7('MSH|^~\\&|A|B|C|D|198808181126||ADT|C1|P|2.1\rEVN|A04|198808181123').messageType).toBe('ADT^A04')
  })

  it.each<[string, string, Hl7ParseReason]>([
    ['empty', '\r\n  \r\n', 'empty_input'],
    ['no MSH', 'PID|1', 'missing_msh'],
    ['alphanumeric field separator', 'MSHA^~\\&A', 'invalid_field_separator'],
    ['short MSH-2', 'MSH|^~|A|B|C|D|1||ADT^A01|1|P|2.5', 'invalid_encoding_characters'],
    ['duplicate encoding char', 'MSH|^^\\&|A|B|C|D|1||ADT^A01|1|P|2.5', 'invalid_encoding_characters'],
    ['no MSH-9', 'MSH|^~\\&|A|B|C|D|1|||1|P|2.5', 'missing_message_type'],
    ['lowercase segment id', MSH + '\rpid|1', 'invalid_segment_id'],
    ['four-letter segment id', MSH + '\rPIDX|1', 'invalid_segment_id'],
    ['second MSH', MSH + '\r' + MSH, 'multiple_messages'],
    ['batch segment inside', MSH + '\rBTS|1', 'unexpected_segment'],
    ['batch envelope given to parseHl7', 'FHS|^~\\&\r' + MSH, 'unexpected_segment'],
  ])('rejects %s', (_name, text, expected) => {
    expect(reason(() => parseHl7(text))).toBe(expected)
  })

  it('strict mode refuses what tolerant parsing keeps', () => {
    const tolerant = parseHl7(MSH.replace('|C1|', '||') + '\rPID|1||x|||')
    expect(tolerant.warnings.map((w) => w.reason)).toEqual(['missing_control_id'])
    expect(reason(() => parseHl7(MSH.replace('|C1|', '||'), { strict: true }))).toBe('missing_control_id')
    expect(reason(() => parseHl7(MSH + '\rPID|1||x|||', { strict: true }))).toBe('trailing_delimiters')
    expect(reason(() => parseHl7(MSH + '\rPID|1||x\u0000y', { strict: true }))).toBe('control_characters')
    const doubled = parseHl7(MSH.replace('^~\\&', '^~\\\\&'))
    expect(doubled.delimiters.escape).toBe('\\')
    expect(doubled.warnings.map((w) => w.reason)).toEqual(['doubled_escape_character'])
    expect(reason(() => parseHl7(MSH.replace('^~\\&', '^~\\\\&'), { strict: true }))).toBe('doubled_escape_character')
  })

  it('errors name positions, never field values', () => {
    try {
      parseHl7(MSH + '\rPID|1||SECRET-NAME\r  BAD SEGMENT')
    } catch (e) {
      const err = e as Hl7ParseError
      expect(err.message).not.toContain('SECRET')
      expect(err.segmentIndex).toBe(3)
      expect(err.toData()).toMatchObject({ code: 'parse_error', retryable: false, details: { reason: 'invalid_segment_id', hl7ErrorCode: '100' } })
    }
  })
})

describe('batches', () => {
  const msg = (id: string) => [MSH.replace('|C1|', `|${id}|`), ...BODY].join('\r')

  it('splits back-to-back messages without envelopes', () => {
    const b = parseHl7Batch(`${msg('A')}\n${msg('B')}\r\n\r\n${msg('C')}`)
    expect(b.messages.map((m) => m.controlId)).toEqual(['A', 'B', 'C'])
    expect(b.groups).toHaveLength(1)
    expect(b.warnings).toEqual([])
  })

  it('reads FHS/BHS/BTS/FTS and checks the trailer counts', () => {
    const text = ['FHS|^~\\&|S', 'BHS|^~\\&|S', msg('A'), msg('B'), 'BTS|2', 'BHS|^~\\&|S', msg('C'), 'BTS|1', 'FTS|2'].join('\r')
    const b = parseHl7Batch(text)
    expect(b.fileHeader?.value(3)).toBe('S')
    expect(b.groups.map((g) => g.messages.length)).toEqual([2, 1])
    expect(b.groups.map((g) => g.trailer?.value(1))).toEqual(['2', '1'])
    expect(b.fileTrailer?.value(1)).toBe('2')
    expect(b.messages[1]?.raw).toBe(msg('B') + '\r')

    const wrong = parseHl7Batch(text.replace('BTS|2', 'BTS|3'))
    expect(wrong.messages).toHaveLength(3)
    expect(wrong.warnings).toMatchObject([{ reason: 'batch_count_mismatch', segmentIndex: 11 }])
    expect(reason(() => parseHl7Batch(text.replace('FTS|2', 'FTS|5'), { strict: true }))).toBe('batch_count_mismatch')
  })

  it('rejects broken envelopes', () => {
    expect(reason(() => parseHl7Batch(['BHS|^~\\&', 'EVN|A01', 'BTS|0'].join('\r')))).toBe('segment_outside_message')
    expect(reason(() => parseHl7Batch([msg('A'), 'FHS|^~\\&'].join('\r')))).toBe('unexpected_segment')
    expect(reason(() => parseHl7Batch([msg('A'), 'FTS|1', msg('B')].join('\r')))).toBe('unexpected_segment')
    expect(reason(() => parseHl7Batch(['FHS|^~\\&', 'FTS|0'].join('\r')))).toBe('missing_msh')
    expect(reason(() => parseHl7Batch([msg('A'), 'PIDX|1'].join('\r')))).toBe('invalid_segment_id')
  })

  it('reports errors inside a batch member with the file position', () => {
    try {
      parseHl7Batch([msg('A'), msg('B').replace('|2.5.1', '|1.0')].join('\r'))
      expect.unreachable()
    } catch (e) {
      expect((e as Hl7ParseError).reason).toBe('unsupported_version')
      expect((e as Hl7ParseError).segmentIndex).toBe(5)
    }
  })
})

describe('character sets', () => {
  const withCharset = (cs: string, body: string) => `${MSH}||||||${cs}\rPID|1||1||${body}\r`

  it('peeks MSH-18 from the bytes', () => {
    expect(peekHl7Charset(Buffer.from(withCharset('8859/1', 'X')))).toBe('8859/1')
    expect(peekHl7Charset(Buffer.from(withCharset('UNICODE UTF-8~8859/1', 'X')))).toBe('UNICODE UTF-8')
    expect(peekHl7Charset(Buffer.from(`FHS|^~\\&\rBHS|^~\\&\r${withCharset('ASCII', 'X')}`))).toBe('ASCII')
    expect(peekHl7Charset(Buffer.from(MSH))).toBeUndefined()
  })

  it('decodes per the declaration: UTF-8, 8859/1, 8859/2, ASCII, and the default', () => {
    const name = 'MÜLLER^JOSÉ'
    expect(parseHl7(Buffer.from(withCharset('UNICODE UTF-8', name), 'utf8')).get('PID-5.2')).toBe('JOSÉ')
    expect(parseHl7(Buffer.from(withCharset('8859/1', name), 'latin1')).get('PID-5.1')).toBe('MÜLLER')
    const l2 = Buffer.from(withCharset('8859/2', 'X'), 'latin1')
    l2[l2.length - 2] = 0xb1 // ą in ISO-8859-2
    expect(decodeHl7Bytes(l2)).toContain('ą')
    // "ASCII" with valid UTF-8 high bytes is mislabelled UTF-8; with invalid UTF-8, a single-byte reading.
    expect(decodeHl7Bytes(Buffer.from(withCharset('ASCII', name), 'utf8'))).toContain('JOSÉ')
    expect(decodeHl7Bytes(Buffer.from(withCharset('ASCII', name), 'latin1'))).toContain('JOSÉ')
    expect(decodeHl7Bytes(Buffer.from(`${MSH}\rPID|1||1||${name}`, 'latin1'), { defaultCharset: '8859/1' })).toContain('MÜLLER')
    expect(decodeHl7Bytes(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${MSH}\r`)])).startsWith('MSH')).toBe(true)
  })

  it('shows invalid bytes as U+FFFD without repairing them', () => {
    const b = Buffer.from(withCharset('UNICODE UTF-8', 'AB'), 'utf8')
    b[b.length - 2] = 0xff
    expect(decodeHl7Bytes(b)).toContain('A\uFFFD')
  })

  it('refuses UTF-16/32 and unknown character sets', () => {
    expect(reason(() => decodeHl7Bytes(Buffer.from(withCharset('UNICODE UTF-16', 'X'))))).toBe('unsupported_charset')
    expect(reason(() => decodeHl7Bytes(Buffer.from([0xff, 0xfe, 0x4d, 0x00])))).toBe('unsupported_charset')
    expect(reason(() => decodeHl7Bytes(Buffer.from(withCharset('KLINGON', 'X'))))).toBe('unsupported_charset')
    try {
      decodeHl7Bytes(Buffer.from(withCharset('KLINGON', 'X')))
    } catch (e) {
      expect((e as AppError).code).toBe('unsupported_message')
    }
  })

  it('decodes \\X..\\ escapes in the message charset', () => {
    expect(parseHl7(withCharset('8859/1', 'caf\\XE9\\')).get('PID-5')).toBe('café')
    expect(parseHl7(withCharset('UNICODE UTF-8', 'caf\\XC3A9\\')).get('PID-5')).toBe('café')
  })

  it('encodes outgoing text in the named charset', () => {
    expect(encodeHl7Text('é♥', 'UNICODE UTF-8')).toEqual(Buffer.from('é♥', 'utf8'))
    expect(encodeHl7Text('é♥', '8859/1')).toEqual(Buffer.from([0xe9, 0x3f]))
    expect(encodeHl7Text('é', undefined)).toEqual(Buffer.from('é', 'utf8'))
  })
})
