import { describe, expect, it } from 'vitest'
import { formatClock, formatDay, formatInstant, readableHl7Timestamp, resolveZone } from '../../../renderer/src/components/time'

// 2026-11-25 13:00:00.042 UTC
const AT = Date.UTC(2026, 10, 25, 13, 0, 0, 42)

describe('console time format', () => {
  it('writes one layout with the zone named, in the zone asked for', () => {
    expect(formatInstant(AT, 'America/New_York')).toBe('2026-11-25 08:00:00 EST')
    expect(formatInstant(AT, 'UTC')).toBe('2026-11-25 13:00:00 UTC')
    expect(formatInstant(AT, 'Europe/Berlin')).toBe('2026-11-25 14:00:00 GMT+1')
    expect(formatInstant(Date.UTC(2026, 6, 1, 12), 'America/New_York')).toBe('2026-07-01 08:00:00 EDT')
    expect(formatInstant(AT, 'UTC', { millis: true })).toBe('2026-11-25 13:00:00.042 UTC')
    expect(formatInstant(null, 'UTC')).toBe('—')
    expect(formatInstant(Number.NaN, 'UTC')).toBe('—')
    expect(formatClock(AT, 'America/Chicago')).toBe('07:00 CST')
    expect(formatDay(Date.UTC(2026, 10, 25, 3), 'America/Los_Angeles')).toBe('2026-11-24')
  })

  it('uses midnight as 00, never 24', () => {
    expect(formatInstant(Date.UTC(2026, 0, 1, 0, 0, 5), 'UTC')).toBe('2026-01-01 00:00:05 UTC')
  })

  it('resolves the choice: practice zone, this computer, UTC; a practice without a valid zone falls back to the computer', () => {
    expect(resolveZone('practice', 'America/Denver', 'Europe/Paris')).toBe('America/Denver')
    expect(resolveZone('local', 'America/Denver', 'Europe/Paris')).toBe('Europe/Paris')
    expect(resolveZone('utc', 'America/Denver', 'Europe/Paris')).toBe('UTC')
    expect(resolveZone('practice', null, 'Europe/Paris')).toBe('Europe/Paris')
    expect(resolveZone('practice', 'Mars/Olympus', 'Europe/Paris')).toBe('Europe/Paris')
  })
})

describe('HL7 timestamps in words', () => {
  it('shows a timestamp with an offset as an instant in the reader zone', () => {
    expect(readableHl7Timestamp('20261125080000-0500', 'UTC')).toBe('2026-11-25 13:00:00 UTC (sent with offset -05:00)')
    expect(readableHl7Timestamp('202611250800+0100', 'America/New_York')).toBe('2026-11-25 02:00:00 EST (sent with offset +01:00)')
  })

  it('keeps a timestamp without offset as the sender wrote it, and says so', () => {
    expect(readableHl7Timestamp('20261125080000', 'UTC')).toBe("2026-11-25 08:00:00 (sender's local time, no offset)")
    expect(readableHl7Timestamp('202611250800', 'UTC')).toBe("2026-11-25 08:00 (sender's local time, no offset)")
    expect(readableHl7Timestamp('20261125080000.1234', 'UTC')).toBe("2026-11-25 08:00:00 (sender's local time, no offset)")
  })

  it('keeps dates at the precision sent, reads the first component of a TS, and refuses what is no timestamp', () => {
    expect(readableHl7Timestamp('19800412', 'UTC')).toBe('1980-04-12')
    expect(readableHl7Timestamp('198004', 'UTC')).toBe('1980-04')
    expect(readableHl7Timestamp('20261125080000^S', 'UTC')).toBe("2026-11-25 08:00:00 (sender's local time, no offset)")
    for (const bad of ['19841304', 'ADT^A04', '', '2026112508000', 'hello']) expect(readableHl7Timestamp(bad, 'UTC'), bad).toBeNull()
  })
})
