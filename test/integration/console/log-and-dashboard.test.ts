import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Dashboard, Lane } from '../../../shared/api/dashboard'
import type { AuditEntryDto } from '../../../shared/api/audit'
import type { SavedSearch } from '../../../shared/api/saved-searches'
import type { TxSummary } from '../../../shared/api/transactions'
import { adt, openTestEngine, type TestEngine } from './helpers'

type Page = { items: TxSummary[]; nextCursor: number | null }

describe('transaction log queries, export and dashboard', () => {
  let t: TestEngine
  const ids: number[] = []
  let t0: number

  beforeAll(async () => {
    t = await openTestEngine()
    t0 = Date.now()
    for (let i = 0; i < 25; i++) ids.push(await t.receive(adt({ control: `CTL${i}`, mrn: `MRN${i % 5}`, last: i === 7 ? 'QUIRINUS' : 'DOE', dob: i % 10 === 9 ? '19801301' : '19800101' })))
    ids.push(await t.receive(adt({ control: 'ORU1', mrn: 'MRN1' }), { channel: 'oru-in' }))
    await t.engine.ctx.pipeline.idle()
  })
  afterAll(() => t.close())

  it('pages newest first with a keyset cursor and no overlap', async () => {
    const seen: number[] = []
    let before: number | undefined
    for (;;) {
      const p = await t.call<Page>('transactions.list', { practiceId: 'sandbox', limit: 7, ...(before ? { before } : {}) })
      seen.push(...p.items.map((i) => i.id))
      if (p.nextCursor === null) break
      before = p.nextCursor
    }
    expect(seen).toEqual([...ids].sort((a, b) => b - a))
  })

  it('pages a time range the same way', async () => {
    const seen: number[] = []
    let before: number | undefined
    for (;;) {
      const p = await t.call<Page>('transactions.list', { practiceId: 'sandbox', from: t0 - 1000, to: Date.now() + 1000, limit: 4, ...(before ? { before } : {}) })
      seen.push(...p.items.map((i) => i.id))
      if (p.nextCursor === null) break
      before = p.nextCursor
    }
    expect(new Set(seen).size).toBe(ids.length)
    expect((await t.call<Page>('transactions.list', { practiceId: 'sandbox', from: 0, to: t0 - 1000 })).items).toEqual([])
  })

  it('finds by exact business key, and by free text', async () => {
    const byMrn = await t.call<Page>('transactions.list', { practiceId: 'sandbox', q: 'MRN3' })
    expect(byMrn.items.map((i) => i.mrn)).toEqual(['MRN3', 'MRN3', 'MRN3', 'MRN3', 'MRN3'])
    // A control id is a key: it does not also list CTL10..CTL19 that it prefixes.
    expect((await t.call<Page>('transactions.list', { practiceId: 'sandbox', q: 'CTL1' })).items.map((i) => i.controlId)).toEqual(['CTL1'])
    const byText = await t.call<Page>('transactions.list', { practiceId: 'sandbox', q: 'quirinus' })
    expect(byText.items.map((i) => i.controlId)).toEqual(['CTL7'])
    const combined = await t.call<Page>('transactions.list', { practiceId: 'sandbox', q: 'MRN1', channel: 'oru-in' })
    expect(combined.items.map((i) => i.controlId)).toEqual(['ORU1'])
  })

  it('counts a filter and audits an export without its search text', async () => {
    const r = await t.call<{ count: number }>('dashboard.beginExport', { filter: { practiceId: 'sandbox', statuses: ['error'], q: 'MRN4' }, format: 'csv' })
    expect(r.count).toBe(2)
    expect((await t.call<{ count: number }>('dashboard.beginExport', { filter: { practiceId: 'sandbox' }, format: 'json' })).count).toBe(26)
    const audit = await t.call<AuditEntryDto[]>('audit.list', { action: 'transactions.export' })
    expect(audit[1]).toMatchObject({ practiceId: 'sandbox', details: { format: 'csv', count: 2, filters: { statuses: ['error'], q: '(search)' } } })
  })

  it('summarises lanes, statuses and throughput for the dashboard', async () => {
    const d = await t.call<Dashboard>('dashboard.summary', { practiceId: 'sandbox', from: t0 - 60_000, to: Date.now() + 60_000, buckets: 12 })
    expect(d.totals).toMatchObject({ done: 24, error: 2 })
    expect(d.lanes.map((l) => [l.channel, l.counts.done, l.counts.error, l.direction])).toEqual([
      ['adt-in', 23, 2, 'in'],
      ['oru-in', 1, 0, 'in'],
    ])
    expect(d.buckets).toHaveLength(12)
    expect(d.buckets.reduce((a, b) => a + b.received, 0)).toBe(26)
    expect(d.errorRate).toBeCloseTo(2 / 26)
    expect(d.pending).toBe(0)
    const lanes = await t.call<Lane[]>('dashboard.lanes', { practiceId: 'sandbox' })
    expect(lanes.map((l) => l.channel)).toEqual(['adt-in', 'oru-in'])
    expect(lanes[0]!.lastReceivedAt).toBeGreaterThanOrEqual(t0)
  })

  it('keeps saved searches per practice, replaces by name, and audits them', async () => {
    const s = await t.call<SavedSearch>('savedSearches.save', { practiceId: 'sandbox', name: 'ADT failures', filter: { statuses: ['error'], channel: 'adt-in', range: '24h' } })
    await t.call('savedSearches.save', { practiceId: 'sandbox', name: 'ADT failures', filter: { statuses: ['error', 'filtered'], channel: 'adt-in' } })
    const list = await t.call<SavedSearch[]>('savedSearches.list', { practiceId: 'sandbox' })
    expect(list).toHaveLength(1)
    expect(list[0]).toMatchObject({ id: s.id, filter: { statuses: ['error', 'filtered'], channel: 'adt-in' }, createdBy: 'tester@ci (console)' })
    await t.call('savedSearches.delete', { id: s.id })
    expect(await t.call('savedSearches.list', { practiceId: 'sandbox' })).toEqual([])
    const audit = await t.call<AuditEntryDto[]>('audit.list', { targetType: 'saved_search' })
    expect(audit.map((a) => a.action)).toEqual(['saved_search.delete', 'saved_search.update', 'saved_search.create'])
  })
})
