import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../../../electron/engine/store/database'
import { migrate } from '../../../electron/engine/store/migrations'
import { RecordStore } from '../../../electron/engine/records/record-store'

/** The record store's batch read and its write paths for a caller that has read the records already (a file's chunk). */
describe('record store: many records by external id, create without lookup, patch of a record already read', () => {
  let dir: string
  let db: Db
  let store: RecordStore
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ps-records-batch-'))
    db = openDatabase({ file: join(dir, 'db'), keyHex: randomBytes(32).toString('hex') })
    migrate(db)
    db.prepare(`INSERT INTO practices (id, name, environment, time_zone, created_at, updated_at) VALUES ('p', 'P', 'sandbox', 'UTC', 1, 1)`).run()
    let t = 100
    store = new RecordStore(db, () => ++t)
  })
  afterEach(() => {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const changes = (id: number): { op: string; before: string | null; after: string }[] =>
    db.prepare('SELECT op, before, after FROM record_changes WHERE record_id = ? ORDER BY id').all(id) as { op: string; before: string | null; after: string }[]

  it('reads the records of many ids of one system in one call, with their data as stored', () => {
    const a = store.upsert({ practiceId: 'p', kind: 'patient', ids: [{ system: 'file:1', value: 'A' }, { system: 'mrn', value: 'M1' }], data: { first_name: 'Ann', last_name: 'Lee' } })
    const b = store.upsert({ practiceId: 'p', kind: 'patient', ids: [{ system: 'file:1', value: 'B' }], data: { first_name: 'Bo', last_name: 'Kim' } })
    store.upsert({ practiceId: 'p', kind: 'patient', ids: [{ system: 'file:2', value: 'C' }], data: { first_name: 'Cy' } })

    const found = store.findByExternalIds('p', 'patient', 'file:1', ['A', 'B', 'C', 'nobody'])
    expect([...found.keys()].sort()).toEqual(['A', 'B'])
    expect(found.get('A')).toMatchObject({ id: a.id, practiceId: 'p', kind: 'patient', version: 1, data: { first_name: 'Ann', last_name: 'Lee' } })
    expect(JSON.parse(found.get('A')!.json)).toEqual(found.get('A')!.data)
    expect(found.get('B')!.id).toBe(b.id)
    // Other systems, kinds and practices are not mixed in.
    expect(store.findByExternalIds('p', 'appointment', 'file:1', ['A']).size).toBe(0)
    expect(store.findByExternalIds('q', 'patient', 'file:1', ['A']).size).toBe(0)
    expect(store.findByExternalIds('p', 'patient', 'file:1', []).size).toBe(0)
  })

  it('creates without a lookup, and refuses an id that is linked already instead of attaching it to a second record', () => {
    const r = store.create({ practiceId: 'p', kind: 'patient', ids: [{ system: 'file:1', value: 'A' }], data: { first_name: 'Ann', email: undefined }, txId: null })
    expect(r.op).toBe('create')
    expect(store.findByExternalId('p', 'patient', 'file:1', 'A')!.data).toEqual({ first_name: 'Ann' })
    expect(changes(r.id)).toEqual([{ op: 'create', before: null, after: JSON.stringify({ first_name: 'Ann' }) }])
    expect(() => store.create({ practiceId: 'p', kind: 'patient', ids: [{ system: 'file:1', value: 'A' }], data: { first_name: 'Other' } })).toThrow(/UNIQUE|constraint/i)
    // Nothing of the refused create is left (its savepoint rolled back).
    expect(db.prepare("SELECT count(*) FROM records WHERE kind = 'patient'").pluck().get()).toBe(1)
  })

  it('creates a patient that records waiting for it are linked to, like upsert', () => {
    const appt = store.upsert({ practiceId: 'p', kind: 'appointment', ids: [{ system: 'x', value: 'A1' }], data: { status: 'booked' }, awaitPatient: { system: 'file:1', value: 'P9' } })
    const pat = store.create({ practiceId: 'p', kind: 'patient', ids: [{ system: 'file:1', value: 'P9' }], data: { first_name: 'Pat' } })
    expect(store.get(appt.id)!.patientRef).toBe(pat.id)
  })

  it('patches a record already read without reading it again, the before-image as stored; unchanged writes nothing; a stale read fails as a conflict', () => {
    const c = store.upsert({ practiceId: 'p', kind: 'patient', ids: [{ system: 'file:1', value: 'A' }], data: { first_name: 'Ann', address: { line1: '1 Main', city: 'X' } } })
    const read = store.findByExternalIds('p', 'patient', 'file:1', ['A']).get('A')!
    // The same values (nested ones in another key order): no new version.
    expect(store.patch(c.id, { first_name: 'Ann', address: { city: 'X', line1: '1 Main' } }, 5, read).op).toBe('unchanged')
    expect(changes(c.id)).toHaveLength(1)

    const r = store.patch(c.id, { email: 'a@example.org' }, 5, read)
    expect(r).toMatchObject({ op: 'update', before: { first_name: 'Ann' }, after: { first_name: 'Ann', email: 'a@example.org' } })
    expect(store.get(c.id)).toMatchObject({ version: 2, data: { first_name: 'Ann', address: { line1: '1 Main', city: 'X' }, email: 'a@example.org' } })
    const last = changes(c.id)[1]!
    expect(last.op).toBe('update')
    expect(last.before).toBe(read.json)
    expect(JSON.parse(last.after)).toEqual(store.get(c.id)!.data)

    // The read is now one version behind: patching with it would overwrite the e-mail, so it fails and writes nothing.
    expect(() => store.patch(c.id, { first_name: 'Anne' }, 5, read)).toThrow(expect.objectContaining({ code: 'conflict', retryable: true }))
    expect(store.get(c.id)).toMatchObject({ version: 2, data: { first_name: 'Ann', email: 'a@example.org' } })
    expect(changes(c.id)).toHaveLength(2)
  })

  it('a patch rewrites the lookup keys when the last name or birth date changes, and leaves them when only other fields do', () => {
    const c = store.upsert({ practiceId: 'p', kind: 'patient', ids: [{ system: 'file:1', value: 'A' }], data: { first_name: 'Ann', last_name: 'Lee', date_of_birth: '1980-01-02', mrn: 'M1' } })
    const keys = (): unknown => db.prepare('SELECT key1, key2, key3, patient_ref FROM records WHERE id = ?').get(c.id)
    const read = () => store.findByExternalIds('p', 'patient', 'file:1', ['A']).get('A')!

    // Another field (the write that leaves the key columns and their indexes alone).
    store.patch(c.id, { email: 'a@example.org' }, 1, read())
    expect(keys()).toEqual({ key1: 'M1', key2: 'lee', key3: '1980-01-02', patient_ref: null })
    expect(store.findPatientsByNameDob('p', 'Lee', '1980-01-02').map((r) => r.data.email)).toEqual(['a@example.org'])

    // A new last name, a new birth date, a new MRN: each found by its new key, no longer by the old one.
    store.patch(c.id, { last_name: 'Park' }, 1, read())
    expect(keys()).toEqual({ key1: 'M1', key2: 'park', key3: '1980-01-02', patient_ref: null })
    expect(store.findPatientsByNameDob('p', 'Lee', '1980-01-02')).toEqual([])
    store.patch(c.id, { date_of_birth: '1980-02-01', mrn: 'M2' }, 1, read())
    expect(keys()).toEqual({ key1: 'M2', key2: 'park', key3: '1980-02-01', patient_ref: null })
    expect(store.findPatientsByNameDob('p', 'park', '1980-02-01').map((r) => r.id)).toEqual([c.id])
    expect(store.findPatientsByMrn('p', 'M1')).toEqual([])

    // Without a snapshot (keys as stored unknown to the caller) the record is read and patched alike.
    store.patch(c.id, { last_name: 'Lee' })
    expect(keys()).toEqual({ key1: 'M2', key2: 'lee', key3: '1980-02-01', patient_ref: null })
    expect(store.get(c.id)!.version).toBe(5)
  })
})
