import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, start, token, type Started } from './helpers'

let s: Started
let tok: string
beforeAll(async () => {
  s = await start({ tokenLifetimeSeconds: 600, dailyQuota: 1000 })
  tok = await token(s.sb)
})
afterAll(() => s.sb.close())

describe('bearer checks and gateway conventions', () => {
  it('answers a missing bearer with a 401 gateway page, not JSON', async () => {
    const res = await api(s.sb, null, 'GET', '/ping')
    expect(res.status).toBe(401)
    expect(res.json).toBeUndefined()
    expect(res.text).toContain('Developer Inactive')
    expect(res.headers.get('content-type')).toContain('text/html')
  })

  it('rejects an unknown token the same way', async () => {
    const res = await api(s.sb, 'not-a-token', 'GET', '/ping')
    expect(res.status).toBe(401)
    expect(res.json).toBeUndefined()
  })

  it('accepts a valid token, returns a request id and daily-quota headers', async () => {
    const res = await api(s.sb, tok, 'GET', '/ping')
    expect(res.status).toBe(200)
    expect(res.json).toEqual({ pong: 'true' })
    expect(res.headers.get('x-request-id')).toMatch(/[0-9a-f-]{36}/)
    expect(res.headers.get('x-ratelimit-limit')).toBe('1000')
    expect(Number(res.headers.get('x-ratelimit-remaining'))).toBeLessThan(1000)
  })

  it('echoes a client-sent X-Request-Id', async () => {
    const res = await fetch(`${s.sb.url}/v1/195900/ping`, { headers: { Authorization: `Bearer ${tok}`, 'X-Request-Id': 'client-req-42' } })
    expect(res.headers.get('x-request-id')).toBe('client-req-42')
  })

  it('expires tokens after their lifetime (401, with a WWW-Authenticate hint)', async () => {
    const short = await token(s.sb)
    s.clock.advance(600_000)
    const res = await api(s.sb, short, 'GET', '/ping')
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toContain('invalid_token')
    tok = await token(s.sb)
  })

  it('answers unknown practices, ungranted practices and unknown paths like athena', async () => {
    const unknownPractice = await api(s.sb, tok, 'GET', '/v1/999999/ping')
    expect(unknownPractice.status).toBe(404)
    expect(unknownPractice.json).toEqual({ error: 'Invalid practice.', detailedmessage: 'The practice ID does not exist.' })
    const ungranted = await api(s.sb, tok, 'GET', '/v1/1128700/ping')
    expect(ungranted.status).toBe(401)
    expect(ungranted.json.error).toBe('Incorrect permissions.')
    const path = await api(s.sb, tok, 'GET', '/v1/practices')
    expect(path.status).toBe(404)
    expect(path.json.error).toBe('An unknown API path was called')
    const nested = await api(s.sb, tok, 'GET', '/nosuchthing')
    expect(nested.status).toBe(404)
    expect(nested.json.error).toBe('An unknown API path was called')
  })

  it('escapes slashes in JSON like athena (dates read MM\\/DD\\/YYYY on the wire)', async () => {
    const res = await api(s.sb, tok, 'GET', '/departments')
    expect(res.text).toContain('"timezonename":"US\\/Eastern"')
    expect(res.json.departments[0].timezonename).toBe('US/Eastern')
  })

  it('describes departments with zone data, including one that does not observe DST', async () => {
    const res = await api(s.sb, tok, 'GET', '/departments', { providerlist: 'true' })
    expect(res.status).toBe(200)
    expect(res.json.totalcount).toBe(4)
    const byZone = Object.fromEntries(res.json.departments.map((d: any) => [d.timezonename, d]))
    expect(byZone['US/Eastern']).toMatchObject({ timezone: -4, timezoneoffset: -5, doesnotobservedst: false })
    expect(byZone['US/Arizona']).toMatchObject({ timezone: -7, timezoneoffset: -7, doesnotobservedst: true })
    expect(byZone['US/Central'].providerlist.length).toBeGreaterThan(0)
    const one = await api(s.sb, tok, 'GET', `/departments/${byZone['US/Pacific'].departmentid}`)
    expect(Array.isArray(one.json)).toBe(true)
    expect(one.json[0].timezonename).toBe('US/Pacific')
  })

  it('lists providers with integer ids and 10-digit NPIs, and single providers as bare arrays', async () => {
    const res = await api(s.sb, tok, 'GET', '/providers')
    expect(res.json.providers).toHaveLength(10)
    for (const p of res.json.providers) {
      expect(typeof p.providerid).toBe('number')
      expect(String(p.npi)).toMatch(/^\d{10}$/)
    }
    const one = await api(s.sb, tok, 'GET', `/providers/${res.json.providers[0].providerid}`)
    expect(one.json[0].providerid).toBe(res.json.providers[0].providerid)
  })

  it('serves reference lists as bare arrays', async () => {
    for (const [path, key] of [['/ethnicities', 'ethnicityid'], ['/races', 'raceid'], ['/languages', 'iso6392code']] as const) {
      const res = await api(s.sb, tok, 'GET', path)
      expect(Array.isArray(res.json)).toBe(true)
      expect(res.json.some((r: any) => key in r)).toBe(true)
    }
    const info = await api(s.sb, tok, 'GET', '/practiceinfo')
    expect(info.json.practiceinfo[0].practiceid).toBe('195900')
  })
})
