/**
 * Connectivity tests for HL7 interfaces, the hl7.* contract methods, and the generic pipeline hooks
 * the HL7 engine added (per-channel lanes, per-transaction retry policy, awaiting an outcome).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppError } from '../../../shared/errors'
import type { ConnectorHandler } from '../../../electron/engine/pipeline/connector-handler'
import { openHl7Engine, startFakePeer, startPyServer, until, type Hl7TestEngine } from './support'

let t: Hl7TestEngine
beforeAll(async () => {
  t = await openHl7Engine()
})
afterAll(async () => {
  await t?.close()
})

interface Result {
  ok: boolean
  steps: { step: string; ok: boolean; detail?: string; error?: { code: string; message: string } }[]
}

describe('connections.test', () => {
  it('hl7-inbound: configuration, listener bound, peers', async () => {
    const { id, port } = await t.addInbound('probe-in')
    const r = await t.call<Result>('connections.test', { id })
    expect(r.ok).toBe(true)
    expect(r.steps.map((s) => [s.step, s.ok])).toEqual([
      ['configuration', true],
      ['listener', true],
      ['peers', true],
    ])
    expect(r.steps[1]!.detail).toBe(`listening on 127.0.0.1:${port}`)
    await t.call('connections.update', { id, kind: 'hl7-inbound', name: 'probe-in', enabled: false, config: { host: '127.0.0.1', port: 0 } })
    const off = await t.call<Result>('connections.test', { id })
    expect(off.ok).toBe(false)
    expect(off.steps[1]).toMatchObject({ step: 'listener', ok: false, error: { code: 'conflict' } })
  })

  it('hl7-inbound: a port already taken is reported', async () => {
    const { port } = await t.addInbound('first-owner')
    const c = await t.call<{ id: string }>('connections.create', { practiceId: 'sandbox', kind: 'hl7-inbound', name: 'second-owner', config: { host: '127.0.0.1', port } })
    const r = await t.call<Result>('connections.test', { id: c.id })
    expect(r.steps[1]).toMatchObject({ step: 'listener', ok: false, error: { code: 'network_error', message: expect.stringMatching(/EADDRINUSE/) } })
  })

  it('hl7-outbound: TCP connect, and the round trip when asked for', async () => {
    const peer = await startFakePeer((m) => (m.messageType === 'NMD^N02' ? { code: 'AR', text: 'NMD not supported' } : {}))
    const plain = await t.addOutbound('probe-out', { host: '127.0.0.1', port: peer.port })
    const r = await t.call<Result>('connections.test', { id: plain.id })
    expect(r.ok).toBe(true)
    expect(r.steps.map((s) => s.step)).toEqual(['configuration', 'tcp-connect'])
    const rt = await t.addOutbound('probe-rt', { host: '127.0.0.1', port: peer.port, testRoundTrip: true })
    const r2 = await t.call<Result>('connections.test', { id: rt.id })
    expect(r2.ok).toBe(true)
    expect(r2.steps[2]).toMatchObject({ step: 'round-trip', ok: true, detail: expect.stringMatching(/^ACK AR for T/) })
    expect(peer.received.at(-1)!.processingId).toBe('T')
    await peer.stop()
    const down = await t.call<Result>('connections.test', { id: plain.id })
    expect(down.ok).toBe(false)
    expect(down.steps[1]).toMatchObject({ ok: false, error: { code: 'connection_refused' } })
  })
})

describe('hl7.* methods', () => {
  it('hl7.sendTest sends a test message to python3-hl7 outside the queue and returns its ACK', async () => {
    const py = await startPyServer()
    try {
      const d = await t.addOutbound('py-test', { host: '127.0.0.1', port: py.port })
      for (const messageType of ['NMD^N02', 'SIU^S12', 'ADT^A08']) {
        const r = await t.call<{ ok: boolean; controlId: string; ack: { code: string; controlId: string } | null }>('hl7.sendTest', { id: d.id, messageType })
        expect(r).toMatchObject({ ok: true, ack: { code: 'AA', controlId: r.controlId } })
        await until(() => py.received.includes(`got ${messageType} ctrl=${r.controlId}`), `${messageType} at the python server`)
      }
      expect(t.rows("channel = 'py-test'")).toHaveLength(0)
    } finally {
      await py.stop()
    }
  })

  it('hl7.supportedTypes lists what the engine processes and the mapping set of each', async () => {
    const types = await t.call<{ messageType: string; mappingSet: string }[]>('hl7.supportedTypes', {})
    expect(types.map((x) => x.messageType)).toEqual(['ADT^A01', 'ADT^A04', 'ADT^A08', 'ADT^A31', 'ADT^A40', 'ADT^A34', 'ADT^A18', 'SIU^S12', 'SIU^S13', 'SIU^S14', 'SIU^S15', 'SIU^S17', 'SIU^S26', 'ORU^R01', 'DFT^P03', 'MDM^T02'])
    expect(types.find((x) => x.messageType === 'ADT^A40')).toMatchObject({ action: 'merge', mappingSet: 'hl7.adt.patient.in' })
    expect(types.find((x) => x.messageType === 'ORU^R01')!.mappingSet).toBe('hl7.oru.observation.in')
  })

  it('the shipped HL7 mapping sets are registered for every practice', async () => {
    const sets = await t.call<{ key: string }[]>('mappings.sets', { practiceId: 'sandbox' })
    expect(sets.map((s) => s.key)).toEqual(expect.arrayContaining(['hl7.adt.patient.in', 'hl7.siu.appointment.in', 'hl7.oru.observation.in', 'hl7.dft.financial.in', 'hl7.mdm.document.in', 'hl7.siu.appointment.out', 'hl7.siu.patient.out']))
  })
})

describe('pipeline hooks (generic)', () => {
  it("per-channel lanes: a channel waiting out a retry holds neither the other channels nor the connector's other direction", async () => {
    const seen: string[] = []
    const handler: ConnectorHandler<string, string> = {
      connector: 'lanes',
      direction: 'out',
      lanes: 'channel',
      retryPolicy: (tx) => (tx.channel === 'stuck' ? { maxAttempts: 3, backoff: { baseMs: 60_000, capMs: 60_000 } } : undefined),
      parse: (ctx) => ctx.payload.toString(),
      map: (p) => p,
      apply(p, ctx) {
        seen.push(`${ctx.tx.channel}:${p}`)
        if (ctx.tx.channel === 'stuck') throw new AppError('timeout', 'peer silent')
      },
    }
    const inbound: ConnectorHandler<string, string> = { connector: 'lanes', direction: 'in', parse: (ctx) => ctx.payload.toString(), map: (p) => p, apply: (p) => void seen.push(`in:${p}`) }
    t.engine.ctx.pipeline.register(handler)
    t.engine.ctx.pipeline.register(inbound)
    const rx = (channel: string, direction: 'in' | 'out', body: string) => t.engine.ctx.pipeline.receive({ practiceId: 'sandbox', connector: 'lanes', channel, direction, contentType: 'text', raw: Buffer.from(body) })
    await rx('stuck', 'out', 's1')
    await rx('stuck', 'out', 's2')
    await rx('free', 'out', 'f1')
    await rx('any', 'in', 'i1')
    await until(() => seen.includes('free:f1') && seen.includes('in:i1'), 'the other lanes')
    expect(seen).toContain('stuck:s1')
    // s2 waits behind s1's retry (order within a channel), whose backoff the policy set to a minute.
    expect(seen).not.toContain('stuck:s2')
    const s1 = t.rows("connector = 'lanes' AND channel = 'stuck'")[0]!
    expect(s1.status).toBe('queued')
    expect(s1.next_attempt_at! - s1.updated_at).toBeLessThanOrEqual(60_000)
  })

  it('outcome() resolves when processing ends, and at once for a finished transaction', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const gated: ConnectorHandler<string, string> = { connector: 'gated', direction: 'in', parse: (ctx) => ctx.payload.toString(), map: (p) => p, apply: async () => gate }
    const failing: ConnectorHandler<string, string> = {
      connector: 'failing',
      direction: 'in',
      parse: () => {
        throw new AppError('validation_error', 'bad')
      },
      map: (p) => p,
      apply: () => undefined,
    }
    t.engine.ctx.pipeline.register(gated)
    t.engine.ctx.pipeline.register(failing)
    const a = await t.engine.ctx.pipeline.receive({ practiceId: 'sandbox', connector: 'gated', channel: 'g', direction: 'in', contentType: 'text', raw: Buffer.from('x') })
    let settled = false
    const o = t.engine.ctx.pipeline.outcome(a.id).then((v) => {
      settled = true
      return v
    })
    await new Promise((r) => setTimeout(r, 100))
    expect(settled).toBe(false)
    release()
    expect(await o).toMatchObject({ id: a.id, status: 'done', error: null })
    expect(await t.engine.ctx.pipeline.outcome(a.id)).toMatchObject({ status: 'done' })
    const b = await t.engine.ctx.pipeline.receive({ practiceId: 'sandbox', connector: 'failing', channel: 'f', direction: 'in', contentType: 'text', raw: Buffer.from('y') })
    expect(await t.engine.ctx.pipeline.outcome(b.id)).toMatchObject({ status: 'error', error: { code: 'validation_error', message: 'bad', retryable: false } })
    await expect(t.engine.ctx.pipeline.outcome(999_999)).rejects.toMatchObject({ code: 'not_found' })
  })
})
