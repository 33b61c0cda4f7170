/**
 * athena event subscriptions end to end against the sandbox's push: the job creates one
 * subscription per topic exactly as athena expects; a change made through the sandbox's /v1
 * arrives, is stored, re-read and applied; duplicated, reordered, batched, late and badly signed
 * deliveries and the R4 Parameters status shape change nothing twice; a dropped notification is
 * filled by reconciliation; a subscription is renewed across its end with an overlap in which
 * both secrets are accepted, and the old one is deleted after it.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { systemClock } from '../../../electron/engine/core/clock'
import { waitFor } from '../foundation/support/harness'
import { fhir, patientRecord, PRACTICE, startFhirTest, txRows, type FhirTest } from './support'

let f: FhirTest | undefined
afterEach(async () => {
  await f?.stop()
  f = undefined
})

const sandboxOpts = { clock: systemClock, fhirRetryWindowMs: 3000, fhirRetryBaseMs: 100 }

async function updateEmail(t: FhirTest, patientId: string, email: string): Promise<void> {
  const tok = await fhir(t).runtime.entry(PRACTICE).tokens.getToken()
  const res = await fetch(`${t.sb.url}/v1/195900/patients/${patientId}`, { method: 'PUT', headers: { Authorization: `Bearer ${tok}` }, body: new URLSearchParams({ email }) })
  expect(res.status).toBe(200)
}

const emailOf = (t: FhirTest, id: string): unknown => patientRecord(t, id)?.data.email

describe('subscriptions and push', () => {
  it('creates the subscriptions, receives a sandbox change, and survives duplicates, reordering, batching, late and badly signed deliveries and both status shapes', async () => {
    f = await startFhirTest({ sandbox: sandboxOpts, webhook: { topics: ['Patient.update', 'Appointment.schedule'] } })
    const sync = await f.call<any>('fhir.subscriptions.sync', { practiceId: PRACTICE })
    expect(sync).toMatchObject({ created: 2, errors: [] })
    const subs = await f.call<any[]>('fhir.subscriptions.list', { practiceId: PRACTICE })
    expect(subs.map((s) => [s.topic, s.state, s.remoteStatus])).toEqual([['Appointment.schedule', 'active', 'active'], ['Patient.update', 'active', 'active']])
    expect([...f.sb.fhir.push.subs.values()].map((s) => s.filter)).toEqual(['ah-practice=Organization/a-1.Practice-195900', 'ah-practice=Organization/a-1.Practice-195900'])
    for (const id of ['1005', '1006', '1007', '1008', '1009']) await f.call('fhir.pull.patient', { practiceId: PRACTICE, id: `a-195900.E-${id}` })
    await f.settled()

    await updateEmail(f, '1005', 'first@example.org')
    await waitFor(() => emailOf(f!, '1005') === 'first@example.org', 'the change to arrive by push')

    f.sb.fhir.setPushFaults({ duplicate: 2, reorder: true, batch: 3, batchWindowMs: 50, delayMs: 100 })
    await updateEmail(f, '1006', 'a@example.org')
    await updateEmail(f, '1007', 'b@example.org')
    await updateEmail(f, '1006', 'c@example.org')
    await waitFor(() => emailOf(f!, '1006') === 'c@example.org' && emailOf(f!, '1007') === 'b@example.org', 'batched, duplicated, reordered changes')
    f.sb.fhir.setPushFaults({ duplicate: 0, reorder: false, batch: 0, delayMs: 0, badSignature: 1, statusShape: 'parameters' })
    await updateEmail(f, '1008', 'd@example.org')
    await waitFor(() => emailOf(f!, '1008') === 'd@example.org', 'a delivery first refused for its signature, then retried')
    await f.sb.fhir.push.idle()
    await f.settled()
    const c = (await f.call<any[]>('fhir.subscriptions.list', { practiceId: PRACTICE })).find((s) => s.topic === 'Patient.update').today
    expect(c.duplicates).toBeGreaterThanOrEqual(1)
    expect(fhir(f).repo.countersToday(PRACTICE, '-', Date.now()).bad_signatures).toBe(1)
    // Every event once: one transaction per event id, all done, and the patient record changed once per distinct state.
    const notes = txRows(f, "connector = 'fhir' AND message_type LIKE 'notification%'")
    expect(notes.every((r) => r.status === 'done')).toBe(true)
    expect(notes.length).toBe(f.sb.fhir.push.counters.events - f.sb.fhir.push.counters.dropped)
    const changes = f.engine.ctx.db.prepare("SELECT count(*) AS n FROM record_changes WHERE record_id = ? AND op = 'update'").get(patientRecord(f, '1006').id) as { n: number }
    expect(changes.n).toBeLessThanOrEqual(2)

    // A dropped notification is found by reconciliation.
    f.sb.fhir.setPushFaults({ drop: 1, statusShape: 'resource' })
    await updateEmail(f, '1009', 'dropped@example.org')
    await f.sb.fhir.push.idle()
    await f.settled()
    expect(emailOf(f, '1009')).not.toBe('dropped@example.org')
    const rec = await f.call<any>('fhir.reconcile', { practiceId: PRACTICE })
    expect(rec).toMatchObject({ why: 'manual', error: null })
    expect(rec.patients).toBeGreaterThanOrEqual(5)
    await f.settled()
    expect(emailOf(f, '1009')).toBe('dropped@example.org')
  })

  it('renews a subscription across its end: the new one first, both secrets accepted during the overlap, the old one deleted after', async () => {
    // 14.4 s lifetime, renewed 7.2 s before its end, the old one kept 4 s: the overlap below has
    // ~4 s to itself, and the replacement's own renewal comes ~3 s after the old one is gone. (With a
    // 3.6 s lifetime a slow start let the test take the replacement for the first, and meet a third.)
    f = await startFhirTest({ sandbox: sandboxOpts, webhook: { topics: ['Patient.update'], lifetimeHours: 0.004, renewBeforeMinutes: 0.12, overlapSeconds: 4, checkIntervalSeconds: 1 } })
    await f.call('fhir.pull.patient', { practiceId: PRACTICE, id: 'a-195900.E-1005' })
    await waitFor(() => fhir(f!).repo.subscriptions([PRACTICE]).some((s) => s.state === 'active'), 'the first subscription')
    const first = fhir(f).repo.subscriptions([PRACTICE]).reduce((a, b) => (b.id < a.id ? b : a))
    const firstSecret = await f.engine.ctx.secrets.get(fhir(f).subscriptions.secretName(first.id))
    // The job replaces it before its end.
    await waitFor(() => fhir(f!).repo.subscription(first.id)!.state === 'retiring', 'the renewal to start', 20_000)
    const during = fhir(f).repo.subscriptions([PRACTICE])
    const second = during.find((s) => s.state === 'active' && s.id !== first.id)!
    expect(second.topic).toBe('Patient.update')
    const secondSecret = await f.engine.ctx.secrets.get(fhir(f).subscriptions.secretName(second.id))
    expect(secondSecret).not.toBe(firstSecret)
    expect(f.sb.fhir.push.subs.size).toBe(2)
    // During the overlap a change goes to both; both are signed with their own secret and accepted; the event is stored once.
    await updateEmail(f, '1005', 'overlap@example.org')
    await waitFor(() => emailOf(f!, '1005') === 'overlap@example.org', 'the change during the overlap')
    await f.sb.fhir.push.idle()
    expect(fhir(f).repo.countersToday(PRACTICE, '-', Date.now()).bad_signatures).toBe(0)
    expect(txRows(f, "connector = 'fhir' AND message_type LIKE 'notification%'")).toHaveLength(1)
    // After the overlap the old one is deleted on the server and its secret forgotten.
    await waitFor(() => fhir(f!).repo.subscription(first.id)!.state === 'deleted', 'the old subscription to be deleted')
    expect(f.sb.fhir.push.subs.has(first.remoteId!)).toBe(false)
    expect(await f.engine.ctx.secrets.get(fhir(f).subscriptions.secretName(first.id))).toBeNull()
    // The list is the live ones; the deleted one only when asked for, and nothing outside the scope.
    const live = await f.call<any[]>('fhir.subscriptions.list', { practiceId: PRACTICE })
    expect(live.map((s) => s.id)).not.toContain(first.id)
    expect(live.every((s) => s.state !== 'deleted')).toBe(true)
    const withDeleted = await f.call<any[]>('fhir.subscriptions.list', { practiceId: PRACTICE, includeDeleted: true })
    expect(withDeleted.find((s) => s.id === first.id)).toMatchObject({ state: 'deleted', topic: 'Patient.update' })
    expect(await f.call<any[]>('fhir.subscriptions.list', { practiceIds: ['another-practice'], includeDeleted: true })).toEqual([])
    const audit = await f.call<any[]>('audit.list', { practiceId: PRACTICE })
    expect(audit.map((e) => e.action)).toEqual(expect.arrayContaining(['fhir.subscription.create', 'fhir.subscription.renew', 'fhir.subscription.delete']))
  })
})
