import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { MissRow } from '../../../shared/api/mappings'
import { openTestEngine, waitFor, type TestEngine } from '../foundation/support/harness'
import { csvConnector, csvPatient } from './support'

const P = 'sandbox'
const KEY = 'csv.patient.in'

describe('unmapped-codes worklist: count misses, add the entry, reprocess the failed transactions', () => {
  let t: TestEngine
  beforeEach(async () => {
    t = await openTestEngine({ modules: [csvConnector] })
    // The practice wants unknown sex codes to fail rather than quietly become U.
    await t.call('mappings.publish', { practiceId: P, key: KEY, comment: 'strict sex codes', override: { baseKey: KEY, codeMaps: [{ name: 'csv_gender', onMiss: 'error' }] } })
  })
  afterEach(async () => {
    await t.stop()
  })

  const receive = async (id: string, gender: string) => {
    const r = await t.engine.ctx.pipeline.receive({ practiceId: P, connector: 'csvtest', channel: 'files', direction: 'in', contentType: 'csv', raw: Buffer.from(csvPatient(id, gender)) })
    return r.id
  }
  const status = (id: number) => t.engine.ctx.txRepo.get(id)?.status

  it('goes from failures to success in three calls, with every step audited', async () => {
    const ids = [await receive('p1', 'X'), await receive('p2', 'x'), await receive('p3', 'F'), await receive('p4', 'N')]
    await t.engine.ctx.pipeline.idle()
    expect(ids.map(status)).toEqual(['error', 'error', 'done', 'error'])

    let misses = await t.call<MissRow[]>('mappings.misses', { practiceId: P })
    const x = misses.find((m) => m.value === 'X')!
    expect(x).toMatchObject({ setKey: KEY, setName: expect.stringContaining('CSV'), mapName: 'csv_gender', count: 1, failedTransactions: 1, mapped: false, choices: ['M', 'F', 'O', 'U'] })
    // The map ignores case, but the worklist keeps the codes as they came: x is its own row.
    expect(misses.find((m) => m.value === 'x')).toMatchObject({ count: 1, failedTransactions: 1 })
    expect(misses.find((m) => m.value === 'N')).toMatchObject({ count: 1, examples: [ids[3]] })

    // Reprocessing without a fix fails again but is not counted twice.
    await t.call('transactions.reprocess', { ids: [ids[0]] })
    await waitFor(() => status(ids[0]!) === 'error' && t.engine.ctx.txRepo.get(ids[0]!)!.attempts === 2, 'second attempt')
    misses = await t.call<MissRow[]>('mappings.misses', { practiceId: P })
    expect(misses.find((m) => m.value === 'X')!.count).toBe(1)

    // Someone is editing a draft meanwhile: it must keep the new entry when it is published later.
    await t.call('mappings.saveDraft', { practiceId: P, key: KEY, override: { baseKey: KEY, codeMaps: [{ name: 'csv_gender', onMiss: 'error' }], fields: [{ id: 'county', target: 'custom.county', source: 'COUNTY', transforms: [{ op: 'upper' }] }] } })

    const added = await t.call<{ version: { version: number; comment: string }; failedTransactions: number[] }>('mappings.addMissEntry', { practiceId: P, key: KEY, map: 'csv_gender', value: 'X', to: 'U', note: 'intersex, recorded as unknown' })
    expect(added.version.version).toBe(2)
    // The map ignores case: x is the same code, so both spellings are resolved and both transactions can go again.
    expect(added.failedTransactions).toEqual([ids[0], ids[1]])
    const eff = t.engine.ctx.mappings.effective(P, KEY).set.codeMaps.find((m) => m.name === 'csv_gender')!
    expect(eff.entries).toContainEqual({ from: 'X', to: 'U', note: 'intersex, recorded as unknown' })
    const draft = t.engine.ctx.mappings.draft(P, KEY)!
    expect(draft.override.codeMaps?.[0]?.entries).toContainEqual({ from: 'X', to: 'U', note: 'intersex, recorded as unknown' })
    expect(draft.override.fields?.[0]?.id).toBe('county')

    // Resolved, but both spellings stay on the list while their transactions wait in the error queue.
    misses = await t.call<MissRow[]>('mappings.misses', { practiceId: P })
    expect(misses.map((m) => [m.value, m.mapped, m.failedTransactions, m.resolvedAt !== null]).sort()).toEqual([
      ['N', false, 1, false],
      ['X', true, 1, true],
      ['x', true, 1, true],
    ])

    const r = await t.call<{ queued: number[] }>('mappings.reprocessMisses', { practiceId: P, key: KEY, map: 'csv_gender', value: 'X' })
    expect(r.queued).toEqual([ids[0], ids[1]])
    await waitFor(() => status(ids[0]!) === 'done' && status(ids[1]!) === 'done', 'reprocessed transactions done')
    expect(status(ids[3]!)).toBe('error')
    const rec = t.engine.ctx.records.findByExternalId(P, 'patient', 'csvtest', 'p1')
    expect(rec?.data).toMatchObject({ gender: 'U', first_name: 'Elena' })

    // Nothing left to reprocess for X, and the worklist is down to the code nobody mapped.
    expect(await t.call('mappings.reprocessMisses', { practiceId: P, key: KEY, map: 'csv_gender', value: 'X' })).toEqual({ queued: [], skipped: [] })
    expect((await t.call<MissRow[]>('mappings.misses', { practiceId: P })).map((m) => m.value)).toEqual(['N'])

    const audit = await t.call<{ action: string; details: Record<string, unknown> }[]>('audit.list', { practiceId: P })
    const actions = audit.map((a) => a.action)
    expect(actions).toEqual(expect.arrayContaining(['mapping.publish', 'mapping.reprocess_misses', 'transaction.reprocess']))
    expect(audit.find((a) => a.action === 'mapping.publish' && a.details.source === 'worklist')?.details).toMatchObject({ map: 'csv_gender', code: 'X', to: 'U', version: 2 })
  })

  it('dismisses a miss without mapping it, and a new miss of the same code opens it again', async () => {
    const id = await receive('p9', 'Q')
    await t.engine.ctx.pipeline.idle()
    expect(await t.call('mappings.dismissMiss', { practiceId: P, key: KEY, map: 'csv_gender', value: 'Q' })).toEqual({ dismissed: true })
    // Dismissed, yet its failed transaction still waits: it stays visible until that is dealt with.
    expect((await t.call<MissRow[]>('mappings.misses', { practiceId: P })).find((m) => m.value === 'Q')).toMatchObject({ mapped: false, failedTransactions: 1 })
    await t.call('transactions.discard', { ids: [id], reason: 'test data' })
    expect((await t.call<MissRow[]>('mappings.misses', { practiceId: P })).some((m) => m.value === 'Q')).toBe(false)
    expect((await t.call<MissRow[]>('mappings.misses', { practiceId: P, includeResolved: true })).find((m) => m.value === 'Q')?.resolvedAt).toBeTypeOf('number')
    await receive('p10', 'Q')
    await t.engine.ctx.pipeline.idle()
    expect((await t.call<MissRow[]>('mappings.misses', { practiceId: P })).find((m) => m.value === 'Q')).toMatchObject({ count: 2, resolvedAt: null, failedTransactions: 1 })
    expect(status(id)).toBe('discarded')
  })

  it('refuses an entry for a map the set does not have', async () => {
    const r = await t.callRaw('mappings.addMissEntry', { practiceId: P, key: KEY, map: 'nope', value: 'X', to: 'U' })
    expect(r).toMatchObject({ ok: false, error: { code: 'not_found' } })
  })
})
