/**
 * MLLP framing and connection handling against the engine's listener (MLLP-01, -02, -08; TST-F5,
 * TST-L4): 1-byte segmentation, several frames per chunk, garbage between frames, oversized frames,
 * peers closing mid-frame, idle timeout, half-close, the connection cap, the peer allow-list, and
 * many concurrent connections. Timing guards are generous; nothing asserts a duration.
 */
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseAck } from '../../../electron/engine/connectors/hl7'
import { adtMsg, MllpTestClient, openHl7Engine, until, type Hl7TestEngine } from './support'

let t: Hl7TestEngine
let port: number

beforeAll(async () => {
  t = await openHl7Engine()
  port = (await t.addInbound('adt-in')).port
})
afterAll(async () => {
  await t?.close()
})

const frame = (s: string): Buffer => Buffer.concat([Buffer.from([0x0b]), Buffer.from(s), Buffer.from([0x1c, 0x0d])])

describe('framing', () => {
  it('reassembles a frame sent one byte at a time, byte for byte', async () => {
    const c = await MllpTestClient.connect(port)
    const text = adtMsg({ control: 'SEG1', mrn: 'SEG1' })
    const bytes = frame(text)
    for (let i = 0; i < bytes.length; i++) {
      c.write(bytes.subarray(i, i + 1))
      if (i % 97 === 0) await new Promise((r) => setImmediate(r))
    }
    expect(parseAck(await c.next())).toMatchObject({ code: 'AA', controlId: 'SEG1' })
    expect(t.rows("control_id = 'SEG1'")[0]!.raw.toString()).toBe(text)
    c.close()
  })

  it('several frames in one chunk, with garbage before, between and after them', async () => {
    const c = await MllpTestClient.connect(port)
    const discardedBefore = t.logs.filter((l) => l.includes('bytes outside MLLP frames discarded')).length
    c.write(Buffer.concat([Buffer.from('garbage\r\n'), frame(adtMsg({ control: 'MULTI1' })), Buffer.from('\x00\xffnoise'), frame(adtMsg({ control: 'MULTI2' })), frame(adtMsg({ control: 'MULTI3' })), Buffer.from('trailing')]))
    const ids = [parseAck(await c.next()).controlId, parseAck(await c.next()).controlId, parseAck(await c.next()).controlId]
    expect(ids).toEqual(['MULTI1', 'MULTI2', 'MULTI3'])
    expect(t.rows("control_id LIKE 'MULTI%'")).toHaveLength(3)
    await until(() => t.logs.filter((l) => l.includes('bytes outside MLLP frames discarded')).length >= discardedBefore + 2, 'discard log lines')
    // Counts only, never the bytes.
    expect(t.logs.join('\n')).not.toContain('noise')
    c.close()
  })

  it('a peer that closes in the middle of a frame stores nothing', async () => {
    const c = await MllpTestClient.connect(port)
    const bytes = frame(adtMsg({ control: 'HALFWAY' }))
    c.write(bytes.subarray(0, bytes.length - 10))
    c.close()
    await c.waitClose()
    await until(() => t.logs.some((l) => l.includes('peer closed in the middle of a frame')), 'the partial-frame log')
    expect(t.rows("control_id = 'HALFWAY'")).toHaveLength(0)
  })

  it('an oversized frame is refused with AR, the connection closed, nothing stored; the listener keeps working', async () => {
    const { port: small } = await t.addInbound('small-frames', { maxFrameBytes: 2048 })
    const c = await MllpTestClient.connect(small)
    const big = adtMsg({ control: 'BIG1', extra: [`NTE|1||${'x'.repeat(5000)}`] })
    c.write(frame(big))
    const ack = parseAck(await c.next())
    expect(ack).toMatchObject({ code: 'AR', controlId: 'BIG1' })
    expect(ack.text).toMatch(/exceeds the 2048-byte limit/)
    await c.waitClose()
    expect(t.rows("control_id = 'BIG1'")).toHaveLength(0)
    const c2 = await MllpTestClient.connect(small)
    expect(await c2.sendAck(adtMsg({ control: 'SMALL1' }))).toMatchObject({ code: 'AA' })
    c2.close()
    expect(t.logs.some((l) => l.includes('MLLP frame too large'))).toBe(true)
  })
})

describe('connections', () => {
  it('closes a connection idle for longer than idleTimeoutSeconds', async () => {
    const { port: p } = await t.addInbound('idle', { idleTimeoutSeconds: 1 })
    const c = await MllpTestClient.connect(p)
    expect(await c.sendAck(adtMsg({ control: 'IDLE1' }))).toMatchObject({ code: 'AA' })
    await c.waitClose(15_000)
    expect(t.logs.some((l) => l.includes('idle timeout; closing the connection'))).toBe(true)
  })

  it('a silent peer holding half a frame is closed by the idle timeout too', async () => {
    const { port: p } = await t.addInbound('idle-half', { idleTimeoutSeconds: 1 })
    const c = await MllpTestClient.connect(p)
    c.write(frame(adtMsg({ control: 'SILENT' })).subarray(0, 50))
    await c.waitClose(15_000)
    expect(t.rows("control_id = 'SILENT'")).toHaveLength(0)
  })

  it('half-close: ACKs for frames already sent are still written, then the connection ends', async () => {
    const c = await MllpTestClient.connect(port, { allowHalfOpen: true })
    c.write(Buffer.concat([frame(adtMsg({ control: 'HC1' })), frame(adtMsg({ control: 'HC2' }))]))
    c.socket.end()
    expect(parseAck(await c.next()).controlId).toBe('HC1')
    expect(parseAck(await c.next()).controlId).toBe('HC2')
    await c.waitClose()
  })

  it('refuses connections beyond maxConnections without disturbing the others', async () => {
    const { port: p } = await t.addInbound('capped', { maxConnections: 2 })
    const a = await MllpTestClient.connect(p)
    const b = await MllpTestClient.connect(p)
    expect(await a.sendAck(adtMsg({ control: 'CAP1' }))).toMatchObject({ code: 'AA' })
    const third = await MllpTestClient.connect(p)
    await third.waitClose()
    expect(await b.sendAck(adtMsg({ control: 'CAP2' }))).toMatchObject({ code: 'AA' })
    expect(await a.sendAck(adtMsg({ control: 'CAP3' }))).toMatchObject({ code: 'AA' })
    expect(t.logs.some((l) => l.includes('maxConnections reached'))).toBe(true)
    a.close()
    b.close()
  })

  it('refuses peers outside allowedPeers', async () => {
    const { port: p } = await t.addInbound('vpn-only', { allowedPeers: ['10.8.0.0/16'] })
    const c = await MllpTestClient.connect(p)
    await c.waitClose()
    expect(t.logs.some((l) => l.includes('not in allowedPeers'))).toBe(true)
    const { port: p2 } = await t.addInbound('loopback-only', { allowedPeers: ['127.0.0.1', '::1'] })
    const ok = await MllpTestClient.connect(p2)
    expect(await ok.sendAck(adtMsg({ control: 'ALLOW1' }))).toMatchObject({ code: 'AA' })
    ok.close()
  })

  it('many concurrent connections: every message acknowledged and stored once, in order per connection', async () => {
    const N = 40
    const PER = 8
    const { port: many } = await t.addInbound('many', { maxConnections: N, maxConnectionsPerPeer: N, reservedConnections: 0 })
    const clients = await Promise.all(Array.from({ length: N }, () => MllpTestClient.connect(many)))
    const results = await Promise.all(
      clients.map(async (c, i) => {
        const got: string[] = []
        for (let k = 0; k < PER; k++) got.push((await c.sendAck(adtMsg({ control: `CC${i}-${k}`, mrn: `CC${i}` }))).controlId)
        c.close()
        return got
      }),
    )
    results.forEach((got, i) => expect(got).toEqual(Array.from({ length: PER }, (_, k) => `CC${i}-${k}`)))
    expect(t.logs.some((l) => l.includes('"interface":"many"') && l.includes('maxConnections reached'))).toBe(false)
    const rows = t.rows("control_id LIKE 'CC%'")
    expect(rows).toHaveLength(N * PER)
    expect(new Set(rows.map((r) => r.control_id)).size).toBe(N * PER)
    for (let i = 0; i < N; i++) {
      const mine = rows.filter((r) => r.control_id!.startsWith(`CC${i}-`)).map((r) => r.control_id)
      expect(mine).toEqual(Array.from({ length: PER }, (_, k) => `CC${i}-${k}`))
    }
  })

  it('reports listeners with their bound port and peers (listening lines, system.status, hl7.listeners)', async () => {
    const c = await MllpTestClient.connect(port)
    await c.sendAck(adtMsg({ control: 'LST1' }))
    const status = await t.call<{ listeners: { kind: string; practiceId: string; name: string; port: number; state: string }[] }>('system.status')
    expect(status.listeners).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'hl7-mllp', practiceId: 'sandbox', name: 'adt-in', host: '127.0.0.1', port, state: 'listening' })]))
    const details = await t.call<{ name: string; peers: { peer: string }[]; counters: Record<string, number> }[]>('hl7.listeners', { practiceId: 'sandbox' })
    const mine = details.find((d) => d.name === 'adt-in')!
    expect(mine.peers.length).toBeGreaterThanOrEqual(1)
    expect(mine.counters.received).toBeGreaterThan(0)
    c.close()
  })

  it('stops listening when the interface is disabled or deleted, and starts again when enabled', async () => {
    const { id, port: p } = await t.addInbound('toggle')
    await t.call('connections.update', { id, kind: 'hl7-inbound', name: 'toggle', enabled: false, config: { host: '127.0.0.1', port: 0 } })
    await expect(new Promise((res, rej) => net.connect({ host: '127.0.0.1', port: p }).once('connect', res).once('error', rej))).rejects.toThrow(/ECONNREFUSED/)
    await t.call('connections.update', { id, kind: 'hl7-inbound', name: 'toggle', enabled: true, config: { host: '127.0.0.1', port: 0 } })
    const l = (await t.call<{ listeners: { name: string; port: number; state: string }[] }>('system.status')).listeners.find((x) => x.name === 'toggle')!
    expect(l.state).toBe('listening')
    const c = await MllpTestClient.connect(l.port)
    expect(await c.sendAck(adtMsg({ control: 'TOG1' }))).toMatchObject({ code: 'AA' })
    c.close()
    await t.call('connections.delete', { id })
    expect((await t.call<{ listeners: { name: string }[] }>('system.status')).listeners.some((x) => x.name === 'toggle')).toBe(false)
  })
})
