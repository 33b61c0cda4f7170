/**
 * Incremental sync through athena's changed-data feeds: the first run subscribes, later runs pick
 * up staff edits (simulated in the sandbox) and update the same Practice Studio records. A
 * destructive read that was never stored (a crash between reading and storing) is recovered from
 * the journal with athena's processed-time replay window; an explicit replay stores nothing twice.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { athena, athenaIds, recordCount, sandboxToken, startAthenaTest, type AthenaTest } from './support'

let a: AthenaTest | null = null
afterEach(async () => {
  await a?.stop()
  a = null
})

const sync = (t: AthenaTest, what: string, mode: string, extra: Record<string, unknown> = {}) => t.call<any>('athena.sync', { practiceId: 'acme', what, mode, wait: true, ...extra })

describe('changed-data feeds', () => {
  it('subscribes, then applies staff edits to the same records', async () => {
    a = await startAthenaTest({ config: { pageSize: 5, appointmentWindowPastDays: 1, appointmentWindowFutureDays: 3 } })
    await sync(a, 'patients', 'full')
    const first = await sync(a, 'patients', 'incremental')
    expect(first).toMatchObject({ status: 'done', records: 0, cursor: { subscribed: true } })
    await sync(a, 'appointments', 'incremental')
    await a.settled()
    const patientsBefore = recordCount(a, 'patient')

    const changed = a.sb.simulateChanges(40)
    expect(changed.patients.length).toBeGreaterThan(5)
    const p = await sync(a, 'patients', 'incremental')
    expect(p.status).toBe('done')
    expect(p.records).toBe(new Set(changed.patients).size)
    expect(p.pages).toBeGreaterThan(1)
    const ap = await sync(a, 'appointments', 'incremental')
    expect(ap.records).toBe(new Set(changed.appointments).size)
    await a.settled()
    // Updates, not new patients; changed appointments outside the full-sync window are new records.
    expect(recordCount(a, 'patient')).toBe(patientsBefore)
    expect(athenaIds(a, 'appointment')).toEqual(expect.arrayContaining([...new Set(changed.appointments)].sort()))
    const changes = a.engine.ctx.db.prepare(`SELECT count(DISTINCT record_id) AS n FROM record_changes WHERE practice_id = 'acme' AND kind = 'patient' AND op = 'update'`).get() as { n: number }
    expect(changes.n).toBe(new Set(changed.patients).size)
    // The feed is drained: nothing pending on the sandbox side for our client.
    expect(Object.values(a.sb.stats().feeds.pending).every((n) => n === 0)).toBe(true)
  })

  it('replays a destructive read that was never stored, from the processed-time window', async () => {
    a = await startAthenaTest({ config: { pageSize: 50 } })
    await sync(a, 'patients', 'full')
    await sync(a, 'patients', 'incremental')
    await a.settled()
    const changed = a.sb.simulateChanges(30)
    const ids = [...new Set(changed.patients)]
    // A crash between the read and the store: the journal says a read began, the feed is consumed.
    athena(a).runtime.syncState.openFeedRead('acme', 'patients', Date.now())
    const tok = await sandboxToken(a.sb)
    const lost = await fetch(`${a.sb.url}/v1/${a.sb.practiceId}/patients/changed`, { headers: { Authorization: `Bearer ${tok}` } })
    expect(((await lost.json()) as { patients: unknown[] }).patients.length).toBe(ids.length)

    const r = await sync(a, 'patients', 'incremental')
    expect(r.status).toBe('done')
    expect(r.records).toBe(ids.length)
    await a.settled()
    const updated = a.engine.ctx.db.prepare(`SELECT count(DISTINCT record_id) AS n FROM record_changes WHERE practice_id = 'acme' AND kind = 'patient' AND op = 'update'`).get() as { n: number }
    expect(updated.n).toBe(ids.length)
    expect(athena(a).runtime.syncState.openFeedReads('acme', 'patients')).toEqual([])

    // An explicit replay of the window finds the same changes and stores none of them twice.
    const replay = await sync(a, 'patients', 'replay', { replayMinutes: 10 })
    expect(replay).toMatchObject({ status: 'done', records: 0 })
    expect(replay.duplicates).toBe(ids.length)
  })
})
