import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../../../electron/engine/store/database'
import { migrate, MIGRATIONS } from '../../../electron/engine/store/migrations'

describe('migration 0130 (FHIR cross-reference, subscriptions, webhook counters, state)', () => {
  let dir: string
  let db: Db
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ps-m130-'))
    db = openDatabase({ file: join(dir, 'db'), keyHex: randomBytes(32).toString('hex') })
  })
  afterEach(() => {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('applies on top of the earlier migrations, keeping their data', () => {
    migrate(db, MIGRATIONS.filter((m) => m.version < 130))
    db.prepare(`INSERT INTO practices (id, name, environment, time_zone, created_at, updated_at) VALUES ('p', 'P', 'sandbox', 'UTC', 1, 1)`).run()
    const r = migrate(db)
    expect(r.applied).toEqual([130])
    expect(db.prepare('SELECT count(*) AS n FROM practices').get()).toEqual({ n: 1 })
    expect(migrate(db).applied).toEqual([])
  })

  it('one cross-reference row per (practice, type, FHIR id); one subscription per remote id per connection; known states only', () => {
    migrate(db)
    const ins = db.prepare('INSERT INTO fhir_resources (practice_id, resource_type, fhir_id, last_updated, record_id, athena_id, seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
    ins.run('p', 'Patient', 'a-1.E-2', '2025-01-01T00:00:00Z', 7, '2', 1)
    expect(() => ins.run('p', 'Patient', 'a-1.E-2', null, 7, '2', 2)).toThrow(/UNIQUE/)
    ins.run('p', 'Encounter', 'a-1.E-2', null, null, null, 2)
    const sub = db.prepare('INSERT INTO fhir_subscriptions (practice_id, connection_id, topic, remote_id, state, endpoint, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, 1)')
    sub.run('p', 'c', 'Patient.update', 'r1', 'active', 'https://x')
    sub.run('p', 'c', 'Patient.update', null, 'creating', 'https://x')
    sub.run('p', 'c', 'Patient.update', null, 'creating', 'https://x')
    expect(() => sub.run('p', 'c', 'Patient.update', 'r1', 'active', 'https://x')).toThrow(/UNIQUE/)
    expect(() => sub.run('p', 'c', 'Patient.update', 'r2', 'bogus', 'https://x')).toThrow(/CHECK/)
    db.prepare(`INSERT INTO fhir_webhook_counters (practice_id, subscription, day, deliveries) VALUES ('p', 'r1', '2025-01-01', 1)
      ON CONFLICT (practice_id, subscription, day) DO UPDATE SET deliveries = deliveries + 1`).run()
    db.prepare(`INSERT INTO fhir_webhook_counters (practice_id, subscription, day, deliveries) VALUES ('p', 'r1', '2025-01-01', 1)
      ON CONFLICT (practice_id, subscription, day) DO UPDATE SET deliveries = deliveries + 1`).run()
    expect(db.prepare('SELECT deliveries, duplicates FROM fhir_webhook_counters').get()).toEqual({ deliveries: 2, duplicates: 0 })
  })
})
