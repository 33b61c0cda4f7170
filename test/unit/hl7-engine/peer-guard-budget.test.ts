/**
 * The listener's admission rules (peer-guard.ts) and the engine's buffered-bytes budget
 * (buffer-budget.ts) as pure logic, with a hand-driven clock: issue #17 items 2, 4 and 5.
 */
import { describe, expect, it } from 'vitest'
import { BufferBudget, type BudgetReader } from '../../../electron/engine/connectors/hl7-engine/buffer-budget'
import { buildAllowList } from '../../../electron/engine/connectors/hl7-engine/mllp-listener'
import { PeerGuard } from '../../../electron/engine/connectors/hl7-engine/peer-guard'
import type { Clock } from '../../../electron/engine/core/clock'
import { engineSettingsFromEnv, DEFAULT_ENGINE_SETTINGS } from '../../../electron/engine/core/engine-settings'
import { hl7InboundConfigSchema, listenerExposureProblems, reservedSlots } from '../../../shared/config'

function clock(): Clock & { advance(ms: number): void } {
  let t = 0
  return { now: () => 1_700_000_000_000 + t, monotonic: () => t, sleep: async () => undefined, advance: (ms) => (t += ms) } as Clock & { advance(ms: number): void }
}

const guard = (o: Partial<ConstructorParameters<typeof PeerGuard>[0]> = {}) =>
  new PeerGuard({ allow: null, trusted: null, maxConnections: 6, maxConnectionsPerPeer: 2, reservedConnections: 2, refusedFramesPerMinute: 0, refusedBytesPerMinute: 0, clock: clock(), ...o })

describe('PeerGuard', () => {
  it('caps sockets per address, keeps the reserved slots for known senders, and frees slots once', () => {
    const g = guard({ trusted: buildAllowList(['10.0.0.9']) })
    const a1 = g.opened('10.0.0.1')
    g.opened('10.0.0.1')
    expect(g.refusal('10.0.0.1')).toBe('per_peer_cap')
    g.opened('10.0.0.2')
    g.opened('10.0.0.3')
    // Four strangers hold the shared slots: the remaining two are the known senders'.
    expect(g.refusal('10.0.0.4')).toBe('reserved')
    expect(g.refusal('10.0.0.9')).toBeNull()
    g.markKnown('10.0.0.5')
    expect(g.refusal('10.0.0.5')).toBeNull()
    g.opened('10.0.0.9')
    g.opened('10.0.0.5')
    expect(g.refusal('10.0.0.9')).toBe('full')
    a1()
    a1()
    // Released twice, counted once: a stranger's slot is free again.
    expect(g.connections).toBe(5)
    expect(g.refusal('10.0.0.4')).toBeNull()
  })

  it('refuses addresses outside the allow-list first', () => {
    expect(guard({ allow: buildAllowList(['10.8.0.0/16']) }).refusal('10.9.0.1')).toBe('not_allowed')
  })

  it('refused input: a token bucket per address for frames and bytes that refills over a minute', () => {
    const c = clock()
    const g = guard({ refusedFramesPerMinute: 2, refusedBytesPerMinute: 1000, clock: c })
    expect(g.chargeRefused('10.0.0.1', 1, 100)).toBe(true)
    expect(g.chargeRefused('10.0.0.1', 1, 100)).toBe(true)
    expect(g.chargeRefused('10.0.0.1', 1, 100)).toBe(false)
    expect(g.refusal('10.0.0.1')).toBe('refused_input_budget')
    expect(g.chargeRefused('10.0.0.2', 0, 1001)).toBe(false)
    expect(g.chargeRefused('10.0.0.3', 1, 10)).toBe(true)
    c.advance(60_000)
    expect(g.refusal('10.0.0.1')).toBeNull()
    expect(g.chargeRefused('10.0.0.1', 1, 100)).toBe(true)
  })
})

class Reader implements BudgetReader {
  partialBytes = 0
  queuedBytes = 0
  paused = false
  pauseReading(): void {
    this.paused = true
  }
  resumeReading(): void {
    this.paused = false
  }
}

describe('BufferBudget', () => {
  it('pauses every reader at the limit and resumes them below it', () => {
    const b = new BufferBudget(100)
    const r = [new Reader(), new Reader()]
    r.forEach((x) => b.add(x))
    r[0]!.queuedBytes = 100
    b.change(100)
    expect(r.map((x) => x.paused)).toEqual([true, true])
    r[0]!.queuedBytes = 0
    b.change(-100)
    expect(r.map((x) => x.paused)).toEqual([false, false])
    expect(b.pauses).toBe(1)
  })

  it('when only partial frames are held, the reader holding most may finish its frame, and only it', () => {
    const b = new BufferBudget(100)
    const [a, c] = [new Reader(), new Reader()]
    b.add(a)
    b.add(c)
    a.partialBytes = 70
    b.change(70)
    c.partialBytes = 40
    b.change(40)
    expect([a.paused, c.paused]).toEqual([false, true])
    // a's frame completes: now queued, so nobody reads until it is handled.
    a.partialBytes = 0
    a.queuedBytes = 90
    b.change(20)
    expect([a.paused, c.paused]).toEqual([true, true])
    a.queuedBytes = 0
    b.change(-90)
    expect([a.paused, c.paused]).toEqual([false, false])
    expect(b.peak).toBe(130)
  })
})

describe('settings', () => {
  it('engine limits from PS_* variables, checked', () => {
    expect(engineSettingsFromEnv({})).toEqual(DEFAULT_ENGINE_SETTINGS)
    expect(engineSettingsFromEnv({ PS_HL7_MAX_BUFFERED_BYTES: '67108864', PS_LOG_FILES: '3' })).toMatchObject({ hl7MaxBufferedBytes: 67108864, logFiles: 3 })
    expect(() => engineSettingsFromEnv({ PS_LOG_FILES: '1' })).toThrow(/PS_LOG_FILES must be at least 2/)
  })

  it('beyond loopback a TLS listener needs an allow-list or client certificates; reserved slots default to a quarter', () => {
    const c = (o: Record<string, unknown>) => hl7InboundConfigSchema.parse({ port: 0, ...o })
    expect(listenerExposureProblems(c({ host: '10.0.0.1', tls: { enabled: true, certFile: '/x/a.pem', keyFile: '/x/a.key' } })).map((p) => p.path)).toEqual(['allowedPeers'])
    expect(listenerExposureProblems(c({ host: '10.0.0.1', allowedPeers: ['10.0.0.0/8'], tls: { enabled: true } }))).toEqual([])
    expect(listenerExposureProblems(c({ host: '10.0.0.1', tls: { enabled: true, requestClientCert: true } }))).toEqual([])
    expect(listenerExposureProblems(c({ host: '127.0.0.1', maxConnections: 4, reservedConnections: 4 })).map((p) => p.path)).toEqual(['reservedConnections'])
    expect(reservedSlots(c({}))).toBe(8)
    expect(reservedSlots(c({ maxConnections: 2 }))).toBe(0)
  })
})
