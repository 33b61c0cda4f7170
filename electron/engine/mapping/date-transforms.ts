/** The date and time transforms: date, datetime_utc, datetime_local, add_minutes. */
import { DateTime } from 'luxon'
import type { Transform } from '../../../shared/mapping'
import { formatDate, parseDate, parseTimeOfDay, type DateParts } from './date-parse'
import { FieldFailure, readSource, type TransformEnv } from './mapping-context'
import { isEmpty } from './paths'
import { resolveZone, toUtcIso, wallClockToInstant } from './time-zones'

type Op<K extends Transform['op']> = Extract<Transform, { op: K }>

export function dateTransform(value: unknown, t: Op<'date'>): unknown {
  if (isEmpty(value)) return value
  const p = parseDate(value, t.from)
  if (p.precision === 'year' || p.precision === 'month') throw new FieldFailure('invalid_date', 'date has no day')
  return formatDate(p, t.to)
}

export function datetimeUtc(value: unknown, t: Op<'datetime_utc'>, env: TransformEnv): unknown {
  if (isEmpty(value)) return value
  let p: DateParts = parseDate(value, t.from)
  if (p.precision === 'year' || p.precision === 'month') throw new FieldFailure('invalid_date', 'date has no day')
  if (t.timeSource !== undefined) {
    const time = readSource(env.accessor, t.timeSource)
    if (isEmpty(time)) throw new FieldFailure('invalid_time', `no time of day in '${t.timeSource}'`)
    p = { ...p, ...parseTimeOfDay(time), millisecond: 0, precision: 'time' }
  }
  if (p.offsetMinutes !== undefined) return toUtcIso(wallClockToInstant(p, undefined))
  const zone = resolveZone(t.zone, env, t.onUnknownZone)
  return toUtcIso(wallClockToInstant(p, zone, env))
}

const LUXON_FORMATS: Record<Exclude<Op<'datetime_local'>['format'], 'ISO'>, string> = {
  'MM/DD/YYYY': 'MM/dd/yyyy',
  'YYYY-MM-DD': 'yyyy-MM-dd',
  'HH:mm': 'HH:mm',
  'MM/DD/YYYY HH:mm:ss': 'MM/dd/yyyy HH:mm:ss',
  'YYYY-MM-DDTHH:mm:ss': "yyyy-MM-dd'T'HH:mm:ss",
  HL7: 'yyyyMMddHHmmss',
  HL7_OFFSET: 'yyyyMMddHHmmssZZZ',
}

/** An instant from text: an offset in the text wins; without one the text is taken as UTC (what records store). */
function instantOf(value: unknown): number {
  const p = parseDate(value, ['ISO', 'HL7'])
  if (p.precision !== 'time') throw new FieldFailure('invalid_date', 'expected a date and time')
  return wallClockToInstant(p, undefined)
}

export function datetimeLocal(value: unknown, t: Op<'datetime_local'>, env: TransformEnv): unknown {
  if (isEmpty(value)) return value
  const instant = instantOf(value)
  const zone = resolveZone(t.zone, env, t.onUnknownZone)
  const dt = DateTime.fromMillis(instant, { zone })
  if (!dt.isValid) throw new FieldFailure('invalid_date', 'date out of range')
  return t.format === 'ISO' ? dt.toISO({ suppressMilliseconds: true }) : dt.toFormat(LUXON_FORMATS[t.format])
}

export function addMinutes(value: unknown, t: Op<'add_minutes'>, env: TransformEnv): unknown {
  if (isEmpty(value)) return value
  let minutes: unknown = t.minutes
  if (t.source !== undefined) {
    const fromSource = readSource(env.accessor, t.source)
    if (!isEmpty(fromSource)) minutes = fromSource
  }
  // No duration means no end: leave the field empty rather than invent one.
  if (isEmpty(minutes)) return undefined
  const n = typeof minutes === 'number' ? minutes : typeof minutes === 'string' ? Number(minutes.trim()) : Number.NaN
  if (!Number.isFinite(n) || Math.abs(n) > 525_600) throw new FieldFailure('invalid_number', 'minutes to add is not a number')
  return toUtcIso(instantOf(value) + Math.round(n * 60_000))
}
