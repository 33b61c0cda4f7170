/**
 * Every status change TransactionsRepo makes must leave the dashboard's rollup (migration 0190's
 * triggers) equal to a direct count of the store: an outcome of a pending row, an outcome of a row
 * discarded meanwhile, a group of outcomes over two lanes and hours, a group rolled back,
 * reprocess, discard, markProcessing and a retention delete. (Written for a version that kept the
 * counts in code instead of the trigger: it saved 2–6 µs a row, too little for a second mechanism;
 * the test stays as the rollup's guard.)
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { TxRollup } from '../../../electron/engine/console/tx-rollup'
import { TransactionsRepo, type FinishInput } from '../../../electron/engine/pipeline/transactions-repo'
import { openDatabase, type Db } from '../../../electron/engine/store/database'
import { migrate } from '../../../electron/engine/store/migrations'

const H = 3_600_000
const T0 = 1_700_000_000_000 - (1_700_000_000_000 % H)

describe('the dashboard rollup through every status change of the transactions repository', () => {
  let dir: string
  let db: Db
  let repo: TransactionsRepo
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ps-rollup-counts-'))
    db = openDatabase({ file: join(dir, 'db'), keyHex: randomBytes(32).toString('hex') })
    migrate(db)
    db.prepare(`INSERT INTO practices (id, name, environment, time_zone, created_at, updated_at) VALUES ('p', 'P', 'sandbox', 'UTC', 1, 1)`).run()
    repo = new TransactionsRepo(db)
  })
  afterEach(() => {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const add = (n: number, channel: string, at: number): number =>
    repo.insert({ practiceId: 'p', connector: 'hl7', channel, direction: 'in', contentType: 'hl7v2', raw: Buffer.from(`MSH|${channel}|${n}`), dedupKey: `${channel}-${n}` }, at).id
  const outcome = (id: number, status: FinishInput['status']): FinishInput => ({
    id,
    status,
    attempt: 1,
    startedAt: 1,
    finishedAt: 2,
    steps: [],
    error: status === 'error' ? { code: 'invalid_input', message: 'bad', retryable: false } : null,
  })
  const exact = (): boolean => new TxRollup(db).consistent()
  const cell = (channel: string, hour: number) => db.prepare('SELECT received, done, filtered, error, discarded FROM tx_hourly WHERE channel = ? AND hour = ?').get(channel, hour)

  // A lane's group of outcomes is one transaction (pipeline/outcomes.ts).
  const group = (fn: () => void): void => db.transaction(fn)()

  it('stays equal to the store through every status change, a group of outcomes included', () => {
    const a = Array.from({ length: 6 }, (_, i) => add(i, 'adt', T0 + i * 60_000))
    const b = Array.from({ length: 3 }, (_, i) => add(i, 'oru', T0 + H + i))
    expect(exact()).toBe(true)

    // A group of outcomes over two lanes and hours, one of its rows discarded after its lane read it.
    repo.discard(a[2]!, 'operator', 3)
    group(() => {
      repo.finish(outcome(a[0]!, 'done'))
      repo.finish(outcome(a[1]!, 'filtered'))
      repo.finish(outcome(a[2]!, 'done')) // discarded → done: the discard is taken back out
      repo.finish(outcome(a[3]!, 'error'))
      repo.finish(outcome(b[0]!, 'done'))
      repo.finish(outcome(b[1]!, 'queued')) // a retry: still pending, nothing counted
    })
    expect(cell('adt', T0 / H)).toEqual({ received: 6, done: 2, filtered: 1, error: 1, discarded: 0 })
    expect(cell('oru', T0 / H + 1)).toEqual({ received: 3, done: 1, filtered: 0, error: 0, discarded: 0 })
    expect(exact()).toBe(true)

    // A group that fails rolls back its rows and its counts together.
    expect(() =>
      group(() => {
        repo.finish(outcome(a[4]!, 'done'))
        throw new Error('disk gone')
      }),
    ).toThrow('disk gone')
    expect(repo.statusOf(a[4]!)).toBe('received')
    expect(exact()).toBe(true)

    // One row at a time (an outbound send's path): processing, then its outcome.
    repo.markProcessing(a[4]!, 4)
    repo.finish(outcome(a[4]!, 'done'))
    // Reprocess of an error and of a done row, a discard of a finished one, processing of a discarded one.
    repo.requeue(a[3]!, 5)
    repo.requeue(a[0]!, 5)
    repo.discard(a[1]!, 'operator', 6)
    repo.markProcessing(a[1]!, 7)
    expect(exact()).toBe(true)
    repo.finish(outcome(a[1]!, 'done'))
    repo.finish(outcome(a[3]!, 'done'))
    expect(cell('adt', T0 / H)).toEqual({ received: 6, done: 4, filtered: 0, error: 0, discarded: 0 }) // a[0] queued again, a[5] never processed
    expect(exact()).toBe(true)

    // Crash recovery and retention: the delete trigger (0190) still counts deletes.
    expect(repo.resetInterrupted(8)).toBe(0)
    db.prepare('DELETE FROM transactions WHERE id IN (?, ?)').run(a[0], b[0])
    expect(exact()).toBe(true)
    expect(cell('oru', T0 / H + 1)).toEqual({ received: 2, done: 0, filtered: 0, error: 0, discarded: 0 })
  })
})
