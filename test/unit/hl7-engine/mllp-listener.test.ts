/**
 * The MLLP listener on its own (real sockets on OS-assigned ports, a fake frame handler): frames
 * are handled strictly one at a time and in order per connection, several connections in
 * parallel; a slow handler pauses a connection that pipelines frames; the allow-list and its
 * validation; oversized frames answered from their first bytes.
 */
import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { type AppError } from '../../../shared/errors'
import { frameMessage, MllpFramer } from '../../../electron/engine/connectors/hl7'
import { buildAllowList, MllpListener, normaliseFingerprint, type MllpListenerOptions } from '../../../electron/engine/connectors/hl7-engine/mllp-listener'
import { silentLogger } from '../../../electron/engine/core/logger'
import { systemClock } from '../../../electron/engine/core/clock'

const listeners: MllpListener[] = []
afterEach(async () => {
  await Promise.all(listeners.splice(0).map((l) => l.stop(100)))
})

async function listen(o: Partial<MllpListenerOptions> & Pick<MllpListenerOptions, 'onFrame'>): Promise<number> {
  const l = new MllpListener({ host: '127.0.0.1', port: 0, allowedPeers: [], maxFrameBytes: 1024, idleTimeoutMs: 0, maxConnections: 10, onOversize: () => null, clock: systemClock, logger: silentLogger, ...o })
  listeners.push(l)
  return (await l.start()).port
}

function client(port: number): Promise<{ s: net.Socket; replies: string[]; next(): Promise<string> }> {
  return new Promise((res) => {
    const replies: string[] = []
    const waiters: ((x: string) => void)[] = []
    const s = net.connect({ host: '127.0.0.1', port }, () =>
      res({
        s,
        replies,
        next: () => new Promise((r) => (replies.length ? r(replies.shift()!) : waiters.push(r))),
      }),
    )
    const f = new MllpFramer({ onFrame: (p) => (waiters.length ? waiters.shift()!(p.toString()) : replies.push(p.toString())) })
    s.on('data', (d) => f.push(d))
    s.on('error', () => undefined)
  })
}

describe('MllpListener', () => {
  it('one frame in flight per connection, in order; connections run in parallel', async () => {
    let active = 0
    let maxActive = 0
    let overlapOnOneConnection = false
    const inflight = new Map<number, number>()
    const port = await listen({
      onFrame: async (p, conn) => {
        active++
        maxActive = Math.max(maxActive, active)
        inflight.set(conn.id, (inflight.get(conn.id) ?? 0) + 1)
        if (inflight.get(conn.id)! > 1) overlapOnOneConnection = true
        await new Promise((r) => setTimeout(r, 5))
        inflight.set(conn.id, inflight.get(conn.id)! - 1)
        active--
        return Buffer.from(`ACK ${p.toString()}`)
      },
    })
    const a = await client(port)
    const b = await client(port)
    a.s.write(Buffer.concat(['a1', 'a2', 'a3'].map((x) => frameMessage(Buffer.from(x)))))
    b.s.write(Buffer.concat(['b1', 'b2', 'b3'].map((x) => frameMessage(Buffer.from(x)))))
    expect([await a.next(), await a.next(), await a.next()]).toEqual(['ACK a1', 'ACK a2', 'ACK a3'])
    expect([await b.next(), await b.next(), await b.next()]).toEqual(['ACK b1', 'ACK b2', 'ACK b3'])
    expect(maxActive).toBe(2)
    expect(overlapOnOneConnection).toBe(false)
    a.s.destroy()
    b.s.destroy()
  })

  it('a peer pipelining many frames to a slow handler is paused, and every frame is still answered in order', async () => {
    let release!: () => void
    let gate = new Promise<void>((r) => (release = r))
    const port = await listen({
      onFrame: async (p) => {
        await gate
        return Buffer.from(p.toString())
      },
    })
    const c = await client(port)
    const n = 200
    c.s.write(Buffer.concat(Array.from({ length: n }, (_, i) => frameMessage(Buffer.from(`m${i}`)))))
    await new Promise((r) => setTimeout(r, 50))
    expect(c.replies).toHaveLength(0)
    gate = Promise.resolve()
    release()
    const got: string[] = []
    for (let i = 0; i < n; i++) got.push(await c.next())
    expect(got).toEqual(Array.from({ length: n }, (_, i) => `m${i}`))
    c.s.destroy()
  })

  it('answers an oversized frame from its first bytes and closes', async () => {
    const heads: string[] = []
    const port = await listen({
      maxFrameBytes: 100,
      onFrame: async () => Buffer.from('never'),
      onOversize: (head, _c, e: AppError) => {
        heads.push(head.toString())
        expect(e.code).toBe('frame_too_large')
        return Buffer.from('AR')
      },
    })
    const c = await client(port)
    const closed = new Promise((r) => c.s.once('close', r))
    c.s.write(Buffer.concat([Buffer.from([0x0b]), Buffer.from('MSH|HEAD|' + 'x'.repeat(500))]))
    expect(await c.next()).toBe('AR')
    await closed
    expect(heads[0]!.startsWith('MSH|HEAD|')).toBe(true)
    expect(heads[0]!.length).toBeLessThanOrEqual(4096)
  })

  it('allow-lists take IPs and CIDR ranges, and refuse anything else', () => {
    const l = buildAllowList(['127.0.0.1', '10.8.0.0/16', '::1'])!
    expect(l.check('127.0.0.1', 'ipv4')).toBe(true)
    expect(l.check('10.8.200.3', 'ipv4')).toBe(true)
    expect(l.check('10.9.0.1', 'ipv4')).toBe(false)
    expect(l.check('::1', 'ipv6')).toBe(true)
    expect(buildAllowList([])).toBeNull()
    expect(() => buildAllowList(['localhost'])).toThrow(/not an IP address or CIDR/)
    expect(() => buildAllowList(['10.0.0.0/40'])).toThrow(/invalid prefix length/)
    expect(normaliseFingerprint('ab:cd:01')).toBe('ABCD01')
  })

  it('reports a port it cannot bind', async () => {
    const port = await listen({ onFrame: async () => null })
    const second = new MllpListener({ host: '127.0.0.1', port, allowedPeers: [], maxFrameBytes: 10, idleTimeoutMs: 0, maxConnections: 1, onFrame: async () => null, onOversize: () => null, clock: systemClock, logger: silentLogger })
    await expect(second.start()).rejects.toMatchObject({ code: 'network_error', message: expect.stringMatching(/EADDRINUSE/) })
  })
})
