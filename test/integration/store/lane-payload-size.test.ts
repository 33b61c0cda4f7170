/**
 * A lane's rows carry the size of the payload their attempt will process (the group's big-message
 * check reads it there): the original bytes, or the edited version once an operator edited them,
 * without reading either; and a small original's bytes themselves, the attempt's payload.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../../../electron/engine/store/database'
import { migrate } from '../../../electron/engine/store/migrations'
import { INLINE_RAW_BYTES, TransactionsRepo } from '../../../electron/engine/pipeline/transactions-repo'

let dir: string
let db: Db
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ps-lane-size-'))
  db = openDatabase({ file: join(dir, 'db'), keyHex: randomBytes(32).toString('hex') })
  migrate(db)
  db.prepare("INSERT INTO practices (id, name, environment, time_zone, settings, created_at, updated_at) VALUES ('p', 'P', 'preview', 'UTC', '{}', 0, 0)").run()
})
afterEach(() => {
  db.close()
  rmSync(dir, { recursive: true, force: true })
})

describe("a lane row's payload size", () => {
  it('is the original bytes, then the edited version', () => {
    const repo = new TransactionsRepo(db)
    const small = repo.insert({ practiceId: 'p', connector: 'hl7', channel: 'in', direction: 'in', contentType: 'hl7v2', raw: Buffer.alloc(1_000, 0x41) }, 1)
    const big = repo.insert({ practiceId: 'p', connector: 'hl7', channel: 'in', direction: 'in', contentType: 'hl7v2', raw: Buffer.alloc(2_000_000, 0x42) }, 2)
    const sizes = (): number[] => repo.nextInLane('p', 'hl7', 0, undefined, 10).map((r) => r.payload_bytes)
    expect(sizes()).toEqual([1_000, 2_000_000])

    // An operator's edit: the attempt processes the new version, so its size is what counts.
    const v = repo.addPayloadVersion(big.id, Buffer.alloc(300, 0x43), 'op', 'trimmed', 3)
    repo.requeue(big.id, 3, v)
    expect(sizes()).toEqual([1_000, 300])
    expect(repo.payloadOf(repo.nextInLane('p', 'hl7', small.id, undefined, 1)[0]!).length).toBe(300)
  })

  it('comes with the bytes of a small original (the same bytes payloadOf() reads); none for a big or an edited one', () => {
    const repo = new TransactionsRepo(db)
    const small = Buffer.from('MSH|^~\\&|A|B|C|D|20260101||ADT^A04|1|P|2.5.1\r')
    const edge = Buffer.alloc(INLINE_RAW_BYTES, 0x45)
    const big = Buffer.alloc(INLINE_RAW_BYTES + 1, 0x46)
    const ids = [small, edge, big].map((raw, i) => repo.insert({ practiceId: 'p', connector: 'hl7', channel: 'in', direction: 'in', contentType: 'hl7v2', raw }, i).id)
    const rows = repo.nextInLane('p', 'hl7', 0, undefined, 10)
    expect(rows.map((r) => r.inline_raw?.length ?? null)).toEqual([small.length, INLINE_RAW_BYTES, null])
    expect(rows[0]!.inline_raw!.equals(small)).toBe(true)
    // What comes inline is what the attempt would otherwise read.
    expect(repo.payloadOf(rows[0]!).equals(small)).toBe(true)
    expect(rows[1]!.inline_raw!.equals(repo.payloadOf(rows[1]!))).toBe(true)
    expect(repo.payloadOf(rows[2]!).equals(big)).toBe(true)

    // After an edit the attempt processes the new version: no original bytes come along.
    const v = repo.addPayloadVersion(ids[0]!, Buffer.from('edited'), 'op', 'fixed PID', 9)
    repo.requeue(ids[0]!, 9, v)
    const again = repo.nextInLane('p', 'hl7', 0, undefined, 1)[0]!
    expect(again.inline_raw).toBeNull()
    expect(repo.payloadOf(again).toString()).toBe('edited')
  })
})
