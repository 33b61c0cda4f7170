import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, start, token, type Started } from './helpers'

let s: Started
let tok: string
beforeAll(async () => {
  s = await start({ patientCount: 300 })
  tok = await token(s.sb)
})
afterAll(() => s.sb.close())

/** First seeded patient whose chart has something in `section`. */
async function patientWith(section: string, key: string, params: Record<string, string> = {}): Promise<{ id: number; body: any }> {
  for (let id = 1001; id < 1300; id++) {
    const res = await api(s.sb, tok, 'GET', `/chart/${id}/${section}`, { departmentid: 1, ...params })
    if (res.json[key]?.length) return { id, body: res.json }
  }
  throw new Error(`no patient with ${section}`)
}

describe('chart', () => {
  it('requires departmentid on every chart endpoint', async () => {
    for (const section of ['allergies', 'medications', 'problems', 'vitals', 'labresults']) {
      const res = await api(s.sb, tok, 'GET', `/chart/1001/${section}`)
      expect(res.status).toBe(400)
      expect(res.json.missingfields).toEqual(['departmentid'])
    }
  })

  it('returns medications as an array of arrays', async () => {
    const { body } = await patientWith('medications', 'medications', { showrxnorm: 'true' })
    expect(Array.isArray(body.medications[0])).toBe(true)
    const entry = body.medications[0][0]
    expect(entry.medicationentryid).toMatch(/^H\d+$/)
    expect(typeof entry.medicationid).toBe('number')
    expect(entry.rxnorm[0]).toMatch(/^\d+$/)
    expect(entry.events.some((e: any) => e.type === 'START')).toBe(true)
  })

  it('returns allergies with reactions, problems with SNOMED codes and vitals with LOINC readings', async () => {
    const allergy = (await patientWith('allergies', 'allergies')).body.allergies[0]
    expect(allergy.reactions[0]).toHaveProperty('snomedcode')
    expect(allergy.lastmodifieddatetime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[-+]\d{2}:\d{2}$/)
    const problems = (await patientWith('problems', 'problems', { showinactive: 'true' })).body
    expect(problems.problems[0]).toMatchObject({ codeset: 'SNOMED' })
    expect(problems.problems[0].events[0].eventtype).toBe('START')
    const vitals = (await patientWith('vitals', 'vitals')).body
    const bp = vitals.vitals.find((v: any) => v.key === 'BLOODPRESSURE')
    expect(bp.readings[0].map((r: any) => r.clinicalelementid)).toEqual(['VITALS.BLOODPRESSURE.SYSTOLIC', 'VITALS.BLOODPRESSURE.DIASTOLIC'])
    expect(bp.readings[0][0].code).toBe('8480-6')
  })

  it('returns lab results in a results envelope with analytes, identically on every read', async () => {
    const { id, body } = await patientWith('labresults', 'results')
    expect(body.totalcount).toBe(body.results.length)
    const result = body.results[0]
    expect(result.analytes.length).toBeGreaterThan(0)
    expect(result.analytes[0]).toHaveProperty('loinc')
    expect(result.labresultdatetime).toMatch(/^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}:\d{2}$/)
    const again = await api(s.sb, tok, 'GET', `/chart/${id}/labresults`, { departmentid: 1 })
    expect(again.json).toEqual(body)
  })

  it('has an empty chart for a patient created through the API', async () => {
    const pid = (await api(s.sb, tok, 'POST', '/patients', { departmentid: 1, firstname: 'Empty', lastname: 'Chart', dob: '01/01/1999' })).json[0].patientid
    const res = await api(s.sb, tok, 'GET', `/chart/${pid}/problems`, { departmentid: 1 })
    expect(res.json).toMatchObject({ problems: [], totalcount: 0 })
  })
})
