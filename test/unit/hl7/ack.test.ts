import { describe, expect, it } from 'vitest'
import {
  ackErrorFor,
  ackPolicy,
  ackRequired,
  buildAck,
  buildRejectAck,
  decodeHl7Bytes,
  encodeHl7Text,
  frameMessage,
  Hl7ParseError,
  MllpFramer,
  newControlId,
  parseAck,
  parseHl7,
  readErr,
  readMsa,
  readMsh,
} from '../../../electron/engine/connectors/hl7'
import { corpusFiles, fixedClock, invalidFiles, validFiles } from './corpus-files'

const clock = fixedClock(Date.UTC(2024, 0, 2, 3, 4, 5))

const original = (version: string, extra = '') =>
  parseHl7(
    `MSH|^~\\&|SENDAPP^1.2.3^ISO|SENDFAC|RECVAPP|RECVFAC|20240101||ADT^A04^ADT_A01|CTRL\\F\\77|T|${version}${extra}\rPID|1||42\r`,
  )

describe('buildAck', () => {
  it('swaps sender and receiver, keeps version and processing id, echoes MSH-10 byte for byte', () => {
    const ack = parseHl7(buildAck(original('2.5.1'), { code: 'AA', clock, controlId: 'ACK1' }))
    const msh = readMsh(ack.header)
    expect(msh.sendingApplication).toEqual({ namespaceId: 'RECVAPP' })
    expect(msh.sendingFacility).toEqual({ namespaceId: 'RECVFAC' })
    expect(msh.receivingApplication).toEqual({ namespaceId: 'SENDAPP', universalId: '1.2.3', universalIdType: 'ISO' })
    expect(msh.receivingFacility).toEqual({ namespaceId: 'SENDFAC' })
    expect(msh.dateTime).toBe('20240102030405+0000')
    expect(msh.processingId).toBe('T')
    expect(msh.version).toBe('2.5.1')
    expect(ack.controlId).toBe('ACK1')
    expect(ack.getRaw('MSA-2')).toBe('CTRL\\F\\77')
    expect(ack.get('MSA-2')).toBe('CTRL|77')
    expect(ack.get('MSA-1')).toBe('AA')
    expect(ack.segmentsNamed('ERR')).toHaveLength(0)
  })

  it('writes MSH-9 as the version expects', () => {
    expect(original('2.1').segment('MSH')?.value(12)).toBe('2.1')
    expect(parseHl7(buildAck(original('2.1'), { code: 'AA', clock })).getRaw('MSH-9')).toBe('ACK')
    expect(parseHl7(buildAck(original('2.3'), { code: 'AA', clock })).getRaw('MSH-9')).toBe('ACK^A04')
    expect(parseHl7(buildAck(original('2.3.1'), { code: 'AA', clock })).getRaw('MSH-9')).toBe('ACK^A04^ACK')
    expect(parseHl7(buildAck(original('2.8'), { code: 'AA', clock })).getRaw('MSH-9')).toBe('ACK^A04^ACK')
  })

  it('lays out errors for v2.5+: ERR-2 location, ERR-3 code, ERR-4 severity, ERR-8 user message', () => {
    const text = buildAck(original('2.5.1'), {
      code: 'AE',
      clock,
      errors: [
        { code: '101', location: { segment: 'PID', sequence: 1, field: 3 }, userMessage: 'PID-3 is required', diagnostic: 'no identifier' },
        { code: '102', severity: 'W', location: { segment: 'PID', sequence: 1, field: 7, component: 1 } },
      ],
    })
    const ack = parseHl7(text)
    expect(ack.get('MSA-3')).toBe('PID-3 is required')
    const errs = ack.segmentsNamed('ERR').map(readErr)
    expect(errs).toHaveLength(2)
    expect(errs[0]).toMatchObject({
      locations: [{ segment: 'PID', sequence: '1', field: '3' }],
      hl7ErrorCode: { code: '101', text: 'Required field missing', system: 'HL70357' },
      severity: 'E',
      diagnosticInformation: 'no identifier',
      userMessage: 'PID-3 is required',
    })
    expect(errs[1]).toMatchObject({ locations: [{ segment: 'PID', sequence: '1', field: '7', component: '1' }], severity: 'W' })
    expect(readMsa(ack.segment('MSA')!)).not.toHaveProperty('errorCondition')
  })

  it('lays out errors for v2.3/v2.4: ERR-1 code and location, plus MSA-6', () => {
    for (const v of ['2.3', '2.4']) {
      const ack = parseHl7(buildAck(original(v), { code: 'AR', clock, errors: [{ code: '101', location: { segment: 'PID', sequence: 1, field: 3 } }, { code: '207' }] }))
      const err = readErr(ack.segment('ERR')!)
      expect(ack.segmentsNamed('ERR')).toHaveLength(1)
      expect(err.codeAndLocation).toEqual([
        { segment: 'PID', sequence: '1', field: '3', code: { code: '101', text: 'Required field missing', system: 'HL70357' } },
        { code: { code: '207', text: 'Application internal error', system: 'HL70357' } },
      ])
      expect(err.hl7ErrorCode).toBeUndefined()
      expect(readMsa(ack.segment('MSA')!).errorCondition).toEqual({ code: '101', text: 'Required field missing', system: 'HL70357' })
    }
  })

  it('omits MSA-3 from v2.7, where it is withdrawn, and carries the text in ERR-8', () => {
    const ack = parseHl7(buildAck(original('2.7'), { code: 'AE', text: 'could not store', clock }))
    expect(ack.get('MSA-3')).toBeUndefined()
    expect(ack.get('ERR-8')).toBe('could not store')
    expect(ack.get('ERR-3')).toBe('207')
  })

  it('builds enhanced-mode accept ACKs and reads the acknowledgment policy', () => {
    const msg = original('2.5.1', '|||AL|ER')
    expect(ackPolicy(msg)).toEqual({ mode: 'enhanced', accept: 'AL', application: 'ER' })
    expect(ackPolicy(original('2.5.1'))).toMatchObject({ mode: 'original' })
    expect(ackRequired('ER', true)).toBe(false)
    expect(ackRequired('ER', false)).toBe(true)
    expect(ackRequired('SU', true)).toBe(true)
    expect(ackRequired('NE', false)).toBe(false)
    for (const code of ['CA', 'CE', 'CR'] as const) {
      const ack = parseAck(buildAck(msg, { code, clock }))
      expect(ack.code).toBe(code)
      expect(ack.accepted).toBe(code === 'CA')
      expect(ack.controlId).toBe('CTRL|77')
    }
  })

  it('escapes text and never lets copied header fields break the frame', () => {
    const hostile = parseHl7('MSH|^~\\&|A\u001cB|F|R|RF|1||ADT^A01|ID\u000b1|P|2.5\r')
    const text = buildAck(hostile, { code: 'AE', text: 'bad | value\r\nnext', clock })
    expect(() => frameMessage(encodeHl7Text(text))).not.toThrow()
    const ack = parseHl7(text)
    expect(ack.get('MSA-2')).toBe('ID\u000b1')
    expect(ack.get('MSH-5')).toBe('A\u001cB')
    expect(ack.get('MSA-3')).toBe('bad | value\r\nnext')
  })

  it('generates distinct, compact control ids', () => {
    const ids = new Set(Array.from({ length: 200 }, () => newControlId(clock)))
    expect(ids.size).toBe(200)
    for (const id of ids) expect(id).toMatch(/^[0-9A-Z]{16}$/)
  })
})

describe('buildRejectAck (message could not be parsed)', () => {
  it.each(invalidFiles().map((f) => [f.name, f] as const))('%s gets a well-formed AR/CR', (_n, f) => {
    let error: unknown
    try {
      parseHl7(f.bytes, { strict: true })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(Hl7ParseError)
    const text = buildRejectAck(f.bytes, { error, clock, controlId: 'REJ1' })
    const ack = parseAck(text)
    expect(['AR', 'CR']).toContain(ack.code)
    expect(ack.errors[0]?.code).toBe((error as Hl7ParseError).hl7ErrorCode)
    expect(ack.errors[0]?.userMessage ?? ack.text).toBe((error as Hl7ParseError).message)
    expect(ack.ackControlId).toBe('REJ1')
    expect(() => frameMessage(encodeHl7Text(text))).not.toThrow()
  })

  it('echoes what it can read: control id, swapped apps, trigger; answers unsupported versions in 2.5.1', () => {
    const raw = 'MSH|^~\\&|SAPP|SFAC|RAPP|RFAC|2026||ADT^A01|MSG001|P|1.0\rPID|1'
    let error: unknown
    try {
      parseHl7(raw)
    } catch (e) {
      error = e
    }
    const ack = parseHl7(buildRejectAck(raw, { error, clock }))
    expect(ack.get('MSA-1')).toBe('AR')
    expect(ack.get('MSA-2')).toBe('MSG001')
    expect(ack.get('MSH-3')).toBe('RAPP')
    expect(ack.get('MSH-5')).toBe('SAPP')
    expect(ack.version).toBe('2.5.1')
    expect(ack.getRaw('MSH-9')).toBe('ACK^A01^ACK')
    expect(ack.get('ERR-3')).toBe('203')
    expect(ack.get('ERR-2')).toBe('MSH')
    expect(ack.get('ERR-2.3')).toBe('12')
  })

  it('copes with no MSH at all and with non-HL7 errors', () => {
    const ack = parseAck(buildRejectAck('garbage without header', { error: new Error('boom'), clock }))
    expect(ack).toMatchObject({ code: 'AR', controlId: '', errors: [{ code: '207', userMessage: 'Application internal error' }] })
    expect(ackErrorFor(undefined)).toMatchObject({ code: '207' })
    const custom = parseHl7(buildRejectAck(Buffer.from('MSH#@!\\%#A#B#C#D#1##ADT@A01#X1#P#2.5#'), { error: new Error('x'), clock, code: 'AE' }))
    expect(custom.delimiters.field).toBe('#')
    expect(custom.get('MSA-1')).toBe('AE')
    expect(custom.get('MSA-2')).toBe('X1')
  })
})

describe('parseAck on the corpus ACK files', () => {
  const acks = corpusFiles((f) => f === 'ACK')

  it.each(acks.map((f) => [f.name, f] as const))('%s', (_n, f) => {
    const ack = parseAck(decodeHl7Bytes(f.bytes))
    const msg = parseHl7(f.bytes)
    expect(ack.code).toBe(msg.get('MSA-1'))
    expect(ack.controlId).toBe(msg.get('MSA-2') ?? '')
    expect(ack.accepted).toBe(ack.code === 'AA' || ack.code === 'CA')
    if (ack.code !== 'AA') expect(ack.code).toMatch(/^A[ER]$/)
  })

  it('reads ERR in both layouts and the multi-byte control id', () => {
    const byName = (n: string) => parseAck((acks.find((f) => f.name.includes(n)) as (typeof acks)[number]).bytes)
    expect(byName('ACK_V04-AR-with-ERR')).toMatchObject({
      code: 'AR',
      controlId: '9299381',
      errors: [{ code: '203', codeText: 'unsupported version id', severity: 'E', location: 'MSH-12', userMessage: 'Unsupported HL7 Version ID-Message rejected' }],
    })
    expect(byName('ACK-AE-with-ERR')).toMatchObject({ code: 'AE', text: "Patient id was not found, must be of type 'MR'", errors: [{ location: 'PID-3' }] })
    expect(byName('ACK-AA-v261')).toMatchObject({ code: 'AA', controlId: '9B38584D', text: 'Everything was okay dokay!' })
    const mb = acks.find((f) => f.name.includes('multibyte')) as (typeof acks)[number]
    expect(parseAck(mb.bytes).controlId).toBe('I♥HAPI')
    // Lengths are bytes on the wire: the framed ACK is exactly 3 bytes longer than its UTF-8 payload.
    const framed = frameMessage(mb.bytes)
    expect(framed.length).toBe(mb.bytes.length + 3)
    const got: Buffer[] = []
    const framer = new MllpFramer({ onFrame: (p) => got.push(p), maxFrameBytes: mb.bytes.length })
    framer.push(framed)
    expect(got[0]?.equals(mb.bytes)).toBe(true)
    expect(got[0]?.length).toBeGreaterThan(mb.bytes.toString('utf8').length)
  })

  it('reads MSA on application responses (ORF^R04 with MSA|CA)', () => {
    const orf = validFiles().filter((f) => f.folder === 'ORF_R04').map((f) => parseAck(f.bytes))
    expect(orf.map((a) => a.code)).toContain('CA')
  })

  it('refuses responses without a usable MSA', () => {
    expect(() => parseAck('MSH|^~\\&|A|B|C|D|1||ACK|1|P|2.5\r')).toThrow(Hl7ParseError)
    expect(() => parseAck('MSH|^~\\&|A|B|C|D|1||ACK|1|P|2.5\rMSA|OK|1\r')).toThrow(Hl7ParseError)
    expect(parseAck('MSH|^~\\&|A|B|C|D|1||ACK|1|P|2.9\rMSA|AA|1\r').version).toBe('2.9')
  })
})
