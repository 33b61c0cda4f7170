import { describe, expect, it } from 'vitest'
import { progressWords, timeLeft } from '../../../renderer/src/pages/connections/sync-progress'

const est = { state: 'estimated' as const, basis: 'totalcount' as const, done: 1200, expected: 4000, remainingMs: 185_000, ratePerSecond: 15 }

describe('sync progress words', () => {
  it('rounds the time left to seconds, minutes or hours, never to zero', () => {
    expect(timeLeft(0)).toBe('about 1 s left')
    expect(timeLeft(7_400)).toBe('about 7 s left')
    expect(timeLeft(43_000)).toBe('about 45 s left')
    expect(timeLeft(185_000)).toBe('about 3 min left')
    expect(timeLeft(7_500_000)).toBe('about 2 h 5 min left')
  })

  it('shows count, time left and a bar for an estimate; "estimating…" before one', () => {
    expect(progressWords(est)).toEqual({ count: '1,200 of about 4,000 records', eta: 'about 3 min left', basis: "Total from athenaNet's totalcount", percent: 30 })
    expect(progressWords({ ...est, state: 'estimating', remainingMs: null, basis: 'previous-run' })).toMatchObject({ eta: 'estimating…', percent: 30, basis: 'Total from the last full sync of this stream' })
  })

  it('claims nothing without a total, and no time or bar when more arrived than expected', () => {
    expect(progressWords({ ...est, state: 'unknown', expected: null, basis: null, remainingMs: null })).toMatchObject({ count: '1,200 records so far', eta: null, percent: null })
    expect(progressWords({ ...est, state: 'overrun', done: 4100, remainingMs: null })).toMatchObject({ count: '4,100 records, more than the 4,000 expected', eta: 'no estimate', percent: null })
  })
})
