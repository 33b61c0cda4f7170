/**
 * `batchAcks: per-message` over a real socket: a frame holding several messages (MSH after MSH,
 * or FHS/BHS … BTS/FTS) is answered with one MLLP frame per member, each a plain ACK, in the
 * members' order, no batch envelope; what follows on the connection is answered as usual. In
 * application mode each of those frames carries its member's outcome. (The default, one batch
 * reply, is listener-ingest.test.ts's.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseAck, parseHl7 } from '../../../electron/engine/connectors/hl7'
import { adtMsg, MllpTestClient, openHl7Engine, randomId, type Hl7TestEngine } from './support'

let t: Hl7TestEngine
let commitPort: number
let appPort: number

beforeAll(async () => {
  t = await openHl7Engine()
  commitPort = (await t.addInbound('per-msg', { batchAcks: 'per-message', unsupportedTypes: 'reject' })).port
  appPort = (await t.addInbound('per-msg-app', { batchAcks: 'per-message', ackMode: 'application', filters: [{ name: 'no-training', action: 'reject', processingIds: ['T'] }] })).port
})
afterAll(async () => {
  await t?.close()
})

/** The `n` frames that answer `frame`, then a lone message's reply, which must be its own ACK (nothing else was queued). */
async function framesFor(c: MllpTestClient, frame: string, n: number): Promise<Buffer[]> {
  const replies = [await c.send(frame)]
  for (let i = 1; i < n; i++) replies.push(await c.next())
  const after = `AFTER${randomId()}`
  expect(parseAck(await c.send(adtMsg({ control: after, mrn: `M${after}` })))).toMatchObject({ code: 'AA', controlId: after })
  return replies
}

/** Each reply frame is exactly one ACK message: MSH, MSA (ERR when refused), no batch segments. */
function oneAckEach(replies: Buffer[]): string[][] {
  return replies.map((r) => {
    const segs = r.toString('latin1').split('\r').filter(Boolean).map((s) => s.slice(0, 3))
    expect(segs[0]).toBe('MSH')
    expect(segs.filter((s) => s === 'MSH')).toHaveLength(1)
    expect(segs.some((s) => ['BHS', 'BTS', 'FHS', 'FTS'].includes(s))).toBe(false)
    const ack = parseAck(r)
    return [ack.code, ack.controlId]
  })
}

describe('batchAcks: per-message', () => {
  it('several MSH back to back: one ACK frame per message, in order (a refused type AR in its own frame)', async () => {
    const c = await MllpTestClient.connect(commitPort)
    const id = randomId()
    const [a, bad, b] = [`PM1${id}`, `PMX${id}`, `PM2${id}`]
    const frame = [adtMsg({ control: a, mrn: `M${a}` }), `MSH|^~\\&|APP|FAC|R|RF|20260101||ORM^O01|${bad}|P|2.5.1\rPID|1\r`, adtMsg({ control: b, mrn: `M${b}` })].join('')
    expect(oneAckEach(await framesFor(c, frame, 3))).toEqual([
      ['AA', a],
      ['AR', bad],
      ['AA', b],
    ])
    // Stored and acknowledged as if each had come alone.
    expect(t.rows('control_id IN (?, ?)', a, b).map((r) => r.status)).not.toContain('error')
    expect(t.rows('control_id = ?', bad)[0]).toMatchObject({ status: 'error', error_code: 'unsupported_message' })
    c.close()
  })

  it('an FHS/BHS batch: the members’ ACKs each in a frame of their own, no batch envelope; a resent member answered from its stored ACK', async () => {
    const c = await MllpTestClient.connect(commitPort)
    const id = randomId()
    const [dup, b1, b2] = [`PD${id}`, `PB1${id}`, `PB2${id}`]
    const first = await c.send(adtMsg({ control: dup, mrn: `M${dup}` }))
    const frame =
      [
        `FHS|^~\\&|SAPP|SFAC|RAPP|RFAC|20260601091500||||F${id}`,
        `BHS|^~\\&|SAPP|SFAC|RAPP|RFAC|20260601091500||||B${id}`,
        adtMsg({ control: dup, mrn: `M${dup}` }).replace(/\r$/, ''),
        adtMsg({ control: b1, mrn: `M${b1}` }).replace(/\r$/, ''),
        adtMsg({ control: b2, mrn: `M${b2}` }).replace(/\r$/, ''),
        'BTS|3',
        'FTS|1',
      ].join('\r') + '\r'
    const replies = await framesFor(c, frame, 3)
    expect(oneAckEach(replies)).toEqual([
      ['AA', dup],
      ['AA', b1],
      ['AA', b2],
    ])
    // The duplicate's frame is its original ACK, byte for byte; each member stored once.
    expect(replies[0]!.equals(first)).toBe(true)
    for (const control of [dup, b1, b2]) expect(t.rows('control_id = ?', control)).toHaveLength(1)
    // Each ACK answers its own message: sender and receiver of the member's MSH swapped.
    expect(parseHl7(replies[1]!).get('MSH-5')).toBe('REGADT')
    c.close()
  })

  it('application mode: each member’s frame carries its own outcome (AA done, AE with the error, AA filtered)', async () => {
    const c = await MllpTestClient.connect(appPort)
    const id = randomId()
    const [ok, bad, training] = [`PA1${id}`, `PA2${id}`, `PA3${id}`]
    const frame =
      [
        `BHS|^~\\&|SAPP|SFAC|RAPP|RFAC|20260601091500||||B${id}`,
        adtMsg({ control: ok, mrn: `M${ok}` }).replace(/\r$/, ''),
        adtMsg({ control: bad, mrn: `M${bad}`, sex: 'Q' }).replace(/\r$/, ''),
        adtMsg({ control: training, processing: 'T' }).replace(/\r$/, ''),
        'BTS|3',
      ].join('\r') + '\r'
    const replies = await framesFor(c, frame, 3)
    expect(oneAckEach(replies)).toEqual([
      ['AA', ok],
      ['AE', bad],
      ['AA', training],
    ])
    const row = (control: string) => t.rows("channel = 'per-msg-app' AND control_id = ?", control)[0]
    expect(row(ok)).toMatchObject({ status: 'done' })
    expect(row(bad)).toMatchObject({ status: 'error' })
    expect(row(training)).toMatchObject({ status: 'filtered' })
    c.close()
  })
})
