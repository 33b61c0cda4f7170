/**
 * Code-map misses commit with the transaction's outcome (ProcessContext.commitWith), not on their
 * own: a process killed (-9) between a transaction's mapping and its outcome leaves neither the
 * outcome nor the miss, and after the restart the miss is recorded once, with the outcome. A real
 * child (test/fixtures/foundation/misses-crash-child.ts) runs a handler whose map waits, like the
 * FHIR and athena outbound handlers (the old per-resource commit left the miss behind here).
 */
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { openChildDb, runReportingChild } from '../../support/engine-child'
import { tempDir } from './support/harness'

const CHILD = 'test/fixtures/foundation/misses-crash-child.ts'
const COUNT = 4
const STALL = 2

async function run(dataDir: string, keyHex: string, stallAt: number) {
  const r = { done: [] as number[], mapped: false, idle: false }
  const end = await runReportingChild(CHILD, [dataDir, keyHex, String(COUNT), String(stallAt)], (word, arg, child) => {
    if (word === 'DONE') r.done.push(Number(arg))
    else if (word === 'IDLE') r.idle = true
    else if (word === 'MAPPED') {
      r.mapped = true
      // Give an immediate commit every chance to land first (the old behaviour would be on disk by now).
      setTimeout(() => child.kill('SIGKILL'), 300)
    }
  })
  return { ...r, ...end }
}

async function inspect(dataDir: string, keyHex: string) {
  const db = await openChildDb(dataDir, keyHex)
  try {
    return {
      // Per message: its transaction's status and the misses recorded for it (count, linked transactions).
      rows: db
        .prepare(
          `SELECT t.id, t.status, m.count AS misses, (SELECT count(*) FROM code_miss_transactions l WHERE l.tx_id = t.id) AS links
           FROM transactions t LEFT JOIN code_misses m ON m.set_key = 'crash.test' AND m.value = 'X' || (t.id - (SELECT min(id) FROM transactions WHERE channel = 'misses'))
           WHERE t.channel = 'misses' ORDER BY t.id`,
        )
        .all() as { id: number; status: string; misses: number | null; links: number }[],
    }
  } finally {
    db.close()
  }
}

describe('code-map misses under kill -9', () => {
  it('a transaction killed between its mapping and its outcome leaves no miss; after the restart the miss lands once, with the outcome', async () => {
    const dataDir = tempDir('ps-misses-crash-')
    const keyHex = randomBytes(32).toString('hex')

    const first = await run(dataDir, keyHex, STALL)
    expect(first.mapped, first.stderr).toBe(true)
    expect(first.done).toEqual([0, 1])
    const after = await inspect(dataDir, keyHex)
    expect(after.rows.map((r) => [r.status === 'done', r.misses, r.links])).toEqual([
      [true, 1, 1],
      [true, 1, 1],
      // Killed after its mapping recorded a miss and before its outcome: neither is on disk.
      [false, null, 0],
      [false, null, 0],
    ])

    const second = await run(dataDir, keyHex, -1)
    expect(second.idle, second.stderr).toBe(true)
    expect(second.code).toBe(0)
    expect(second.done).toEqual([2, 3])
    const end = await inspect(dataDir, keyHex)
    expect(end.rows.map((r) => [r.status, r.misses, r.links])).toEqual(Array.from({ length: COUNT }, () => ['done', 1, 1]))
  })
})
