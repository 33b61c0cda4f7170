import { describe, expect, it } from 'vitest'
import type { Transform } from '../../../shared/mapping'
import { runOn } from './helpers'

const toIso: Transform = { op: 'date', to: 'YYYY-MM-DD' }

describe('date', () => {
  it.each([
    ['06/18/1987', '1987-06-18'],
    ['6/18/1987', '1987-06-18'],
    ['6/8/1990', '1990-06-08'],
    ['06\\/18\\/1987', '1987-06-18'],
    ['6\\/8\\/1990', '1990-06-08'],
    [' 06/18/1987 ', '1987-06-18'],
    ['06/01/2025 20:17:46', '2025-06-01'],
    ['02/29/2024', '2024-02-29'],
    ['1987-06-18', '1987-06-18'],
    ['19870618', '1987-06-18'],
    ['198706181230', '1987-06-18'],
    ['19870618123045.1234-0500', '1987-06-18'],
    ['1987-06-18T23:30:00-05:00', '1987-06-18'],
    ['1987-06-18T04:30:00Z', '1987-06-18'],
  ])('reads %s', (input, out) => {
    expect(runOn(input, [toIso])).toMatchObject({ value: out, error: undefined })
  })

  it('reads an HL7 date that arrived as a JSON number', () => {
    expect(runOn(19870618, [toIso]).value).toBe('1987-06-18')
  })

  it.each(['02/29/2023', '02/30/2020', '13/01/2020', '00/10/2020', '06/00/2020', '2020-02-30', '20201301', '1987', '198706', 'June 18 1987', '18.06.1987', '06/18/87', '0999-01-01', '06/18/1987 25:00'])(
    'rejects %s as invalid_date',
    (input) => {
      expect(runOn(input, [toIso])).toMatchObject({ value: null, error: 'invalid_date' })
    },
  )

  it('honours the accepted formats and writes the requested one', () => {
    expect(runOn('06/18/1987', [{ op: 'date', from: ['YYYY-MM-DD'], to: 'YYYY-MM-DD' }]).error).toBe('invalid_date')
    expect(runOn('1987-06-18', [{ op: 'date', from: ['YYYY-MM-DD'], to: 'MM/DD/YYYY' }]).value).toBe('06/18/1987')
    expect(runOn('6/8/1990', [{ op: 'date', to: 'YYYYMMDD' }]).value).toBe('19900608')
  })

  it('leaves an empty date empty (not an error)', () => {
    expect(runOn('', [toIso])).toMatchObject({ value: null, error: undefined })
  })
})

const dept = (departmentTimeZones: Record<string, string>) => ({ departmentTimeZones })
const apptUtc: Transform = { op: 'datetime_utc', zone: { from: 'department', source: 'departmentid' }, timeSource: 'starttime' }
const at = (date: string, starttime: string, departmentid: unknown = '1') => ({ source: { starttime, departmentid }, v: date })

function utc(date: string, time: string, zone: string, departmentid: unknown = '1') {
  const { source } = at(date, time, departmentid)
  return runOn(date, [apptUtc], { source, ...dept({ '1': zone }) })
}

describe('datetime_utc', () => {
  it('athena date + starttime in a US/Eastern department, summer and winter', () => {
    expect(utc('06/03/2025', '09:00', 'US/Eastern')).toMatchObject({ value: '2025-06-03T13:00:00Z', warnings: [] })
    expect(utc('12/01/2025', '09:00', 'US/Eastern')).toMatchObject({ value: '2025-12-01T14:00:00Z', warnings: [] })
    expect(utc('06/03/2025', '09:00', 'US/Eastern', 1).value).toBe('2025-06-03T13:00:00Z')
  })

  it('DST starts (spring forward): the skipped half hour moves forward, with a warning', () => {
    expect(utc('03/09/2025', '01:59', 'America/New_York')).toMatchObject({ value: '2025-03-09T06:59:00Z', warnings: [] })
    expect(utc('03/09/2025', '02:30', 'America/New_York')).toMatchObject({ value: '2025-03-09T07:30:00Z', warnings: ['nonexistent_local_time'] })
    expect(utc('03/09/2025', '03:00', 'America/New_York')).toMatchObject({ value: '2025-03-09T07:00:00Z', warnings: [] })
  })

  it('DST ends (fall back): the repeated hour takes its first occurrence, with a warning', () => {
    expect(utc('11/02/2025', '00:30', 'America/New_York')).toMatchObject({ value: '2025-11-02T04:30:00Z', warnings: [] })
    expect(utc('11/02/2025', '01:30', 'America/New_York')).toMatchObject({ value: '2025-11-02T05:30:00Z', warnings: ['ambiguous_local_time'] })
    expect(utc('11/02/2025', '02:30', 'America/New_York')).toMatchObject({ value: '2025-11-02T07:30:00Z', warnings: [] })
  })

  it('a zone without DST (Arizona) keeps the same offset all year and on the Eastern DST days', () => {
    expect(utc('01/15/2025', '09:00', 'America/Phoenix').value).toBe('2025-01-15T16:00:00Z')
    expect(utc('07/15/2025', '09:00', 'US/Arizona').value).toBe('2025-07-15T16:00:00Z')
    expect(utc('03/09/2025', '02:30', 'America/Phoenix')).toMatchObject({ value: '2025-03-09T09:30:00Z', warnings: [] })
  })

  it('southern hemisphere DST (Sydney) is handled by the same rule', () => {
    expect(utc('04/06/2025', '02:30', 'Australia/Sydney')).toMatchObject({ value: '2025-04-05T15:30:00Z', warnings: ['ambiguous_local_time'] })
    expect(utc('10/05/2025', '02:30', 'Australia/Sydney')).toMatchObject({ value: '2025-10-04T16:30:00Z', warnings: ['nonexistent_local_time'] })
  })

  it('zone from a field (athena timezonename or an hour offset) and from a constant', () => {
    const source = { starttime: '09:00', timezonename: 'US/Central', timezoneoffset: -7 }
    expect(runOn('06/03/2025', [{ op: 'datetime_utc', zone: { from: 'field', source: 'timezonename' }, timeSource: 'starttime' }], { source }).value).toBe('2025-06-03T14:00:00Z')
    expect(runOn('06/03/2025', [{ op: 'datetime_utc', zone: { from: 'field', source: 'timezoneoffset' }, timeSource: 'starttime' }], { source }).value).toBe('2025-06-03T16:00:00Z')
    expect(runOn('06/03/2025', [{ op: 'datetime_utc', zone: { from: 'constant', zone: 'Pacific/Honolulu' }, timeSource: 'starttime' }], { source }).value).toBe('2025-06-03T19:00:00Z')
    expect(runOn('06/03/2025 09:00', [{ op: 'datetime_utc', zone: { from: 'default' } }]).value).toBe('2025-06-03T13:00:00Z')
  })

  it('unknown department zone: practice default with a warning, or an error when asked', () => {
    const source = { starttime: '09:00', departmentid: '99' }
    const r = runOn('06/03/2025', [apptUtc], { source, ...dept({ '1': 'America/Chicago' }), ctx: { defaultTimeZone: 'America/Denver' } })
    expect(r).toMatchObject({ value: '2025-06-03T15:00:00Z', warnings: ['zone_fallback'] })
    const strict: Transform = { ...apptUtc, onUnknownZone: 'error' } as Transform
    expect(runOn('06/03/2025', [strict], { source, ...dept({}) })).toMatchObject({ value: null, error: 'invalid_time_zone' })
    expect(runOn('06/03/2025', [{ op: 'datetime_utc', zone: { from: 'constant', zone: 'Mars/Olympus' }, onUnknownZone: 'error' }]).error).toBe('invalid_time_zone')
    expect(runOn('06/03/2025', [apptUtc], { source, ctx: { lookupDepartmentTimeZone: () => { throw new Error('db down') } } }).warnings).toEqual(['zone_fallback'])
  })

  it('a practice default zone that is itself invalid is an error, not a guess', () => {
    expect(runOn('06/03/2025 09:00', [{ op: 'datetime_utc', zone: { from: 'default' } }], { ctx: { defaultTimeZone: 'Nowhere/Land' } }).error).toBe('invalid_time_zone')
  })

  it('an offset in the value wins over the zone', () => {
    const tz: Transform = { op: 'datetime_utc', zone: { from: 'constant', zone: 'Asia/Tokyo' } }
    expect(runOn('2025-06-03T09:00:00-05:00', [tz]).value).toBe('2025-06-03T14:00:00Z')
    expect(runOn('202506030900-0500', [tz]).value).toBe('2025-06-03T14:00:00Z')
    expect(runOn('20250603090000.5+0000', [tz]).value).toBe('2025-06-03T09:00:00.500Z')
    expect(runOn('202506030900', [{ op: 'datetime_utc', zone: { from: 'constant', zone: 'America/New_York' } }]).value).toBe('2025-06-03T13:00:00Z')
  })

  it('time of day spellings and bad times', () => {
    const run = (t: unknown) => runOn('06/03/2025', [apptUtc], { source: { starttime: t, departmentid: '1' }, ...dept({ '1': 'UTC' }) })
    expect(run('9:05').value).toBe('2025-06-03T09:05:00Z')
    expect(run('0905').value).toBe('2025-06-03T09:05:00Z')
    expect(run('9:05 PM').value).toBe('2025-06-03T21:05:00Z')
    expect(run('12:00 am').value).toBe('2025-06-03T00:00:00Z')
    expect(run('25:00').error).toBe('invalid_time')
    expect(run('noon').error).toBe('invalid_time')
    expect(run(undefined).error).toBe('invalid_time')
  })

  it('a date without a time source is local midnight', () => {
    expect(runOn('06/03/2025', [{ op: 'datetime_utc', zone: { from: 'constant', zone: 'America/Chicago' } }]).value).toBe('2025-06-03T05:00:00Z')
  })
})

describe('datetime_local', () => {
  const local = (v: string, format: Extract<Transform, { op: 'datetime_local' }>['format'], zone = 'America/New_York') =>
    runOn(v, [{ op: 'datetime_local', zone: { from: 'constant', zone }, format }])

  it('writes every format', () => {
    expect(local('2025-06-03T13:00:00Z', 'MM/DD/YYYY').value).toBe('06/03/2025')
    expect(local('2025-06-03T13:00:00Z', 'YYYY-MM-DD').value).toBe('2025-06-03')
    expect(local('2025-06-03T13:00:00Z', 'HH:mm').value).toBe('09:00')
    expect(local('2025-06-03T13:00:00Z', 'MM/DD/YYYY HH:mm:ss').value).toBe('06/03/2025 09:00:00')
    expect(local('2025-06-03T13:00:00Z', 'YYYY-MM-DDTHH:mm:ss').value).toBe('2025-06-03T09:00:00')
    expect(local('2025-06-03T13:00:00Z', 'ISO').value).toBe('2025-06-03T09:00:00-04:00')
    expect(local('2025-06-03T13:00:00Z', 'HL7').value).toBe('20250603090000')
    expect(local('2025-06-03T13:00:00Z', 'HL7_OFFSET').value).toBe('20250603090000-0400')
  })

  it('the two 01:30s of the fall-back night, and a zone without DST', () => {
    expect(local('2025-11-02T05:30:00Z', 'ISO').value).toBe('2025-11-02T01:30:00-04:00')
    expect(local('2025-11-02T06:30:00Z', 'ISO').value).toBe('2025-11-02T01:30:00-05:00')
    expect(local('2025-07-01T16:00:00Z', 'HH:mm', 'America/Phoenix').value).toBe('09:00')
  })

  it('takes text without an offset as UTC and rejects a bare date', () => {
    expect(local('2025-06-03T13:00:00', 'HH:mm').value).toBe('09:00')
    expect(local('2025-06-03', 'HH:mm').error).toBe('invalid_date')
    expect(local('soon', 'HH:mm').error).toBe('invalid_date')
  })
})

describe('add_minutes', () => {
  const start = '2025-06-03T13:00:00Z'
  it('adds the duration from another path (number or text)', () => {
    expect(runOn(start, [{ op: 'add_minutes', source: 'duration' }], { source: { duration: 15 } }).value).toBe('2025-06-03T13:15:00Z')
    expect(runOn(start, [{ op: 'add_minutes', source: 'duration' }], { source: { duration: ' 30 ' } }).value).toBe('2025-06-03T13:30:00Z')
    expect(runOn('2025-06-03T23:45:00Z', [{ op: 'add_minutes', minutes: 30 }]).value).toBe('2025-06-04T00:15:00Z')
  })

  it('the source wins over the fixed minutes; no minutes at all leaves the value empty', () => {
    expect(runOn(start, [{ op: 'add_minutes', source: 'duration', minutes: 60 }], { source: { duration: 15 } }).value).toBe('2025-06-03T13:15:00Z')
    expect(runOn(start, [{ op: 'add_minutes', source: 'duration', minutes: 60 }], { source: {} }).value).toBe('2025-06-03T14:00:00Z')
    expect(runOn(start, [{ op: 'add_minutes', source: 'duration' }], { source: {} })).toMatchObject({ value: null, error: undefined })
  })

  it('a duration that is not a number is an error', () => {
    expect(runOn(start, [{ op: 'add_minutes', source: 'duration' }], { source: { duration: 'long' } }).error).toBe('invalid_number')
    expect(runOn('not a time', [{ op: 'add_minutes', minutes: 5 }]).error).toBe('invalid_date')
  })
})
