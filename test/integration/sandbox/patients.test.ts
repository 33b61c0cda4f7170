import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, start, token, type ApiResponse, type Started } from './helpers'

let s: Started
let tok: string
beforeAll(async () => {
  s = await start({ patientCount: 500 })
  tok = await token(s.sb)
})
afterAll(() => s.sb.close())

async function followAll(first: string, key: string): Promise<{ rows: any[]; links: string[] }> {
  const rows: any[] = []
  const links: string[] = []
  let path: string | undefined = first
  while (path) {
    const res: ApiResponse = await api(s.sb, tok, 'GET', path)
    expect(res.status).toBe(200)
    rows.push(...res.json[key])
    path = res.json.next
    if (path) links.push(path)
  }
  return { rows, links }
}

describe('GET /patients', () => {
  it('pages through every patient by following next links (relative, /v1/{practiceid}, upper-cased params)', async () => {
    const departments = (await api(s.sb, tok, 'GET', '/departments')).json.departments.map((d: any) => d.departmentid)
    const seen = new Set<string>()
    let total = 0
    for (const dept of departments) {
      const { rows, links } = await followAll(`/v1/195900/patients?departmentid=${dept}&limit=40`, 'patients')
      const first = await api(s.sb, tok, 'GET', '/patients', { departmentid: dept, limit: 40 })
      expect(rows.length).toBe(first.json.totalcount)
      total += rows.length
      for (const r of rows) seen.add(r.patientid)
      if (links.length) {
        expect(links[0]).toBe(`/v1/195900/patients?DEPARTMENTID=${dept}&limit=40&offset=40`)
      }
    }
    expect(total).toBe(500)
    expect(seen.size).toBe(500)
    expect(s.sb.stats().records.patients).toBe(500)
  })

  it('returns ids as digit strings, escaped dates and omits empty optional fields', async () => {
    const res = await api(s.sb, tok, 'GET', '/patients', { status: 'a', limit: 200 })
    const p = res.json.patients[0]
    expect(p.patientid).toMatch(/^\d+$/)
    expect(p.dob).toMatch(/^\d{2}\/\d{2}\/\d{4}$/)
    expect(res.text).toMatch(/"dob":"\d{2}\\\/\d{2}\\\/\d{4}"/)
    expect(res.json.patients.every((x: any) => x.status === 'active')).toBe(true)
    const withoutEmail = res.json.patients.find((x: any) => !('email' in x))
    expect(withoutEmail).toBeDefined()
    const sexes = new Set(res.json.patients.map((x: any) => x.sex))
    expect(sexes.has('F') && sexes.has('M')).toBe(true)
  })

  it('treats parameter names case-insensitively and clamps limit to 5000', async () => {
    const lower = await api(s.sb, tok, 'GET', '/patients', { lastname: 'Rivera' })
    const upper = await api(s.sb, tok, 'GET', '/patients', { LASTNAME: 'rivera' })
    expect(upper.json.totalcount).toBe(lower.json.totalcount)
    const big = await api(s.sb, tok, 'GET', '/patients', { status: 'active', limit: 99999 })
    expect(big.status).toBe(200)
  })

  it('requires a real search field and validates dates', async () => {
    const none = await api(s.sb, tok, 'GET', '/patients', { limit: 10 })
    expect(none.status).toBe(400)
    expect(none.json.error).toBe('Additional fields are required.')
    expect(none.json.missingfields).toContain('lastname')
    const badDob = await api(s.sb, tok, 'GET', '/patients', { dob: '1985-03-14' })
    expect(badDob.status).toBe(400)
    expect(badDob.json).toEqual({ error: 'The data provided is invalid.', detailedmessage: 'Expecting format date, but value is 1985-03-14' })
    const loose = await api(s.sb, tok, 'GET', '/patients', { dob: '6/18/1987' })
    expect(loose.status).toBe(200)
  })

  it('finds patients by phone, email and zip', async () => {
    const sample = (await api(s.sb, tok, 'GET', '/patients', { departmentid: 1, limit: 200 })).json.patients.find((p: any) => p.mobilephone && p.email && p.zip)
    const byPhone = await api(s.sb, tok, 'GET', '/patients', { anyphone: `(${sample.mobilephone.slice(0, 3)}) ${sample.mobilephone.slice(3, 6)}-${sample.mobilephone.slice(6)}` })
    expect(byPhone.json.patients.map((p: any) => p.patientid)).toContain(sample.patientid)
    const byEmail = await api(s.sb, tok, 'GET', '/patients', { email: sample.email.toUpperCase() })
    expect(byEmail.json.patients.map((p: any) => p.patientid)).toContain(sample.patientid)
    const byZip = await api(s.sb, tok, 'GET', '/patients', { zip: sample.zip.slice(0, 5) })
    expect(byZip.json.patients.map((p: any) => p.patientid)).toContain(sample.patientid)
  })

  it('GET /patients/{id} is a bare array; an unknown id is 404 and id 0 a missing field', async () => {
    const one = await api(s.sb, tok, 'GET', '/patients/1001')
    expect(Array.isArray(one.json)).toBe(true)
    expect(one.json[0].patientid).toBe('1001')
    expect(one.json[0].ssn === undefined || /^\*{5}\d{4}$/.test(one.json[0].ssn)).toBe(true)
    expect((await api(s.sb, tok, 'GET', '/patients/99999999')).status).toBe(404)
    const zero = await api(s.sb, tok, 'GET', '/patients/0')
    expect(zero.status).toBe(400)
    expect(zero.json.missingfields).toEqual(['patientid'])
  })
})

describe('POST/PUT /patients', () => {
  it('requires departmentid, dob, firstname and lastname', async () => {
    const res = await api(s.sb, tok, 'POST', '/patients', { firstname: 'Ada' })
    expect(res.status).toBe(400)
    expect(res.json.error).toBe('Additional fields are required.')
    expect(res.json.missingfields.sort()).toEqual(['departmentid', 'dob', 'lastname'])
  })

  it('returns the existing patient for a same name + DOB, unless bypasspatientmatching=true', async () => {
    const before = s.sb.stats().records.patients
    const fields = { departmentid: 1, firstname: 'Zelda', lastname: 'Quintero-Hale', dob: '04/09/1971', mobilephone: '617-555-0188', sex: 'F' }
    const first = await api(s.sb, tok, 'POST', '/patients', fields)
    expect(first.status).toBe(200)
    expect(first.json).toEqual([{ patientid: expect.stringMatching(/^\d+$/) }])
    const again = await api(s.sb, tok, 'POST', '/patients', { ...fields, firstname: 'ZELDA' })
    expect(again.json[0].patientid).toBe(first.json[0].patientid)
    expect(s.sb.stats().records.patients).toBe(before + 1)
    const bypass = await api(s.sb, tok, 'POST', '/patients', { ...fields, bypasspatientmatching: 'true' })
    expect(bypass.json[0].patientid).not.toBe(first.json[0].patientid)
    expect(s.sb.stats().records.patients).toBe(before + 2)
    const read = await api(s.sb, tok, 'GET', `/patients/${first.json[0].patientid}`)
    expect(read.json[0]).toMatchObject({ firstname: 'Zelda', dob: '04/09/1971', mobilephone: '6175550188', departmentid: '1', status: 'active' })
  })

  it('does not read JSON bodies: athena takes form fields, so the fields count as missing', async () => {
    const res = await fetch(`${s.sb.url}/v1/195900/patients`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${tok}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ departmentid: 1, firstname: 'Json', lastname: 'Body', dob: '01/01/1990' }),
    })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { missingfields: string[] }).missingfields).toHaveLength(4)
  })

  it('validates field formats', async () => {
    const base = { departmentid: 1, firstname: 'Bad', lastname: 'Input', dob: '01/01/1990' }
    expect((await api(s.sb, tok, 'POST', '/patients', { ...base, dob: '1990-01-01' })).json.error).toBe('The data provided is invalid.')
    expect((await api(s.sb, tok, 'POST', '/patients', { ...base, homephone: '12345' })).status).toBe(400)
    expect((await api(s.sb, tok, 'POST', '/patients', { ...base, departmentid: 777 })).json.error).toBe('Invalid department ID.')
  })

  it('PUT applies a partial update and keeps other fields', async () => {
    const created = await api(s.sb, tok, 'POST', '/patients', { departmentid: 62, firstname: 'Ravi', lastname: 'Okonkwo', dob: '12/01/1980', email: 'ravi@example.com' })
    const id = created.json[0].patientid
    const put = await api(s.sb, tok, 'PUT', `/patients/${id}`, { mobilephone: '6025550111', status: 'i' })
    expect(put.json).toEqual([{ patientid: id }])
    const read = (await api(s.sb, tok, 'GET', `/patients/${id}`)).json[0]
    expect(read).toMatchObject({ mobilephone: '6025550111', status: 'inactive', email: 'ravi@example.com', firstname: 'Ravi' })
    const bad = await api(s.sb, tok, 'PUT', `/patients/${id}`, { email: 'nope', firstname: 'Changed' })
    expect(bad.status).toBe(400)
    expect((await api(s.sb, tok, 'GET', `/patients/${id}`)).json[0].firstname).toBe('Ravi')
  })

  it('bestmatch needs a contact field; enhancedbestmatch scores candidates', async () => {
    const created = await api(s.sb, tok, 'POST', '/patients', { departmentid: 21, firstname: 'Noor', lastname: 'Vasquez-Lind', dob: '02/02/2015', homephone: '3125550123', zip: '60614' })
    const id = created.json[0].patientid
    const noContact = await api(s.sb, tok, 'GET', '/patients/bestmatch', { firstname: 'Noor', lastname: 'Vasquez-Lind', dob: '02/02/2015' })
    expect(noContact.status).toBe(400)
    const best = await api(s.sb, tok, 'GET', '/patients/bestmatch', { firstname: 'noor', lastname: 'vasquez-lind', dob: '02/02/2015', zip: '60614' })
    expect(best.json.map((p: any) => p.patientid)).toEqual([id])
    const enhanced = await api(s.sb, tok, 'GET', '/patients/enhancedbestmatch', { firstname: 'Noor', lastname: 'Vasquez-Lind', dob: '02/02/2015', homephone: '312-555-0123', returnbestmatches: 'true' })
    expect(enhanced.json[0].patientid).toBe(id)
    expect(typeof enhanced.json[0].score).toBe('number')
    expect(enhanced.json[0].score).toBeGreaterThanOrEqual(16)
    const missing = await api(s.sb, tok, 'GET', '/patients/enhancedbestmatch', { firstname: 'Noor' })
    expect(missing.json.missingfields.sort()).toEqual(['dob', 'lastname'])
  })
})

describe('seeding', () => {
  it('is deterministic for a seed and clock, and differs for another seed', async () => {
    const a = await start({ seed: 7, patientCount: 50 })
    const b = await start({ seed: 7, patientCount: 50 })
    const c = await start({ seed: 8, patientCount: 50 })
    try {
      const get = async (x: Started) => (await api(x.sb, await token(x.sb), 'GET', '/patients', { status: 'active', limit: 50 })).text
      expect(await get(a)).toBe(await get(b))
      expect(await get(a)).not.toBe(await get(c))
    } finally {
      await Promise.all([a.sb.close(), b.sb.close(), c.sb.close()])
    }
  })

  it('scales to 10,000 patients', async () => {
    const big = await start({ patientCount: 10_000 })
    try {
      expect(big.sb.stats().records.patients).toBe(10_000)
      const res = await api(big.sb, await token(big.sb), 'GET', '/patients', { status: 'active', limit: 5000 })
      expect(res.json.patients).toHaveLength(5000)
      expect(res.json.next).toBe('/v1/195900/patients?STATUS=active&limit=5000&offset=5000')
    } finally {
      await big.sb.close()
    }
  })
})
