import { describe, expect, it } from 'vitest'
import { dayNumber, departmentZoneInfo, formatStamp, parseDate, parseStamp, zonedParts, zonedToEpoch } from '../../../electron/sandbox/athena/time'

const IANA: Record<string, string> = { 'US/Eastern': 'America/New_York', 'US/Central': 'America/Chicago', 'US/Arizona': 'America/Phoenix', 'US/Pacific': 'America/Los_Angeles' }

function intl(epoch: number, tz: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone: IANA[tz], hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
    .format(new Date(epoch))
    .replace(',', '')
}

describe('sandbox time helpers (department-local and Eastern wall time)', () => {
  it('agree with Intl across both 2025 DST transitions in every seeded zone', () => {
    for (const tz of Object.keys(IANA)) {
      for (const start of [Date.UTC(2025, 2, 8), Date.UTC(2025, 10, 1)]) {
        for (let t = start; t < start + 3 * 86_400_000; t += 17 * 60_000 + 13_000) {
          expect(formatStamp(t, tz)).toBe(intl(t, tz))
          const p = zonedParts(t, tz)
          const back = zonedToEpoch(dayNumber(p), p.hh * 60 + p.mi, tz, p.ss)
          // Wall times repeated in the fall-back hour map to one of the two instants.
          expect([t, t - 3_600_000, t + 3_600_000]).toContain(back)
        }
      }
    }
  })

  it('reports current and standard offsets, and Arizona as not observing DST', () => {
    const july = Date.UTC(2025, 6, 1, 12)
    expect(departmentZoneInfo(july, 'US/Eastern')).toEqual({ timezone: -4, timezoneoffset: -5, doesnotobservedst: false })
    expect(departmentZoneInfo(july, 'US/Arizona')).toEqual({ timezone: -7, timezoneoffset: -7, doesnotobservedst: true })
  })

  it('parses athena dates and Eastern stamps strictly', () => {
    expect(parseDate('6/18/1987')).toEqual({ y: 1987, m: 6, d: 18 })
    expect(parseDate('02/30/2024')).toBeNull()
    expect(parseDate('1987-06-18')).toBeNull()
    expect(parseStamp('06/02/2025 11:00:00')).toBe(Date.UTC(2025, 5, 2, 15))
    expect(parseStamp('06/02/2025 25:00:00')).toBeNull()
  })
})
