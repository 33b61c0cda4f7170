/**
 * Grouped processing (pipeline/outcomes.ts `processGroup`) with a real engine and a `grouped`
 * handler: consecutive rows of a lane applied in one write, each apply in its own savepoint. Run
 * once grouped and once a row per write (`groupedProcessing: false`): the outcomes, the records and
 * their order must be the same; only the number of writes differs.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { AppError } from '../../../shared/errors'
import { systemClock, type Clock } from '../../../electron/engine/core/clock'
import type { ConnectorHandler } from '../../../electron/engine/pipeline/connector-handler'
import { openTestEngine, waitFor, type TestEngine } from './support/harness'

type Op = 'ok' | 'fail' | 'retry-once' | 'filter'
interface Msg {
  n: number
  op: Op
  /** Messages naming the same patient update one record, in arrival order. */
  patient: string
}

let t: TestEngine | null = null
afterEach(async () => {
  await t?.stop()
  t = null
})

async function run(grouped: boolean, msgs: Msg[]) {
  let holding = true
  const retried = new Set<number>()
  // Monotonic time at a hundredth of its speed: a group's time budget never cuts it short on a busy machine.
  const clock: Clock = { ...systemClock, monotonic: () => performance.now() / 100 }
  const handler: ConnectorHandler<Msg, Msg> = {
    connector: 'grp',
    direction: 'in',
    grouped: true,
    maxAttempts: 3,
    backoff: { baseMs: 1, capMs: 5 },
    held: () => (holding ? 'receiving first' : null),
    parse: (ctx) => JSON.parse(ctx.payload.toString('utf8')) as Msg,
    filter: (m) => (m.op === 'filter' ? { accept: false, rule: 'test-rule', reason: 'op says filter' } : { accept: true }),
    map: (m) => m,
    apply(m, ctx) {
      // Writes first, then fails: the savepoint must take the write back.
      const prior = ctx.records.findByExternalId(ctx.tx.practice_id, 'patient', 'grp', m.patient)
      const seen = ((prior?.data.seen as number[] | undefined) ?? []).concat(m.n)
      ctx.records.upsert({ practiceId: ctx.tx.practice_id, kind: 'patient', ids: [{ system: 'grp', value: m.patient }], data: { mrn: m.patient, seen }, txId: ctx.tx.id })
      if (m.op === 'fail') throw new AppError('validation_error', `Message ${m.n} cannot be applied (test).`, { retryable: false })
      if (m.op === 'retry-once' && !retried.has(m.n)) {
        retried.add(m.n)
        throw new AppError('remote_error', `Message ${m.n}: try again (test).`, { retryable: true })
      }
    },
  }
  t = await openTestEngine({ clock, groupedProcessing: grouped, modules: [(e) => e.ctx.pipeline.register(handler)] })
  const { pipeline, batcher, txRepo, records } = t.engine.ctx
  const ids: number[] = []
  for (const m of msgs) {
    const r = await pipeline.receive({ practiceId: 'sandbox', connector: 'grp', channel: 'grp', direction: 'in', contentType: 'json', raw: Buffer.from(JSON.stringify(m)), dedupKey: `m-${m.n}`, controlId: `m-${m.n}` })
    ids.push(r.id)
  }
  const writesBefore = batcher.stats.writes
  holding = false
  pipeline.kickPending()
  await waitFor(() => ids.every((id) => ['done', 'filtered', 'error'].includes(txRepo.get(id)!.status)), 'every row finished', 60_000)
  const writes = batcher.stats.writes - writesBefore
  const rows = ids.map((id) => {
    const r = txRepo.get(id)!
    return { status: r.status, attempts: r.attempts, error: r.error_code, filteredBy: r.filtered_by, changes: records.changesForTx(id).map((c) => c.op) }
  })
  const patients = [...new Set(msgs.map((m) => m.patient))].map((p) => ({ p, seen: records.findByExternalId('sandbox', 'patient', 'grp', p)?.data.seen ?? null }))
  return { rows, patients, writes }
}

// 0..29: a patient per pair of messages, so every record is written twice, in order; among them a
// failing apply (4), a filtered row (9) and a row that asks to be retried once (17).
const MSGS: Msg[] = Array.from({ length: 30 }, (_, n) => ({ n, op: n === 4 ? 'fail' : n === 9 ? 'filter' : n === 17 ? 'retry-once' : 'ok', patient: `P${Math.floor(n / 2)}` }))

describe('grouped processing', () => {
  it('gives the outcomes and records of row-by-row processing, in lane order, with fewer writes', async () => {
    const one = await run(false, MSGS)
    await t!.stop()
    t = null
    const grouped = await run(true, MSGS)
    expect(grouped.rows).toEqual(one.rows)
    expect(grouped.patients).toEqual(one.patients)

    // The failing apply wrote, then threw: its own write is gone, its neighbours' stay.
    expect(grouped.rows[4]).toEqual({ status: 'error', attempts: 1, error: 'validation_error', filteredBy: null, changes: [] })
    expect(grouped.patients.find((x) => x.p === 'P2')!.seen).toEqual([5])
    expect(grouped.rows[9]).toMatchObject({ status: 'filtered', filteredBy: 'test-rule', changes: [] })
    // Retried once; the rows behind it waited for it (P8 saw 16, then 17 on its second attempt).
    expect(grouped.rows[17]).toMatchObject({ status: 'done', attempts: 2, changes: ['update'] })
    expect(grouped.patients.find((x) => x.p === 'P8')!.seen).toEqual([16, 17])
    expect(grouped.patients.find((x) => x.p === 'P9')!.seen).toEqual([18, 19])
    for (const [i, r] of grouped.rows.entries()) if (![4, 9, 17].includes(i)) expect(r).toMatchObject({ status: 'done', attempts: 1 })

    // Row by row: one write per attempt (31). Grouped: a few group writes.
    expect(one.writes).toBeGreaterThanOrEqual(MSGS.length + 1)
    expect(grouped.writes).toBeLessThan(MSGS.length / 3)
  })
})
