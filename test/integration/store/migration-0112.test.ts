import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { RecordStore } from '../../../electron/engine/records/record-store'
import { openDatabase, type Db } from '../../../electron/engine/store/database'
import { migrate, MIGRATIONS } from '../../../electron/engine/store/migrations'

describe('migration 0112 (records waiting for their patient)', () => {
  let dir: string
  let db: Db
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ps-m112-'))
    db = openDatabase({ file: join(dir, 'db'), keyHex: randomBytes(32).toString('hex') })
  })
  afterEach(() => {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('applies on top of 0111, and an appointment synced before its patient is linked when the patient arrives', () => {
    migrate(db, MIGRATIONS.filter((m) => m.version < 112))
    expect(migrate(db, MIGRATIONS.filter((m) => m.version <= 112)).applied).toEqual([112])
    db.prepare("INSERT INTO practices (id, name, environment, time_zone, created_at, updated_at) VALUES ('p', 'P', 'preview', 'America/New_York', 1, 1)").run()
    // Today's record store also needs the migrations after it (0230: document bodies).
    migrate(db)
    const records = new RecordStore(db, () => 1000)
    const appt = records.upsert({ practiceId: 'p', kind: 'appointment', ids: [{ system: 'athena', value: 'A1' }], data: { status: 'scheduled' }, patientRef: null, awaitPatient: { system: 'athena', value: '501' } })
    const other = records.upsert({ practiceId: 'p', kind: 'appointment', ids: [{ system: 'athena', value: 'A2' }], data: { status: 'scheduled' }, patientRef: null, awaitPatient: { system: 'athena', value: '777' } })
    expect(records.get(appt.id)!.patientRef).toBeNull()
    const patient = records.upsert({ practiceId: 'p', kind: 'patient', ids: [{ system: 'athena', value: '501' }], data: { last_name: 'DOE' } })
    expect(records.get(appt.id)!.patientRef).toBe(patient.id)
    expect(records.get(other.id)!.patientRef).toBeNull()
    expect(db.prepare('SELECT value FROM pending_patient_links').all()).toEqual([{ value: '777' }])
    // Linked by a later sync of the appointment itself: nothing left waiting.
    const p2 = records.upsert({ practiceId: 'p', kind: 'patient', ids: [{ system: 'athena', value: '888' }], data: { last_name: 'ROE' } })
    records.upsert({ practiceId: 'p', kind: 'appointment', ids: [{ system: 'athena', value: 'A2' }], data: { status: 'scheduled' }, patientRef: p2.id })
    expect(db.prepare('SELECT count(*) AS n FROM pending_patient_links').get()).toEqual({ n: 0 })
    // Deleting a record takes its waiting row with it.
    expect(() => db.prepare("INSERT INTO pending_patient_links VALUES ('p', 'athena', 'x', 99999)").run()).toThrow(/FOREIGN KEY/)
  })
})
