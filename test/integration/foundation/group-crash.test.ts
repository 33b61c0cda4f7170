/**
 * Grouped processing (pipeline/outcomes.ts) under kill -9: a group of rows interrupted in the
 * middle of its write transaction leaves nothing of that group behind, and after the restart each
 * of its rows is applied exactly once. A real child process (test/fixtures/foundation/group-crash-child.ts)
 * applies rows of a grouped handler, blocks inside the open group at message STALL, and is SIGKILLed.
 */
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { TxRollup } from '../../../electron/engine/console/tx-rollup'
import { openChildDb, runUntilStalled } from '../../support/engine-child'
import { tempDir } from './support/harness'

const CHILD = 'test/fixtures/foundation/group-crash-child.ts'
const COUNT = 40
const STALL = 5

function run(dataDir: string, keyHex: string, stallAt: number) {
  return runUntilStalled(CHILD, [dataDir, keyHex, String(COUNT), String(stallAt)])
}

async function inspect(dataDir: string, keyHex: string) {
  const db = await openChildDb(dataDir, keyHex)
  try {
    return {
      integrity: db.pragma('integrity_check', { simple: true }) as string,
      statuses: db.prepare("SELECT status, count(*) AS n FROM transactions WHERE channel = 'group' GROUP BY status ORDER BY status").all() as { status: string; n: number }[],
      attempts: db.prepare("SELECT max(attempts) AS max FROM transactions WHERE channel = 'group'").get() as { max: number },
      applied: db.prepare('SELECT n, count(*) AS times FROM group_applied GROUP BY n ORDER BY n').all() as { n: number; times: number }[],
      patients: (db.prepare("SELECT count(*) AS n FROM records WHERE kind = 'patient' AND key1 LIKE 'GROUP-%'").get() as { n: number }).n,
      creates: (db.prepare("SELECT count(*) AS n FROM record_changes WHERE op = 'create' AND after LIKE '%Grouptest%'").get() as { n: number }).n,
      // The dashboard rollup's counts (0190's triggers) go with the group's transaction: all of it or none.
      rollup: db.prepare("SELECT sum(received) AS received, sum(done) AS done FROM tx_hourly WHERE channel = 'group'").get() as { received: number; done: number },
      rollupExact: new TxRollup(db).consistent(),
    }
  } finally {
    db.close()
  }
}

describe('grouped processing under kill -9', () => {
  it('a group killed inside its write transaction leaves nothing behind, and every row of it is applied exactly once after the restart', async () => {
    const dataDir = tempDir('ps-group-crash-')
    const keyHex = randomBytes(32).toString('hex')

    const first = await run(dataDir, keyHex, STALL)
    expect(first.stalled, first.stderr).toBe(true)
    // Messages 0..STALL were applied inside one open group when the kill came.
    expect(first.applied).toEqual([0, 1, 2, 3, 4, 5])
    const after = await inspect(dataDir, keyHex)
    expect(after.integrity).toBe('ok')
    expect(after.statuses).toEqual([{ status: 'received', n: COUNT }])
    expect(after.applied).toEqual([])
    expect(after.patients).toBe(0)
    expect(after.rollup).toEqual({ received: COUNT, done: 0 })
    expect(after.rollupExact).toBe(true)

    const second = await run(dataDir, keyHex, -1)
    expect(second.idle, second.stderr).toBe(true)
    expect(second.code).toBe(0)
    expect(second.applied).toEqual(Array.from({ length: COUNT }, (_, n) => n))
    const end = await inspect(dataDir, keyHex)
    expect(end.integrity).toBe('ok')
    expect(end.statuses).toEqual([{ status: 'done', n: COUNT }])
    expect(end.attempts.max).toBe(1)
    expect(end.applied).toEqual(Array.from({ length: COUNT }, (_, n) => ({ n, times: 1 })))
    expect(end.patients).toBe(COUNT)
    expect(end.creates).toBe(COUNT)
    expect(end.rollup).toEqual({ received: COUNT, done: COUNT })
    expect(end.rollupExact).toBe(true)
  })
})
