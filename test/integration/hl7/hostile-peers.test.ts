/**
 * Issue #17, item 2 and the refused-input part of item 4: what one hostile peer can no longer do
 * to an HL7 interface, on loopback with the probe's scenarios scaled down (the attackers come from
 * other loopback addresses, 127.0.0.2 and up, as other hosts would). Real sockets, a real engine,
 * Debian's mllp_send as the real sender. Nothing asserts a duration; latencies are printed.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hl7Runtime } from '../../../electron/engine/connectors/hl7-engine'
import { adtMsg, mllpSend, MllpTestClient, openHl7Engine, until, type Hl7TestEngine } from './support'
import { connectFrom, mllpAttack } from '../../support/mllp-attack'

let t: Hl7TestEngine

beforeAll(async () => {
  t = await openHl7Engine()
})
afterAll(async () => {
  await t?.close()
})

const VT = Buffer.from([0x0b])
const frame = (s: string): Buffer => Buffer.concat([VT, Buffer.from(s), Buffer.from([0x1c, 0x0d])])
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

type Counters = Record<string, number>
async function counters(name: string): Promise<Counters> {
  const l = (await t.call<{ name: string; counters: Counters }[]>('hl7.listeners', { practiceId: 'sandbox' })).find((x) => x.name === name)
  return l!.counters
}

describe('one peer cannot starve an interface', () => {
  it('80 connections sending a byte a second and 200 idle ones (the probe: 200 and 500) run while mllp_send keeps getting its AA', async () => {
    const { port } = await t.addInbound('lab-in', { frameTimeoutSeconds: 2, idleTimeoutSeconds: 3, acceptAcks: 'always' })
    const listener = hl7Runtime(t.engine.ctx)!.listeners
    const send = async (control: string): Promise<number> => {
      const file = join(t.dir, `${control}.mllp`)
      writeFileSync(file, frame(adtMsg({ control, mrn: control })))
      const t0 = performance.now()
      const r = await mllpSend(port, file, { timeoutMs: 20_000 })
      expect(r.stdout, r.stderr).toContain(`MSA|AA|${control}`)
      return performance.now() - t0
    }
    // The lab has sent before: its address is a known sender.
    await send('LAB0')
    // 2 slow connections per address from 127.0.0.2, 4 idle ones per address from 127.0.1.2.
    const a = mllpAttack(port, { slow: 80, idle: 200, from: (i, slow) => (slow ? `127.0.0.${2 + Math.floor(i / 2)}` : `127.0.1.${2 + Math.floor(i / 4)}`) })
    let maxSlots = 0
    const sampler = setInterval(() => (maxSlots = Math.max(maxSlots, listener.find('sandbox', 'lab-in')?.slots ?? 0)), 50)
    try {
      // Let the attackers take every slot they can, then time out and come back.
      await until(async () => (await counters('lab-in')).frameTimeouts > 0 && (await counters('lab-in')).idleTimeouts > 0, 'slow frames and idle connections closed', 30_000)
      const latencies: number[] = []
      for (let i = 1; i <= 8; i++) {
        latencies.push(await send(`LAB${i}`))
        await sleep(300)
      }
      const c = await counters('lab-in')
      console.log(
        `hostile-peers: mllp_send ACK round trips (process start included) ${latencies.map((x) => x.toFixed(0)).join(', ')} ms; attacker connection attempts ${a.attempts()}; ` +
          `refused: per-peer ${c.refusedPerPeerCap}, reserved ${c.refusedReserved}, full ${c.refusedFull}; slow frames closed ${c.frameTimeouts}, idle closed ${c.idleTimeouts}; slots in use at most ${maxSlots}`,
      )
      expect(c.refusedPerPeerCap + c.refusedReserved).toBeGreaterThan(0)
      expect(maxSlots).toBeLessThanOrEqual(32)
      expect(t.rows("control_id LIKE 'LAB%'").map((r) => r.control_id)).toEqual(['LAB0', 'LAB1', 'LAB2', 'LAB3', 'LAB4', 'LAB5', 'LAB6', 'LAB7', 'LAB8'])
    } finally {
      clearInterval(sampler)
      a.stop()
    }
  })

  it('a sender named in trustedPeers gets a reserved slot when strangers hold all the others', async () => {
    const { port } = await t.addInbound('reserved', { maxConnections: 4, reservedConnections: 1, maxConnectionsPerPeer: 1, trustedPeers: ['127.0.0.1'] })
    const strangers = await Promise.all(['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'].map((from) => connectFrom(port, from)))
    // Three strangers hold the shared slots; the fourth is refused: the last slot is the senders'.
    await until(async () => (await counters('reserved')).refusedReserved === 1, 'the fourth stranger refused')
    const lab = await MllpTestClient.connect(port)
    expect(await lab.sendAck(adtMsg({ control: 'RSV1' }))).toMatchObject({ code: 'AA' })
    lab.close()
    for (const s of strangers) s?.destroy()
  })

  it('idle is measured from the last complete frame: bytes outside frames do not keep a connection open, nor does a frame that never ends', async () => {
    // The slow frame starts right after its connection, so its deadline (1 s) comes before its idle limit (2 s).
    const { port } = await t.addInbound('timers', { idleTimeoutSeconds: 2, frameTimeoutSeconds: 1 })
    const slow = await MllpTestClient.connect(port)
    slow.write(VT)
    const garbage = await MllpTestClient.connect(port)
    expect(await garbage.sendAck(adtMsg({ control: 'TMR1' }))).toMatchObject({ code: 'AA' })
    const drip = setInterval(() => {
      if (!garbage.closed) garbage.write('x')
      if (!slow.closed) slow.write('M')
    }, 200)
    try {
      await garbage.waitClose(15_000)
      await slow.waitClose(15_000)
    } finally {
      clearInterval(drip)
    }
    const c = await counters('timers')
    expect(c.idleTimeouts).toBe(1)
    expect(c.frameTimeouts).toBe(1)
  })
})

describe('refused input is capped per address', () => {
  it('within the budget refused frames are stored; beyond it they are answered, not stored, the connection closed and new ones refused', async () => {
    const { port } = await t.addInbound('capped-refusals', { refusedFramesPerMinute: 3, refusedBytesPerMinute: 0 })
    const c = await MllpTestClient.connect(port)
    for (let i = 0; i < 4; i++) {
      const ack = await c.send(`NOT HL7 AT ALL ${i}`)
      expect(ack.toString('latin1')).toContain('MSA|AR')
    }
    await c.waitClose()
    const stored = t.rows("channel = 'capped-refusals'")
    expect(stored).toHaveLength(3)
    const again = await MllpTestClient.connect(port)
    await again.waitClose()
    const k = await counters('capped-refusals')
    expect(k).toMatchObject({ rejected: 4, refusedNotStored: 1, refusedInputClosed: 1, refusedInputBudget: 1 })
  })

  it("one address spending its budget does not stop another address's refused frames being stored", async () => {
    const { port } = await t.addInbound('two-peers', { refusedFramesPerMinute: 2, refusedBytesPerMinute: 0 })
    const hostile = await MllpTestClient.connect(port, { localAddress: '127.0.0.2' })
    for (let i = 0; i < 3; i++) expect((await hostile.send(`NOT HL7 FROM THE HOSTILE ONE ${i}`)).toString('latin1')).toContain('MSA|AR')
    await hostile.waitClose()
    const hostileAgain = await MllpTestClient.connect(port, { localAddress: '127.0.0.2' })
    await hostileAgain.waitClose()
    // Another sender's refused frames are still recorded for the operator to see.
    const other = await MllpTestClient.connect(port, { localAddress: '127.0.0.3' })
    for (let i = 0; i < 2; i++) expect((await other.send(`NOT HL7 FROM THE OTHER ONE ${i}`)).toString('latin1')).toContain('MSA|AR')
    expect(other.closed).toBe(false)
    other.close()
    expect(t.rows("channel = 'two-peers' AND peer LIKE '127.0.0.2:%'")).toHaveLength(2)
    expect(t.rows("channel = 'two-peers' AND peer LIKE '127.0.0.3:%'")).toHaveLength(2)
    expect(await counters('two-peers')).toMatchObject({ rejected: 5, refusedNotStored: 1, refusedInputClosed: 1, refusedInputBudget: 1 })
  })

  it('garbage bytes count too: past refusedBytesPerMinute the connection is closed and counted, nothing stored', async () => {
    const { port } = await t.addInbound('garbage', { refusedBytesPerMinute: 64 * 1024 })
    const c = await MllpTestClient.connect(port)
    const junk = Buffer.alloc(16 * 1024, 0x41)
    for (let i = 0; i < 8 && !c.closed; i++) {
      c.write(junk)
      await sleep(20)
    }
    await c.waitClose()
    expect(t.rows("channel = 'garbage'")).toHaveLength(0)
    const k = await counters('garbage')
    expect(k.refusedInputClosed).toBe(1)
    expect(k.discardedBytes).toBeGreaterThan(64 * 1024)
  })
})
