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
      await until(
        () => peer.received.length === 3,
        () =>
          `the two changes made meanwhile; the peer got ${JSON.stringify(peer.received.map((m) => `${m.messageType} ${m.get('SCH-2')}`))}, outbound rows ${JSON.stringify(second.rows("direction = 'out'").map((r) => [r.id, r.status, r.attempts, r.error_code, r.next_attempt_at]))}; engine log:\n${second.logs.filter((l) => !l.includes('"level":"debug"')).slice(-40).join('\n')}`,
      )
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

  it('a stop while a message waits for its ACK lets that ACK come, so the restart does not send it again', async () => {
    // The peer takes 600 ms to answer: the engine is stopped in between.
    const peer = await startFakePeer(() => ({ delayMs: 600 }))
    const first = await openHl7Engine({ keepDir: true })
    const dir = first.dir
    try {
      await first.addOutbound('slow', { host: '127.0.0.1', port: peer.port, responseTimeoutMs: 5000 })
      first.engine.ctx.records.upsert({ practiceId: 'sandbox', kind: 'appointment', ids: [{ system: 'ps', value: 'INFLIGHT' }], data: { external_id: 'INFLIGHT', start_time: '2026-06-10T14:30:00Z', status: 'scheduled' } })
      await until(() => peer.received.length === 1, 'the message in flight')
    } finally {
      await first.close()
    }
    expect(peer.received).toHaveLength(1)

    const second = await openHl7Engine({ dir, keepDir: true })
    try {
      expect(second.rows("direction = 'out'").map((r) => [r.status, r.attempts])).toEqual([['done', 1]])
      await second.idle()
      await new Promise((r) => setTimeout(r, 300))
      expect(peer.received).toHaveLength(1)
    } finally {
      await second.close()
      await peer.stop()
    }
  })
})
