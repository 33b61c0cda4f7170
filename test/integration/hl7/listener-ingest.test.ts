/**
 * The inbound listener against a real engine: durable before acknowledged, ACK content, duplicates,
 * malformed input in the error queue with its raw bytes, enhanced and application acknowledgment
 * modes, storage failures answered AE, charsets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseAck, parseHl7, parseHl7Batch } from '../../../electron/engine/connectors/hl7'
import { AppError } from '../../../shared/errors'
import { adtMsg, MllpTestClient, openHl7Engine, randomId, siuMsg, until, type Hl7TestEngine } from './support'

let t: Hl7TestEngine
let port: number

beforeAll(async () => {
  t = await openHl7Engine()
  // Refusing types it does not process (the policy interfaces had before 0110) is what these cases exercise.
  port = (await t.addInbound('adt-in', { unsupportedTypes: 'reject' })).port
})
afterAll(async () => {
  await t?.close()
})

describe('commit mode (store and forward)', () => {
  it('answers AA only once the raw message is stored; the ACK swaps sender and receiver and keeps the version', async () => {
    const c = await MllpTestClient.connect(port)
    const control = `C${randomId()}`
    const text = adtMsg({ control })
    const ackBytes = await c.send(text)
    // The row exists by the time the ACK is on the wire.
    const rows = t.rows('control_id = ?', control)
    expect(rows).toHaveLength(1)
    expect(rows[0]!.raw.equals(Buffer.from(text))).toBe(true)
    expect(rows[0]).toMatchObject({ connector: 'hl7', channel: 'adt-in', direction: 'in', message_type: 'ADT^A04', dedup_key: `REGADT|RIVERSIDE|${control}`, content_type: 'hl7v2' })
    expect(rows[0]!.response).toBe(ackBytes.toString('utf8'))
    const ack = parseHl7(ackBytes)
    expect(ack.get('MSH-3')).toBe('PRACTICESTUDIO')
    expect(ack.get('MSH-4')).toBe('CLINIC')
    expect(ack.get('MSH-5')).toBe('REGADT')
    expect(ack.get('MSH-6')).toBe('RIVERSIDE')
    expect(ack.version).toBe('2.5.1')
    expect(ack.messageType).toBe('ACK^A04')
    expect(parseAck(ackBytes)).toMatchObject({ code: 'AA', controlId: control })
    c.close()
  })

  it('a duplicate (same MSH-3, MSH-4, MSH-10) gets the original ACK byte for byte and creates nothing', async () => {
    const c = await MllpTestClient.connect(port)
    const control = `D${randomId()}`
    const first = await c.send(adtMsg({ control }))
    await t.idle()
    const before = t.rows().length
    const again = await c.send(adtMsg({ control }))
    const c2 = await MllpTestClient.connect(port)
    const third = await c2.send(adtMsg({ control }))
    expect(again.equals(first)).toBe(true)
    expect(third.equals(first)).toBe(true)
    expect(t.rows().length).toBe(before)
    expect(t.rows('control_id = ?', control)).toHaveLength(1)
    // The same control id from another facility is another message.
    const other = await c.sendAck(adtMsg({ control, facility: 'NORTHSIDE' }))
    expect(other).toMatchObject({ code: 'AA', controlId: control })
    expect(t.rows('control_id = ?', control)).toHaveLength(2)
    c.close()
    c2.close()
  })

  it('processes frames of one connection in order, one at a time', async () => {
    const c = await MllpTestClient.connect(port)
    const ids = Array.from({ length: 20 }, (_, i) => `O${randomId()}${i}`)
    c.write(Buffer.concat(ids.map((id) => Buffer.from(`\x0b${adtMsg({ control: id })}\x1c\r`))))
    const acks = []
    for (let i = 0; i < ids.length; i++) acks.push(parseAck(await c.next()))
    expect(acks.map((a) => a.controlId)).toEqual(ids)
    const stored = t.rows(`control_id IN (${ids.map(() => '?').join(',')})`, ...ids)
    expect(stored.map((r) => r.control_id)).toEqual(ids)
    c.close()
  })
})

describe('malformed and refused input is stored in the error queue with its raw bytes and answered', () => {
  const cases: { name: string; bytes: Buffer; code: 'AR' | 'AE' | 'CR'; err: string; text: RegExp; hl7: string }[] = [
    { name: 'no MSH at all', bytes: Buffer.from('PID|1||X^^^Y^MR||DOE^JANE\rPV1|1|O\r'), code: 'AR', err: 'parse_error', text: /does not start with an MSH/, hl7: '100' },
    { name: 'broken MSH-2', bytes: Buffer.from('MSH|^~|APP|FAC|R|RF|20260101||ADT^A04|BADMSH2|P|2.5.1\rPID|1\r'), code: 'AR', err: 'parse_error', text: /MSH-2/, hl7: '102' },
    { name: 'unsupported version', bytes: Buffer.from('MSH|^~\\&|APP|FAC|R|RF|20260101||ADT^A04|BADVER|P|3.0\rPID|1\r'), code: 'AR', err: 'unsupported_message', text: /MSH-12/, hl7: '203' },
    { name: 'an invalid segment id', bytes: Buffer.from('MSH|^~\\&|APP|FAC|R|RF|20260101||ADT^A04|BADSEG|P|2.5.1\rP!D|1\r'), code: 'AR', err: 'parse_error', text: /valid segment id/, hl7: '100' },
    { name: 'an unsupported message type', bytes: Buffer.from('MSH|^~\\&|APP|FAC|R|RF|20260101||ORM^O01|BADTYPE|P|2.5.1\rPID|1\r'), code: 'AR', err: 'unsupported_message', text: /ORM\^O01 is not supported/, hl7: '200' },
    { name: 'an unsupported trigger of a known type', bytes: Buffer.from('MSH|^~\\&|APP|FAC|R|RF|20260101||ADT^A02|BADTRIG|P|2.5.1\rPID|1\r'), code: 'AR', err: 'unsupported_message', text: /ADT\^A02 is not supported/, hl7: '201' },
    { name: 'an enhanced-mode message of an unsupported type', bytes: Buffer.from('MSH|^~\\&|APP|FAC|R|RF|20260101||VXU^V04|BADENH|P|2.5.1|||AL|NE\rPID|1\r'), code: 'CR', err: 'unsupported_message', text: /VXU\^V04/, hl7: '200' },
  ]
  for (const k of cases) {
    it(k.name, async () => {
      const c = await MllpTestClient.connect(port)
      const before = t.rows().length
      const reply = await c.send(k.bytes)
      const ack = parseAck(reply)
      expect(ack.code).toBe(k.code)
      expect(ack.text ?? ack.errors[0]?.userMessage).toMatch(k.text)
      expect(ack.errors[0]?.code).toBe(k.hl7)
      const rows = t.rows()
      expect(rows.length).toBe(before + 1)
      const row = rows[rows.length - 1]!
      expect(row.raw.equals(k.bytes)).toBe(true)
      expect(row).toMatchObject({ status: 'error', error_code: k.err, channel: 'adt-in', response: reply.toString('utf8') })
      expect(row.error_message).toMatch(k.text)
      c.close()
    })
  }

  it('echoes MSH-10 of a message it could only half read', async () => {
    const c = await MllpTestClient.connect(port)
    const ack = parseAck(await c.send('MSH|^~\\&|APP|FAC|R|RF|20260101||ADT^A04|HALF1|P|2.5.1\rZZ\r'))
    expect(ack).toMatchObject({ code: 'AR', controlId: 'HALF1' })
    c.close()
  })

  it("with unsupportedTypes reject, an interface's messageTypes list refuses other types with AR", async () => {
    const { port: p2 } = await t.addInbound('adt-only', { messageTypes: ['ADT'], unsupportedTypes: 'reject' })
    const c = await MllpTestClient.connect(p2)
    expect(await c.sendAck(adtMsg({ control: 'ONLY1' }))).toMatchObject({ code: 'AA' })
    const refused = await c.sendAck(siuMsg({ control: 'ONLY2', trigger: 'S12', appt: 'A1' }))
    expect(refused.code).toBe('AR')
    expect(refused.text).toMatch(/not accepted by interface "adt-only"/)
    expect(t.rows("channel = 'adt-only' AND control_id = 'ONLY2'")[0]).toMatchObject({ status: 'error', error_code: 'unsupported_message' })
    c.close()
  })
})

describe('a frame holding several messages (batch)', () => {
  /** Each ACK of a reply frame: [MSA-1, MSA-2]. */
  const acksOf = (reply: Buffer): string[][] => parseHl7Batch(reply.toString('latin1')).messages.map((m) => [m.get('MSA-1') ?? '', m.get('MSA-2') ?? ''])
  const done = (control: string) => until(() => t.rows('control_id = ?', control).every((r) => r.status === 'done') && t.rows('control_id = ?', control).length === 1, `${control} processed`)

  it('several MSH back to back: each is stored, processed and acknowledged in order; the ACKs come back to back in one frame', async () => {
    const c = await MllpTestClient.connect(port)
    const [a, b] = [`TWO${randomId()}`, `TWO${randomId()}`]
    const texts = [adtMsg({ control: a, mrn: `M${a}` }), adtMsg({ control: b, mrn: `M${b}` })]
    const reply = await c.send(texts.join(''))
    expect(acksOf(reply)).toEqual([
      ['AA', a],
      ['AA', b],
    ])
    expect(reply.toString('latin1').startsWith('MSH')).toBe(true)
    for (const [i, control] of [a, b].entries()) {
      const [row] = t.rows('control_id = ?', control)
      expect(row!.raw.toString('latin1').replace(/\r$/, '')).toBe(texts[i]!.replace(/\r$/, ''))
      await done(control)
    }
    for (const control of [a, b]) expect(t.engine.ctx.records.findByExternalId('sandbox', 'patient', 'mrn:RIVERSIDE', `M${control}`)).not.toBeNull()
    c.close()
  })

  it('an FHS/BHS batch gets a batch ACK: one ACK per message in order (a resend answered as a duplicate, a refused type AR), BHS-12 naming the batch, BTS-1 counting the ACKs', async () => {
    const c = await MllpTestClient.connect(port)
    const id = randomId()
    const [dup, b1, bad, b2] = [`BD${id}`, `B1${id}`, `BX${id}`, `B2${id}`]
    expect((await c.sendAck(adtMsg({ control: dup, mrn: `M${dup}` }))).code).toBe('AA')
    const refused = `MSH|^~\\&|APP|FAC|R|RF|20260101||ORM^O01|${bad}|P|2.5.1\rPID|1\r`
    const frame = [
      `FHS|^~\\&|SAPP|SFAC|RAPP|RFAC|20260601091500||||F${id}`,
      `BHS|^~\\&|SAPP|SFAC|RAPP|RFAC|20260601091500||||B${id}`,
      adtMsg({ control: dup, mrn: `M${dup}` }).replace(/\r$/, ''),
      adtMsg({ control: b1, mrn: `M${b1}` }).replace(/\r$/, ''),
      refused.replace(/\r$/, ''),
      adtMsg({ control: b2, mrn: `M${b2}` }).replace(/\r$/, ''),
      'BTS|4',
      'FTS|1',
    ].join('\r')
    const reply = await c.send(frame + '\r')
    const text = reply.toString('latin1')
    const lines = text.split('\r').filter(Boolean)
    expect(lines[0]!.startsWith('FHS|')).toBe(true)
    expect(lines[0]!.split('|')[11]).toBe(`F${id}`)
    expect(lines[1]!.startsWith('BHS|')).toBe(true)
    // Sender and receiver swapped; BHS-12 names the received BHS-11.
    expect(lines[1]!.split('|').slice(2, 6)).toEqual(['RAPP', 'RFAC', 'SAPP', 'SFAC'])
    expect(lines[1]!.split('|')[11]).toBe(`B${id}`)
    expect(lines.slice(-2)).toEqual(['BTS|4', 'FTS|1'])
    expect(acksOf(reply)).toEqual([
      ['AA', dup],
      ['AA', b1],
      ['AR', bad],
      ['AA', b2],
    ])
    // Stored once each (the resend is the first row), the refused one in the error queue.
    expect(t.rows('control_id = ?', dup)).toHaveLength(1)
    expect(t.rows('control_id = ?', bad)[0]).toMatchObject({ status: 'error', error_code: 'unsupported_message' })
    for (const control of [dup, b1, b2]) await done(control)
    c.close()
  })
})

describe('enhanced acknowledgment mode (MSH-15/16)', () => {
  it('MSH-15 AL gets a CA after the commit', async () => {
    const c = await MllpTestClient.connect(port)
    const ack = await c.sendAck(adtMsg({ control: 'ENH1', msh15: 'AL', msh16: 'NE' }))
    expect(ack).toMatchObject({ code: 'CA', controlId: 'ENH1' })
    c.close()
  })

  it('MSH-15 NE gets no accept ACK but is stored; the connection keeps working', async () => {
    const c = await MllpTestClient.connect(port)
    c.write(`\x0b${adtMsg({ control: 'ENH2', msh15: 'NE', msh16: 'AL' })}\x1c\r`)
    const next = await c.sendAck(adtMsg({ control: 'ENH3' }))
    expect(next).toMatchObject({ code: 'AA', controlId: 'ENH3' })
    expect(t.rows("control_id = 'ENH2'")).toHaveLength(1)
    expect(c.acks).toHaveLength(0)
    c.close()
  })

  it("acceptAcks 'always' answers senders that say NE", async () => {
    const { port: p2 } = await t.addInbound('always-ack', { acceptAcks: 'always' })
    const c = await MllpTestClient.connect(p2)
    expect(await c.sendAck(adtMsg({ control: 'ENH4', msh15: 'NE', msh16: 'NE' }))).toMatchObject({ code: 'CA', controlId: 'ENH4' })
    c.close()
  })
})

describe('application acknowledgment mode', () => {
  let p2: number
  beforeAll(async () => {
    p2 = (await t.addInbound('app-ack', { ackMode: 'application', filters: [{ name: 'no-training', action: 'reject', processingIds: ['T'] }] })).port
  })

  it('AA only after processing succeeded', async () => {
    const c = await MllpTestClient.connect(p2)
    const ack = await c.sendAck(adtMsg({ control: 'APP1', mrn: 'APPMRN1' }))
    expect(ack).toMatchObject({ code: 'AA', controlId: 'APP1' })
    expect(t.rows("channel = 'app-ack' AND control_id = 'APP1'")[0]!.status).toBe('done')
    c.close()
  })

  it('AE with the error text when processing fails, and the same AE for a duplicate', async () => {
    const c = await MllpTestClient.connect(p2)
    const bytes = await c.send(adtMsg({ control: 'APP2', mrn: 'APPMRN2', sex: 'Q' }))
    const ack = parseAck(bytes)
    expect(ack.code).toBe('AE')
    expect(ack.text).toMatch(/PID-8 → gender: code 'Q' not in code map hl7_sex/)
    expect(t.rows("channel = 'app-ack' AND control_id = 'APP2'")[0]).toMatchObject({ status: 'error', error_code: 'code_map_miss' })
    const dup = await c.send(adtMsg({ control: 'APP2', mrn: 'APPMRN2', sex: 'Q' }))
    expect(parseAck(dup)).toMatchObject({ code: 'AE', controlId: 'APP2' })
    c.close()
  })

  it('AA for a filtered message', async () => {
    const c = await MllpTestClient.connect(p2)
    const ack = await c.sendAck(adtMsg({ control: 'APP3', processing: 'T' }))
    expect(ack.code).toBe('AA')
    expect(t.rows("channel = 'app-ack' AND control_id = 'APP3'")[0]).toMatchObject({ status: 'filtered', filtered_by: 'no-training' })
    c.close()
  })

  it('a BHS batch gets a batch ACK whose members are application ACKs sent after processing: AA done, AE with the error, AA filtered', async () => {
    const c = await MllpTestClient.connect(p2)
    const id = randomId()
    const [ok, bad, training, other] = [`AB1${id}`, `AB2${id}`, `AB3${id}`, `AB4${id}`]
    const frame = [
      `BHS|^~\\&|SAPP|SFAC|RAPP|RFAC|20260601091500||||B${id}`,
      adtMsg({ control: ok, mrn: `M${ok}` }).replace(/\r$/, ''),
      adtMsg({ control: bad, mrn: `M${bad}`, sex: 'Q' }).replace(/\r$/, ''),
      adtMsg({ control: training, processing: 'T' }).replace(/\r$/, ''),
      `MSH|^~\\&|APP|FAC|R|RF|20260101||ORM^O01|${other}|P|2.5.1\rPID|1`, // a type this interface does not process
      'BTS|4',
    ].join('\r')
    const reply = await c.send(frame + '\r')
    const batch = parseHl7Batch(reply.toString('latin1'), { strict: true })
    expect(reply.toString('latin1').split('\r')[0]!.split('|')[11]).toBe(`B${id}`)
    expect(batch.messages.map((m) => [m.get('MSA-1'), m.get('MSA-2')])).toEqual([
      ['AA', ok],
      ['AE', bad],
      ['AA', training],
      ['AA', other],
    ])
    expect(parseAck(Buffer.from(batch.messages[1]!.raw)).text).toMatch(/^Mapping hl7\.adt\.patient\.in failed: PID-8 .*hl7_sex/)
    // Each was processed before the batch ACK left: its outcome is what its member ACK says.
    const status = (control: string) => t.rows("channel = 'app-ack' AND control_id = ?", control)[0]
    expect(status(ok)).toMatchObject({ status: 'done' })
    expect(status(bad)).toMatchObject({ status: 'error', error_code: 'code_map_miss' })
    expect(status(training)).toMatchObject({ status: 'filtered' })
    expect(status(other)).toMatchObject({ status: 'filtered' })
    expect(t.engine.ctx.records.findByExternalId('sandbox', 'patient', 'mrn:RIVERSIDE', `M${ok}`)).not.toBeNull()
    // A resend of the batch gets the same outcomes (duplicates answered from their stored outcome).
    const again = parseHl7Batch((await c.send(frame + '\r')).toString('latin1'))
    expect(again.messages.map((m) => m.get('MSA-1'))).toEqual(['AA', 'AE', 'AA', 'AA'])
    expect(t.rows("channel = 'app-ack' AND control_id = ?", ok)).toHaveLength(1)
    c.close()
  })

  it('enhanced-mode messages still get CA on commit', async () => {
    const c = await MllpTestClient.connect(p2)
    expect(await c.sendAck(adtMsg({ control: 'APP4', msh15: 'AL', msh16: 'AL' }))).toMatchObject({ code: 'CA' })
    c.close()
  })
})

describe('when the message cannot be stored', () => {
  it('answers AE (never AA) and stores nothing', async () => {
    const pipeline = t.engine.ctx.pipeline
    const original = { receive: pipeline.receive.bind(pipeline), accept: pipeline.accept.bind(pipeline) }
    const full = () => Promise.reject(new AppError('storage_full', 'The disk is full: the message was not stored.'))
    pipeline.receive = full
    pipeline.accept = full
    try {
      const c = await MllpTestClient.connect(port)
      const ack = await c.sendAck(adtMsg({ control: 'FULL1' }))
      expect(ack.code).toBe('AE')
      expect(ack.text).toMatch(/could not be stored \(storage_full\)/)
      const enh = await c.sendAck(adtMsg({ control: 'FULL2', msh15: 'AL' }))
      expect(enh.code).toBe('CE')
      c.close()
    } finally {
      pipeline.receive = original.receive
      pipeline.accept = original.accept
    }
    expect(t.rows("control_id IN ('FULL1','FULL2')")).toHaveLength(0)
  })
})

describe('character sets', () => {
  it('decodes per MSH-18 and stores the bytes as received', async () => {
    const c = await MllpTestClient.connect(port)
    const text = adtMsg({ control: 'CS1', mrn: 'CSMRN1', last: 'MÜLLER' }).replace('|2.5.1\r', '|2.5.1||||||8859/1\r')
    const bytes = Buffer.from(text, 'latin1')
    expect(await c.sendAck(bytes)).toMatchObject({ code: 'AA' })
    await t.idle()
    const row = t.rows("control_id = 'CS1'")[0]!
    expect(row.raw.equals(bytes)).toBe(true)
    expect(row.status).toBe('done')
    const patient = t.engine.ctx.records.findByExternalId('sandbox', 'patient', 'mrn:RIVERSIDE', 'CSMRN1')
    expect(patient?.data.last_name).toBe('MÜLLER')
    c.close()
  })

  it('refuses UTF-16 with AR and keeps the bytes', async () => {
    const c = await MllpTestClient.connect(port)
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('MSH|^~\\&|A|B|C|D|2026||ADT^A04|U16|P|2.5.1\r', 'utf16le').subarray(0, 40)])
    // Framing bytes cannot occur in these bytes, so the frame is delivered whole.
    expect(bytes.includes(0x0b) || bytes.includes(0x1c)).toBe(false)
    const ack = parseAck(await c.send(bytes))
    expect(ack.code).toBe('AR')
    await until(() => t.rows("error_code = 'unsupported_message'").some((r) => r.raw.equals(bytes)), 'the UTF-16 row')
    c.close()
  })
})
