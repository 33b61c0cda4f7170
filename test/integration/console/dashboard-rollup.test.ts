/**
 * The dashboard's long windows read the hourly rollup (migration 0190, console/tx-rollup.ts).
 * Whatever happens to the rows (processed done / filtered / error, reprocessed, fixed by an edit,
 * discarded, a practice deleted) the rollup-backed answer must equal a direct count of the store,
 * practice by practice, bucket by bucket; a rollup found missing or broken is rebuilt at first use.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Dashboard } from '../../../shared/api/dashboard'
import { systemClock, type Clock } from '../../../electron/engine/core/clock'
import { ConsoleQueries } from '../../../electron/engine/console/console-queries'
import { TxRollup } from '../../../electron/engine/console/tx-rollup'
import { mulberry32 } from '../../support/prng'
import { adt, openTestEngine, type TestEngine } from './helpers'

const DAY = 86_400_000
const PRACTICES = ['sandbox', 'north', 'south']
type Counts = { received: number; done: number; filtered: number; error: number; discarded: number }

describe('dashboard over the hourly rollup', () => {
  let t: TestEngine
  let offset = 0
  const clock: Clock = { ...systemClock, now: () => Date.now() + offset }
  const errors: number[] = []

  beforeAll(async () => {
    t = await openTestEngine({ clock })
    await t.call('practices.create', { id: 'north', name: 'North Clinic' })
    await t.call('practices.create', { id: 'south', name: 'South Clinic' })
    const r = mulberry32(7)
    const pending: Promise<number>[] = []
    // 360 messages spread over the last 35 days at uneven times (never on an hour boundary by design).
    for (let i = 0; i < 360; i++) {
      offset = -35 * DAY + Math.floor(i * (35 * DAY) / 360 + r() * 3_000_000)
      const practiceId = PRACTICES[i % 3]!
      const x = r()
      let msg = adt({ control: `C${i}`, mrn: `M${i % 40}`, dob: x < 0.15 ? '19801301' : '19800101' })
      if (x > 0.85) msg = msg.replace('PV1|1|O', 'PV1|1|X')
      const p = t.receive(msg, { practiceId, channel: i % 4 === 0 ? 'oru-in' : 'adt-in' })
      pending.push(p)
      if (x < 0.15) void p.then((id) => errors.push(id))
    }
    offset = 0
    await Promise.all(pending)
    await t.engine.ctx.pipeline.idle()
  })
  afterAll(() => t.close())

  /** Counts straight from the rows, with plain SQL: what each bucket and lane must say. */
  function directCounts(practiceId: string, lo: number, hi: number, channel?: string): Counts {
    const rows = t.engine.ctx.db
      .prepare(`SELECT status, count(*) AS n FROM transactions WHERE practice_id = ? AND received_at >= ? AND received_at < ? ${channel ? 'AND channel = ?' : ''} GROUP BY status`)
      .all(...[practiceId, lo, hi, ...(channel ? [channel] : [])]) as { status: string; n: number }[]
    const c: Counts = { received: 0, done: 0, filtered: 0, error: 0, discarded: 0 }
    for (const r of rows) {
      c.received += r.n
      if (r.status in c) c[r.status as keyof Counts] += r.n
    }
    return c
  }

  async function expectMatchesStore(days: number, buckets: number): Promise<void> {
    const to = Date.now() + 1000
    const from = to - days * DAY
    for (const practiceId of PRACTICES) {
      const d = await t.call<Dashboard>('dashboard.summary', { practiceId, from, to, buckets })
      // Buckets of whole hours, aligned to UTC hours after the first one: the rollup was used.
      expect(d.bucketMs % 3_600_000).toBe(0)
      expect(d.buckets[1]!.start % 3_600_000).toBe(0)
      d.buckets.forEach((b, k) => {
        const c = directCounts(practiceId, b.start, d.buckets[k + 1]?.start ?? to)
        expect({ received: b.received, done: b.done, filtered: b.filtered, error: b.error }).toEqual({ received: c.received, done: c.done, filtered: c.filtered, error: c.error })
      })
      for (const l of d.lanes) {
        const c = directCounts(practiceId, from, to, l.channel)
        expect(l.counts).toMatchObject({ done: c.done, filtered: c.filtered, error: c.error, discarded: c.discarded, queued: c.received - c.done - c.filtered - c.error - c.discarded })
      }
      // And the same totals as the dashboard counted from the index alone.
      const plain = new ConsoleQueries(t.engine.ctx.db, null).dashboard({ practiceId, from, to, buckets })
      expect(d.totals).toEqual(plain.totals)
      expect(d.lanes.map((l) => l.counts)).toEqual(plain.lanes.map((l) => l.counts))
    }
  }

  it('rebuilds a missing rollup at its first use, then answers 30 and 7 days like a direct count', async () => {
    const db = t.engine.ctx.db
    expect(directCounts('north', 0, Date.now() + 1000)).toMatchObject({ received: 120 })
    for (const p of PRACTICES) {
      const c = directCounts(p, 0, Date.now() + 1000)
      expect(c.done * c.filtered * c.error).toBeGreaterThan(0) // a mixed workload in every practice
    }
    // Missing (emptied by hand): the engine's first use of it rebuilds it from the store.
    db.prepare('DELETE FROM tx_hourly').run()
    expect(new TxRollup(db).consistent()).toBe(false)
    await expectMatchesStore(30, 60)
    expect(new TxRollup(db).consistent()).toBe(true)
    await expectMatchesStore(7, 28)
  })

  it('stays equal through reprocessing, an edit that fixes a message, discards and a deleted practice', async () => {
    expect(errors.length).toBeGreaterThan(10)
    await t.call('transactions.reprocess', { ids: errors.slice(0, 5) })
    await t.engine.ctx.pipeline.idle()
    const fixed = await t.call<{ id: number }>('transactions.editAndReprocess', { id: errors[5], raw: adt({ control: 'FIXED', mrn: 'M1' }), reason: 'date of birth corrected' })
    await t.engine.ctx.pipeline.idle()
    expect(t.engine.ctx.txRepo.get(fixed.id)?.status).toBe('done')
    await t.call('transactions.discard', { ids: errors.slice(6, 10), reason: 'sent twice by the clinic' })
    await expectMatchesStore(30, 60)
    await t.call('practices.delete', { id: 'south', confirm: 'south' })
    expect(t.engine.ctx.db.prepare(`SELECT count(*) AS n FROM tx_hourly WHERE practice_id = 'south'`).get()).toEqual({ n: 0 })
    expect(new TxRollup(t.engine.ctx.db).consistent()).toBe(true)
  })

  it('a rebuild from the store gives the rollup the triggers kept; a negative cell is rebuilt at first use, other drift found by consistent()', () => {
    const db = t.engine.ctx.db
    const all = () => db.prepare('SELECT * FROM tx_hourly WHERE received > 0 ORDER BY practice_id, connector, channel, hour').all()
    const kept = all()
    const newest = `practice_id = 'north' AND hour = (SELECT max(hour) FROM tx_hourly WHERE practice_id = 'north')`
    db.prepare(`UPDATE tx_hourly SET done = -1 WHERE ${newest}`).run()
    expect(new TxRollup(db).ensure()).toBe(true)
    expect(all()).toEqual(kept)
    db.prepare(`UPDATE tx_hourly SET done = done + 3 WHERE ${newest}`).run()
    expect(new TxRollup(db).ensure()).toBe(false) // not visible from the rollup alone
    expect(new TxRollup(db).consistent()).toBe(false)
    new TxRollup(db).rebuild()
    expect(all()).toEqual(kept)
    expect(new TxRollup(db).consistent()).toBe(true)
  })
})
