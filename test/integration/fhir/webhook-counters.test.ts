/** Receipt counters are kept in memory per delivery and written in one go: readers see them at once, the table once flushed, nothing counted twice. */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FhirRepo } from '../../../electron/engine/connectors/fhir/store/fhir-repo'
import { openDatabase, type Db } from '../../../electron/engine/store/database'
import { migrate } from '../../../electron/engine/store/migrations'

const DAY = Date.UTC(2026, 11, 6, 12)

describe('FHIR webhook receipt counters', () => {
  let dir: string
  let db: Db
  let repo: FhirRepo
  const stored = (): unknown[] => db.prepare('SELECT subscription, day, deliveries, events, duplicates, bad_signatures, last_delivery_at FROM fhir_webhook_counters ORDER BY subscription').all()

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ps-fhir-counters-'))
    db = openDatabase({ file: join(dir, 'db'), keyHex: randomBytes(32).toString('hex') })
    migrate(db)
    repo = new FhirRepo(db)
  })
  afterEach(() => {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('adds pending counts to what is stored, writes them once on flush, and keeps the latest delivery time', () => {
    repo.count('p', 'sub-1', { deliveries: 1, events: 1 }, DAY, true)
    repo.count('p', 'sub-1', { deliveries: 1, duplicates: 1 }, DAY + 5, true)
    repo.count('p', '-', { bad_signatures: 1 }, DAY)
    expect(repo.countsPending).toBe(true)
    expect(stored()).toEqual([])
    expect(repo.countersToday('p', 'sub-1', DAY)).toMatchObject({ deliveries: 2, events: 1, duplicates: 1, lastDeliveryAt: DAY + 5 })

    repo.flushCounts()
    expect(repo.countsPending).toBe(false)
    expect(stored()).toEqual([
      { subscription: '-', day: '2026-12-06', deliveries: 0, events: 0, duplicates: 0, bad_signatures: 1, last_delivery_at: null },
      { subscription: 'sub-1', day: '2026-12-06', deliveries: 2, events: 1, duplicates: 1, bad_signatures: 0, last_delivery_at: DAY + 5 },
    ])
    expect(repo.countersToday('p', 'sub-1', DAY)).toMatchObject({ deliveries: 2, events: 1, duplicates: 1, lastDeliveryAt: DAY + 5 })

    // A later delivery counted before an earlier one (reordered): the sums add up and the time does not go back.
    repo.count('p', 'sub-1', { deliveries: 1, events: 1 }, DAY + 1, true)
    expect(repo.countersToday('p', 'sub-1', DAY)).toMatchObject({ deliveries: 3, events: 2, lastDeliveryAt: DAY + 5 })
    repo.flushCounts()
    expect(repo.countersToday('p', 'sub-1', DAY)).toMatchObject({ deliveries: 3, events: 2, lastDeliveryAt: DAY + 5 })
    // Another UTC day is another row.
    expect(repo.countersToday('p', 'sub-1', DAY + 86_400_000)).toMatchObject({ deliveries: 0, lastDeliveryAt: null })
  })
})
