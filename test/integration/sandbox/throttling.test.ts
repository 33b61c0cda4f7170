import { afterEach, describe, expect, it } from 'vitest'
import { api, start, token, type Started } from './helpers'

let s: Started | undefined
afterEach(async () => {
  await s?.sb.close()
  s = undefined
})

describe('API throttling', () => {
  it('answers calls beyond the per-second budget with 429 until the bucket refills', async () => {
    s = await start({ qps: 2 })
    const tok = await token(s.sb)
    const statuses = []
    for (let i = 0; i < 4; i++) statuses.push((await api(s.sb, tok, 'GET', '/ping')).status)
    expect(statuses).toEqual([200, 200, 429, 429])
    const throttled = await api(s.sb, tok, 'GET', '/ping')
    expect(throttled.json.fault.detail.errorcode).toBe('policies.ratelimit.SpikeArrestViolation')
    expect(throttled.headers.get('retry-after')).toBeNull()
    s.clock.advance(500)
    expect((await api(s.sb, tok, 'GET', '/ping')).status).toBe(200)
    expect((await api(s.sb, tok, 'GET', '/ping')).status).toBe(429)
    expect(s.sb.stats().throttled).toBe(4)
  })

  it('can answer with the legacy 403 "Over Qps" page and a Retry-After header', async () => {
    s = await start({ qps: 1, throttleStatus: 403, retryAfter: true })
    const tok = await token(s.sb)
    expect((await api(s.sb, tok, 'GET', '/ping')).status).toBe(200)
    const res = await api(s.sb, tok, 'GET', '/ping')
    expect(res.status).toBe(403)
    expect(res.text).toBe('<h1>Developer Over Qps</h1>')
    expect(res.headers.get('retry-after')).toBe('1')
  })

  it('enforces the daily quota with remaining-count headers under configurable names', async () => {
    s = await start({ dailyQuota: 3, quotaHeaders: { limit: 'X-Quota-Limit', remaining: 'X-Quota-Remaining', reset: 'X-Quota-Reset' } })
    const tok = await token(s.sb)
    const remaining = []
    for (let i = 0; i < 3; i++) remaining.push((await api(s.sb, tok, 'GET', '/ping')).headers.get('x-quota-remaining'))
    expect(remaining).toEqual(['2', '1', '0'])
    const over = await api(s.sb, tok, 'GET', '/ping')
    expect(over.status).toBe(429)
    expect(over.json.fault.detail.errorcode).toBe('policies.ratelimit.QuotaViolation')
    const midnightGmt = (Math.floor(s.clock.now() / 86_400_000) + 1) * 86_400
    expect(over.headers.get('x-quota-reset')).toBe(String(midnightGmt))
    s.clock.set(midnightGmt * 1000)
    // Nine hours later the 1 h token has expired too; a fresh one works on the new quota day.
    const res = await api(s.sb, await token(s.sb), 'GET', '/ping')
    expect(res.status).toBe(200)
    expect(res.headers.get('x-quota-remaining')).toBe('2')
    expect(s.sb.stats().quotaExceeded).toBe(1)
  })
})
