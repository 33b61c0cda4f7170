/**
 * The FHIR panel sync against the sandbox over real HTTP: the practice's known patients (here the
 * ones the athenaNet connector imported) are read again in `_id` batches with all their Encounters,
 * Observations and DocumentReferences, page by page, each resource one transaction; nothing the
 * server has is lost or stored twice. The next run reads clinical data only since the last run
 * started (`_lastUpdated=ge…`), so unchanged data is not fetched again; a full run reads it all
 * again and stores nothing twice.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { fhir, PRACTICE, startFhirTest, txRows, type FhirTest } from './support'

let f: FhirTest | undefined
afterEach(async () => {
  await f?.stop()
  f = undefined
})

const PATIENTS = ['1001', '1002', '1005']

/** What the sandbox has for one patient, counted with plain searches (`_count=0` answers the total). */
async function serverCount(t: FhirTest, fhirId: string): Promise<number> {
  const tok = await fhir(t).runtime.entry(PRACTICE).tokens.getToken()
  let n = 0
  for (const type of ['Encounter', 'Observation', 'DocumentReference']) {
    const res = await fetch(`${t.sb.fhirBase}/${type}?patient=${fhirId}&_count=0&ah-practice=Organization/a-1.Practice-${t.sb.practiceId}`, { headers: { Authorization: `Bearer ${tok}` } })
    expect(res.status).toBe(200)
    n += ((await res.json()) as { total: number }).total
  }
  return n
}

describe('FHIR panel sync', () => {
  it('reads every known patient and all their clinical data once, then only what changed since the last run', async () => {
    f = await startFhirTest()
    for (const id of PATIENTS) await f.call('athena.importPatient', { practiceId: PRACTICE, patientId: id })
    await f.settled()
    const fhirIds = PATIENTS.map((id) => `a-${f!.sb.practiceId}.E-${id}`)
    let clinical = 0
    for (const id of fhirIds) clinical += await serverCount(f, id)
    expect(clinical, 'the sandbox seeds clinical data for these patients').toBeGreaterThan(PATIENTS.length)

    const first = await f.call<any>('fhir.pull.panel', { practiceId: PRACTICE, full: true })
    expect(first).toMatchObject({ patients: PATIENTS.length, since: null, resources: PATIENTS.length + clinical, stored: PATIENTS.length + clinical, duplicates: 0 })
    // Page size 5: more pages than searches, so paging was followed.
    expect(first.pages).toBeGreaterThan(PATIENTS.length * 3)
    await f.settled()
    const rows = txRows(f)
    expect(rows).toHaveLength(PATIENTS.length + clinical)
    expect(rows.filter((r) => r.status !== 'done')).toEqual([])

    const requestsBefore = f.sb.stats().requests.total
    const second = await f.call<any>('fhir.pull.panel', { practiceId: PRACTICE })
    // The patients are read again (their demographics may have changed); no clinical data changed since the first run.
    expect(second).toMatchObject({ patients: PATIENTS.length, resources: PATIENTS.length, stored: 0, duplicates: PATIENTS.length })
    expect(typeof second.since).toBe('string')
    expect(Date.parse(second.since)).toBeLessThanOrEqual(Date.now())
    // One page per search: the unchanged data was not fetched page by page again.
    expect(f.sb.stats().requests.total - requestsBefore).toBeLessThanOrEqual(1 + PATIENTS.length * 3 + 1)

    const full = await f.call<any>('fhir.pull.panel', { practiceId: PRACTICE, full: true })
    expect(full).toMatchObject({ resources: PATIENTS.length + clinical, stored: 0, duplicates: PATIENTS.length + clinical })
    await f.settled()
    expect(txRows(f)).toHaveLength(PATIENTS.length + clinical)
  }, 120_000)
})
