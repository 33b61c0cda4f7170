/**
 * What migration 0020 (hl7_outbound_cursors; its own test is test/integration/store/) is for: a destination remembers the last
 * appointment change it queued, so a restart sends what changed while the engine was down, never
 * re-sends what was already queued, and a new destination does not replay history.
 */
import { describe, expect, it } from 'vitest'
import { openHl7Engine, startFakePeer, until } from './support'

describe('outbound change cursor across restarts', () => {
  it('sends changes made while stopped, re-sends nothing, and a new destination starts at the newest change', async () => {
    const peer = await startFakePeer()
    const first = await openHl7Engine({ keepDir: true })
    const dir = first.dir
    const appt = (t: typeof first, ext: string, data: Record<string, unknown> = {}) =>
      t.engine.ctx.records.upsert({ practiceId: 'sandbox', kind: 'appointment', ids: [{ system: 'ps', value: ext }], data: { external_id: ext, start_time: '2026-06-10T14:30:00Z', status: 'scheduled', ...data } })
    try {
      appt(first, 'BEFORE-DEST')
      await first.addOutbound('out', { host: '127.0.0.1', port: peer.port, responseTimeoutMs: 2000, maxAttempts: 3, backoffBaseMs: 10, backoffCapMs: 20 })
      appt(first, 'A1')
      await until(() => peer.received.length === 1, 'A1 sent')
    } finally {
      await first.close()
    }

    // Changed while the engine was not running (e.g. by another tool on the same data).
    const second = await openHl7Engine({ dir, keepDir: true, start: false })
    try {
      appt(second, 'A2')
      appt(second, 'A1', { status: 'cancelled' })
      await second.engine.start()
      await until(() => peer.received.length === 3, 'the two changes made meanwhile')
      await second.idle()
      expect(peer.received.map((m) => `${m.messageType} ${m.get('SCH-2')}`)).toEqual(['SIU^S12 A1', 'SIU^S12 A2', 'SIU^S15 A1'])
      expect(second.rows("direction = 'out'").map((r) => r.status)).toEqual(['done', 'done', 'done'])
      const peer2 = await startFakePeer()
      await second.addOutbound('late', { host: '127.0.0.1', port: peer2.port, responseTimeoutMs: 2000 })
      appt(second, 'A3')
      await until(() => peer2.received.length === 1 && peer.received.length === 4, 'A3 at both')
      expect(peer2.received[0]!.get('SCH-2')).toBe('A3')
      await peer2.stop()
    } finally {
      await second.close()
      await peer.stop()
    }
  })
})
