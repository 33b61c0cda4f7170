/**
 * Outbound SIU: appointment changes → S12/S14/S15 per destination, delivered over MLLP with one
 * message in flight, MSA-2 checked, AE retried and AR failed with the peer's text, timeouts closing
 * the socket, capped retries ending in the error queue while the queue moves on, destinations that
 * do not block each other, no echo of inbound changes, and python3-hl7's asyncio server as a peer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Hl7Message } from '../../../electron/engine/connectors/hl7'
import { adtMsg, MllpTestClient, openHl7Engine, siuMsg, startFakePeer, startPyServer, until, type Hl7TestEngine, type PeerReply } from './support'

let t: Hl7TestEngine

beforeAll(async () => {
  t = await openHl7Engine()
})
afterAll(async () => {
  await t?.close()
})

// Answers come at once here; the timeout only has to outlast a stall of a loaded machine (the silent-peer test sets its own).
const fast = { responseTimeoutMs: 5000, connectTimeoutMs: 1500, maxAttempts: 3, backoffBaseMs: 10, backoffCapMs: 40 }
let seq = 0

function patient(practiceId = 'sandbox'): number {
  const n = ++seq
  return t.engine.ctx.records.upsert({ practiceId, kind: 'patient', ids: [{ system: 'mrn:PS', value: `OUT${n}` }], data: { mrn: `OUT${n}`, last_name: 'SMITH', first_name: 'ALICE', date_of_birth: '1975-03-15', gender: 'F' } }).id
}

function appointment(ext: string, data: Record<string, unknown>, patientRef?: number, practiceId = 'sandbox'): number {
  return t.engine.ctx.records.upsert({
    practiceId,
    kind: 'appointment',
    ids: [{ system: 'ps-test', value: ext }],
    data: { external_id: ext, start_time: '2026-06-10T14:30:00Z', end_time: '2026-06-10T15:00:00Z', duration_minutes: 30, status: 'scheduled', appointment_type: 'FOLLOWUP', provider_id: '1234567890', location_id: 'CLINIC-1', ...data },
    ...(patientRef ? { patientRef } : {}),
  }).id
}

const outRows = (channel: string) => t.rows("direction = 'out' AND channel = ?", channel)

describe('appointment changes become SIU messages', () => {
  let peer: Awaited<ReturnType<typeof startFakePeer>>
  beforeAll(async () => {
    peer = await startFakePeer()
    await t.addOutbound('siu-out', { host: '127.0.0.1', port: peer.port, ...fast, sendingApplication: 'PS', sendingFacility: 'SANDBOX', receivingApplication: 'ATHENA', receivingFacility: 'A1', version: '2.5.1' })
  })
  afterAll(() => peer.stop())

  it('S12 on create, S14 on change, S15 on cancellation, each ACKed and stored with the ACK', async () => {
    const pid = patient()
    const rec = appointment('EXT-1', {}, pid)
    await until(() => peer.received.length >= 1, 'S12 at the peer')
    appointment('EXT-1', { start_time: '2026-06-10T15:30:00Z', end_time: '2026-06-10T16:00:00Z' })
    await until(() => peer.received.length >= 2, 'S14 at the peer')
    appointment('EXT-1', { status: 'cancelled', cancel_reason: 'PATIENT' })
    await until(() => peer.received.length >= 3, 'S15 at the peer')
    const [s12, s14, s15] = peer.received as [Hl7Message, Hl7Message, Hl7Message]
    expect([s12.messageType, s14.messageType, s15.messageType]).toEqual(['SIU^S12', 'SIU^S14', 'SIU^S15'])
    expect(s12.get('MSH-3')).toBe('PS')
    expect(s12.get('MSH-5')).toBe('ATHENA')
    expect(s12.version).toBe('2.5.1')
    expect(s12.structure).toBe('SIU_S12')
    expect(s12.get('SCH-1')).toBe(String(rec))
    expect(s12.get('SCH-2')).toBe('EXT-1')
    expect(s12.get('SCH-11.4')).toBe('20260610103000-0400')
    expect(s12.get('SCH-25')).toBe('Booked')
    expect(s12.get('PID-3')).toMatch(/^OUT\d+$/)
    expect(s12.get('PID-5.1')).toBe('SMITH')
    expect(s12.get('PID-7')).toBe('19750315')
    expect(s12.get('AIL-3')).toBe('CLINIC-1')
    expect(s12.get('RGS-2')).toBe('A')
    expect(s14.get('SCH-11.4')).toBe('20260610113000-0400')
    expect(s15.get('SCH-25')).toBe('Cancelled')
    expect(s15.get('SCH-6')).toBe('PATIENT')
    await until(() => outRows('siu-out').length === 3 && outRows('siu-out').every((r) => r.status === 'done'), 'three done rows')
    const rows = outRows('siu-out')
    rows.forEach((r, i) => {
      expect(r.control_id).toBe(peer.received[i]!.controlId)
      expect(r.response).toMatch(new RegExp(`MSA\\|AA\\|${r.control_id}`))
      expect(r.outbound).toContain('SIU^S1')
      expect(r.connector).toBe('hl7')
    })
    expect(new Set(rows.map((r) => r.control_id)).size).toBe(3)
  })

  it('edits that change nothing send nothing; a created-cancelled appointment sends nothing', async () => {
    const before = peer.received.length
    appointment('EXT-1', { status: 'cancelled', cancel_reason: 'PATIENT' })
    appointment('EXT-2', { status: 'cancelled' })
    t.engine.ctx.records.upsert({ practiceId: 'sandbox', kind: 'patient', ids: [{ system: 'mrn:PS', value: 'NOISE' }], data: { mrn: 'NOISE' } })
    await new Promise((r) => setTimeout(r, 300))
    await t.idle()
    expect(peer.received.length).toBe(before)
  })
})

describe('delivery failures', () => {
  it('AE is retried with backoff; the peer text is kept; a later AA completes it', async () => {
    const peer = await startFakePeer((_m, n): PeerReply => (n === 1 ? { code: 'AE', text: 'Schedule locked, try again' } : {}))
    await t.addOutbound('retry-out', { host: '127.0.0.1', port: peer.port, ...fast })
    appointment('R-1', {})
    await until(() => outRows('retry-out')[0]?.status === 'done', 'retried to done')
    const row = outRows('retry-out')[0]!
    expect(row.attempts).toBe(2)
    expect(peer.received.map((m) => m.controlId)).toEqual([row.control_id, row.control_id])
    const steps = t.engine.ctx.txRepo.steps(row.id)
    expect(steps.find((s) => s.outcome === 'error')?.detail).toMatch(/ack_error: 127\.0\.0\.1:\d+ answered AE: Schedule locked, try again/)
    expect(steps.some((s) => s.step === 'retry')).toBe(true)
    await peer.stop()
  })

  it('AR is final: the transaction goes to the error queue with the peer text and the next message is delivered', async () => {
    const peer = await startFakePeer((m): PeerReply => (m.get('SCH-2') === 'AR-1' ? { code: 'AR', text: 'Unknown provider 1234567890' } : {}))
    await t.addOutbound('reject-out', { host: '127.0.0.1', port: peer.port, ...fast })
    appointment('AR-1', {})
    appointment('AR-2', {})
    await until(() => outRows('reject-out').length === 2 && outRows('reject-out').every((r) => r.status === 'done' || r.status === 'error'), 'both settled')
    const [bad, good] = outRows('reject-out')
    if (!bad || !good) throw new Error('two rows expected')
    expect(bad).toMatchObject({ status: 'error', error_code: 'ack_reject', attempts: 1, error_retryable: 0 })
    expect(bad.error_message).toMatch(/answered AR: Unknown provider 1234567890/)
    expect(good.status).toBe('done')
    await peer.stop()
  })

  it('a silent peer: each timeout closes the socket, retries are capped, then the error queue, and the queue moves on', async () => {
    let silent = true
    const peer = await startFakePeer((): PeerReply => (silent ? { silent: true } : {}))
    await t.addOutbound('silent-out', { host: '127.0.0.1', port: peer.port, ...fast, responseTimeoutMs: 300, maxAttempts: 2 })
    appointment('SIL-1', {})
    await until(() => outRows('silent-out')[0]?.status === 'error', 'error after max attempts', 60_000)
    const row = outRows('silent-out')[0]!
    expect(row).toMatchObject({ error_code: 'timeout', attempts: 2 })
    expect(peer.received.length).toBe(2)
    silent = false
    appointment('SIL-2', {})
    await until(() => outRows('silent-out')[1]?.status === 'done', 'next one delivered')
    await peer.stop()
  })

  it('a destination that is down does not hold up another destination', async () => {
    const dead = await startFakePeer(() => ({ silent: true }))
    const live = await startFakePeer()
    await t.call('practices.create', { id: 'two-dest', name: 'Two Destinations' })
    await t.addOutbound('slow', { host: '127.0.0.1', port: dead.port, ...fast, responseTimeoutMs: 5000, maxAttempts: 5, backoffBaseMs: 2000, backoffCapMs: 4000 }, 'two-dest')
    await t.addOutbound('fast', { host: '127.0.0.1', port: live.port, ...fast }, 'two-dest')
    for (let i = 0; i < 3; i++) appointment(`TD-${i}`, {}, undefined, 'two-dest')
    await until(() => live.received.length === 3, 'three messages at the live destination')
    expect(t.rows("practice_id = 'two-dest' AND channel = 'slow'").filter((r) => r.status === 'done')).toHaveLength(0)
    await dead.stop()
    await live.stop()
  })

  it('refused connections are retried and end in the error queue', async () => {
    const p = await startFakePeer()
    const port = p.port
    await p.stop()
    await t.addOutbound('refused-out', { host: '127.0.0.1', port, ...fast, maxAttempts: 2 })
    appointment('REF-1', {})
    await until(() => outRows('refused-out')[0]?.status === 'error', 'refused to error')
    expect(outRows('refused-out')[0]).toMatchObject({ error_code: 'connection_refused', attempts: 2 })
  })
})

describe('what is (not) sent', () => {
  it('changes made by inbound messages are not echoed unless includeInboundChanges', async () => {
    const echoPeer = await startFakePeer()
    const quietPeer = await startFakePeer()
    await t.call('practices.create', { id: 'echo', name: 'Echo Clinic' })
    await t.addOutbound('quiet', { host: '127.0.0.1', port: quietPeer.port, ...fast }, 'echo')
    await t.addOutbound('echoing', { host: '127.0.0.1', port: echoPeer.port, ...fast, includeInboundChanges: true }, 'echo')
    const { port } = await t.addInbound('in', {}, 'echo')
    const c = await MllpTestClient.connect(port)
    await c.sendAck(adtMsg({ control: 'EC0', mrn: 'EC' }))
    await c.sendAck(siuMsg({ control: 'EC1', trigger: 'S12', appt: 'ECHO-1', mrn: 'EC' }))
    await until(() => echoPeer.received.length === 1, 'the echo destination gets it')
    await t.idle()
    expect(quietPeer.received).toHaveLength(0)
    c.close()
    await echoPeer.stop()
    await quietPeer.stop()
  })

  it('only the message types a destination asks for', async () => {
    const peer = await startFakePeer()
    await t.call('practices.create', { id: 'cancel-only', name: 'Cancel Only' })
    await t.addOutbound('cancels', { host: '127.0.0.1', port: peer.port, ...fast, messageTypes: ['SIU^S15'] }, 'cancel-only')
    appointment('CO-1', {}, undefined, 'cancel-only')
    appointment('CO-1', { status: 'cancelled' }, undefined, 'cancel-only')
    await until(() => peer.received.length === 1, 'the cancellation')
    expect(peer.received[0]!.messageType).toBe('SIU^S15')
    await peer.stop()
  })

  it('hl7.destinations reports queue depth and the change cursor', async () => {
    const list = await t.call<{ name: string; pending: number; lastChangeId: number | null }[]>('hl7.destinations', { practiceId: 'sandbox' })
    expect(list.find((d) => d.name === 'siu-out')).toMatchObject({ pending: 0 })
    expect(list.find((d) => d.name === 'siu-out')!.lastChangeId).toBeGreaterThan(0)
  })
})

describe('python3-hl7 peer', () => {
  it("our sender delivers to python3-hl7's asyncio MLLP server and accepts its ACKs", async () => {
    const py = await startPyServer()
    try {
      await t.call('practices.create', { id: 'py-peer', name: 'Python Peer' })
      await t.addOutbound('py-out', { host: '127.0.0.1', port: py.port, ...fast }, 'py-peer')
      const pid = patient('py-peer')
      appointment('PY-1', {}, pid, 'py-peer')
      appointment('PY-1', { start_time: '2026-06-11T14:30:00Z' }, undefined, 'py-peer')
      appointment('PY-1', { status: 'cancelled' }, undefined, 'py-peer')
      await until(() => t.rows("practice_id = 'py-peer' AND direction = 'out'").filter((r) => r.status === 'done').length === 3, 'three delivered')
      const rows = t.rows("practice_id = 'py-peer' AND direction = 'out'")
      expect(py.received).toEqual(rows.map((r) => `got SIU^${r.message_type!.slice(4)} ctrl=${r.control_id}`))
    } finally {
      await py.stop()
    }
  })
})

describe('a disabled destination is paused, not failed', () => {
  it('keeps its queue untouched and in order while disabled, and sends it, then what changed meanwhile, once enabled', async () => {
    // The peer refuses the first message, so there is a failed row to reprocess.
    const peer = await startFakePeer((_m, n) => (n === 1 ? { code: 'AR', text: 'not yet' } : {}))
    const dest = await t.addOutbound('paused-out', { host: '127.0.0.1', port: peer.port, ...fast })
    const config = (await t.call<{ config: Record<string, unknown> }[]>('connections.list', { practiceId: 'sandbox' })).find((c) => (c as { id?: string }).id === dest.id)!.config
    const setEnabled = (enabled: boolean) => t.call('connections.update', { id: dest.id, kind: 'hl7-outbound', name: 'paused-out', enabled, config })
    try {
      appointment('PAUSE-1', {}, patient())
      await until(() => outRows('paused-out').some((r) => r.status === 'error'), 'the refused S12 in the error queue')
      const failed = outRows('paused-out')[0]!

      await setEnabled(false)
      await t.call('transactions.reprocess', { ids: [failed.id] })
      appointment('PAUSE-2', {}, patient())
      await t.engine.ctx.pipeline.idle(30_000)
      // Held: queued again, no attempt spent, nothing sent; the change made meanwhile is not queued yet.
      const held = outRows('paused-out')
      expect(held.map((r) => [r.id, r.status, r.attempts])).toEqual([[failed.id, 'queued', failed.attempts]])
      expect(peer.received).toHaveLength(1)
      const details = await t.call<{ name: string; enabled: boolean; pending: number }[]>('hl7.destinations', { practiceId: 'sandbox' })
      expect(details.find((d) => d.name === 'paused-out')).toMatchObject({ enabled: false, pending: 1 })

      await setEnabled(true)
      await until(() => outRows('paused-out').length === 2 && outRows('paused-out').every((r) => r.status === 'done'), 'both sent once enabled')
      expect(peer.received.map((m) => m.get('SCH-2'))).toEqual(['PAUSE-1', 'PAUSE-1', 'PAUSE-2'])
    } finally {
      await peer.stop()
    }
  })
})
