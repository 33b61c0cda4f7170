/**
 * A big message's document body is stored by its hash on the big-payload thread and committed
 * before the group that refers to it (pipeline/outcomes.ts, processBig). Killed in between (the
 * body on disk, the group's transaction open), nothing is lost and nothing is stored twice: the
 * body stays unreferenced, the row pending; after the restart the row is applied once and its
 * record refers to that same stored body (reused, not written again). A real child process
 * (test/fixtures/foundation/body-crash-child.ts) blocks inside the open group and is SIGKILLed.
 */
import { createHash, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { openChildDb, runUntilStalled } from '../../support/engine-child'
import { bodyOf } from '../../fixtures/foundation/body-crash-child'
import { tempDir } from './support/harness'

const CHILD = 'test/fixtures/foundation/body-crash-child.ts'
const COUNT = 4
const STALL = 2
const sha = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex')

function run(dataDir: string, keyHex: string, stallAt: number) {
  return runUntilStalled(CHILD, [dataDir, keyHex, String(COUNT), String(stallAt)])
}

async function inspect(dataDir: string, keyHex: string) {
  const db = await openChildDb(dataDir, keyHex)
  try {
    return {
      integrity: db.pragma('integrity_check', { simple: true }) as string,
      statuses: db.prepare("SELECT status, count(*) AS n FROM transactions WHERE channel = 'bodies' GROUP BY status ORDER BY status").all() as { status: string; n: number }[],
      attempts: db.prepare("SELECT max(attempts) AS max FROM transactions WHERE channel = 'bodies'").pluck().get() as number,
      bodies: db.prepare('SELECT sha256, bytes, stored_at FROM bodies ORDER BY sha256').all() as { sha256: string; bytes: number; stored_at: number }[],
      refs: db.prepare("SELECT json_extract(r.data, '$.title') AS title, b.sha256 FROM records r JOIN record_bodies b ON b.record_id = r.id WHERE r.kind = 'document' ORDER BY r.id").all() as { title: string; sha256: string }[],
      creates: db.prepare("SELECT count(*) FROM record_changes WHERE kind = 'document' AND op = 'create'").pluck().get() as number,
      readBack: (db.prepare("SELECT b.body FROM records r JOIN record_bodies x ON x.record_id = r.id JOIN bodies b ON b.sha256 = x.sha256 WHERE r.kind = 'document' ORDER BY r.id").pluck().all() as Buffer[]).map((b) => b.toString('utf8')),
    }
  } finally {
    db.close()
  }
}

describe('a big body stored before its group, under kill -9', () => {
  it('a kill between the body write and the group commit loses nothing and stores nothing twice', async () => {
    const dataDir = tempDir('ps-body-crash-')
    const keyHex = randomBytes(32).toString('hex')
    const all = Array.from({ length: COUNT }, (_, n) => n)

    const first = await run(dataDir, keyHex, STALL)
    expect(first.stalled, first.stderr).toBe(true)
    // Each big row is a group of its own: 0 and 1 committed, 2 applied inside its open group.
    expect(first.applied).toEqual([0, 1, 2])
    const killed = await inspect(dataDir, keyHex)
    expect(killed.integrity).toBe('ok')
    expect(killed.statuses).toEqual([
      { status: 'done', n: STALL },
      { status: 'received', n: COUNT - STALL },
    ])
    // The stalled row's body is on disk (committed by the big-payload thread before its group), and nothing refers to it.
    expect(killed.bodies.map((b) => b.sha256)).toEqual([0, 1, 2].map((n) => sha(bodyOf(n))).sort())
    expect(killed.refs).toEqual([0, 1].map((n) => ({ title: `Doc ${n}`, sha256: sha(bodyOf(n)) })))
    expect(killed.creates).toBe(STALL)
    const storedAt = killed.bodies.find((b) => b.sha256 === sha(bodyOf(STALL)))!.stored_at

    const second = await run(dataDir, keyHex, -1)
    expect(second.idle, second.stderr).toBe(true)
    expect(second.code).toBe(0)
    expect(second.applied).toEqual([2, 3])
    const end = await inspect(dataDir, keyHex)
    expect(end.integrity).toBe('ok')
    expect(end.statuses).toEqual([{ status: 'done', n: COUNT }])
    expect(end.attempts).toBe(1)
    // One body per message, each stored once; the stalled row's is the one stored before the kill, reused.
    expect(end.bodies.map((b) => b.sha256)).toEqual(all.map((n) => sha(bodyOf(n))).sort())
    expect(end.bodies.find((b) => b.sha256 === sha(bodyOf(STALL)))!.stored_at).toBe(storedAt)
    expect(end.refs).toEqual(all.map((n) => ({ title: `Doc ${n}`, sha256: sha(bodyOf(n)) })))
    expect(end.creates).toBe(COUNT)
    expect(end.readBack).toEqual(all.map(bodyOf))
  }, 120_000)
})
