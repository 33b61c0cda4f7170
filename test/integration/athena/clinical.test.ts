/**
 * Chart sections and documents into observations and documents: allergies, medications, problems,
 * vitals (each reading) and lab results (each analyte) through the shipped chart mapping sets;
 * documents listed and uploaded (multipart), the upload idempotent by content.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sandboxGet, startAthenaTest, type AthenaTest } from './support'

let a: AthenaTest
beforeEach(async () => {
  a = await startAthenaTest()
})
afterEach(async () => {
  await a.stop()
})

describe('clinical data', () => {
  it('retrieves the chart of a patient into observations, linked to the patient', async () => {
    const body = await sandboxGet<{ patients: { patientid: string }[] }>(a.sb, '/patients?departmentid=1&status=active&limit=20')
    const pids = body.patients.slice(0, 4).map((p) => p.patientid)
    await a.call('athena.sync', { practiceId: 'acme', what: 'patients', mode: 'full', wait: true })
    const r = await a.call<any>('athena.sync', { practiceId: 'acme', what: 'clinical', mode: 'full', patientIds: pids, wait: true })
    expect(r).toMatchObject({ status: 'done', cursor: { patients: 4, done: 4 } })
    await a.settled()
    const errors = a.engine.ctx.db.prepare(`SELECT count(*) AS n FROM transactions WHERE status = 'error'`).get() as { n: number }
    expect(errors.n).toBe(0)
    const byCategory = a.engine.ctx.db.prepare(`SELECT json_extract(data, '$.category') AS c, count(*) AS n FROM records WHERE practice_id = 'acme' AND kind = 'observation' GROUP BY 1`).all() as { c: string; n: number }[]
    const cats = Object.fromEntries(byCategory.map((x) => [x.c, x.n]))
    // Every category the sandbox returned for these patients arrived.
    let expected = { allergy: 0, medication: 0, problem: 0, vital: 0, lab: 0 }
    for (const pid of pids) {
      const al = await sandboxGet<any>(a.sb, `/chart/${pid}/allergies?departmentid=1`)
      const me = await sandboxGet<any>(a.sb, `/chart/${pid}/medications?departmentid=1`)
      const pr = await sandboxGet<any>(a.sb, `/chart/${pid}/problems?departmentid=1`)
      const vi = await sandboxGet<any>(a.sb, `/chart/${pid}/vitals?departmentid=1`)
      const la = await sandboxGet<any>(a.sb, `/chart/${pid}/labresults?departmentid=1&limit=10000`)
      expected = {
        allergy: expected.allergy + al.allergies.length,
        medication: expected.medication + me.medications.length,
        problem: expected.problem + pr.problems.length,
        vital: expected.vital + vi.vitals.reduce((n: number, v: any) => n + v.readings.flat().length, 0),
        lab: expected.lab + la.results.reduce((n: number, l: any) => n + Math.max(1, l.analytes.length), 0),
      }
    }
    for (const [k, v] of Object.entries(expected)) expect(cats[k] ?? 0).toBe(v)
    expect(Object.values(expected).reduce((x, y) => x + y, 0)).toBeGreaterThan(10)
    const vital = a.engine.ctx.db.prepare(`SELECT data, patient_ref FROM records WHERE kind = 'observation' AND json_extract(data, '$.category') = 'vital' LIMIT 1`).get() as { data: string; patient_ref: number | null } | undefined
    if (vital) {
      expect(vital.patient_ref).not.toBeNull()
      expect(JSON.parse(vital.data)).toMatchObject({ code_system: 'LOINC', observed_at: expect.stringMatching(/Z$/) })
    }
    // Again: nothing new.
    const before = (a.engine.ctx.db.prepare(`SELECT count(*) AS n FROM records WHERE kind = 'observation'`).get() as { n: number }).n
    const again = await a.call<any>('athena.sync', { practiceId: 'acme', what: 'clinical', mode: 'full', patientIds: pids, wait: true })
    expect(again.records).toBe(0)
    await a.settled()
    expect((a.engine.ctx.db.prepare(`SELECT count(*) AS n FROM records WHERE kind = 'observation'`).get() as { n: number }).n).toBe(before)
  })

  it('uploads a document once and lists it as a Practice Studio document', async () => {
    const pid = (await sandboxGet<{ patients: { patientid: string }[] }>(a.sb, '/patients?departmentid=1&limit=1')).patients[0]!.patientid
    const input = { practiceId: 'acme', patientId: pid, departmentId: '1', documentSubclass: 'CLINICALDOCUMENT_CONSULTNOTE', filename: 'referral.pdf', contentType: 'application/pdf', contentBase64: Buffer.from('%PDF-1.4 test').toString('base64') }
    const before = a.sb.stats().records.documents
    const r = await a.call<any>('athena.uploadDocument', input)
    expect(r.error?.message ?? null).toBeNull()
    expect(r).toMatchObject({ status: 'done', result: { op: 'document.upload', documentId: expect.stringMatching(/^\d+$/) } })
    const again = await a.call<any>('athena.uploadDocument', input)
    expect(again).toMatchObject({ duplicate: true, txId: r.txId })
    expect(a.sb.stats().records.documents - before).toBe(1)
    const doc = a.engine.ctx.records.findByExternalId('acme', 'document', 'athena', r.result.documentId)!
    expect(doc.data).toMatchObject({ document_type: 'CLINICALDOCUMENT_CONSULTNOTE', content_type: 'application/pdf' })
  })
})
