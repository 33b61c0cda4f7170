/**
 * Lenient parsing of the date and time spellings the connectors meet: athena `MM/DD/YYYY`
 * (escaped `MM\/DD\/YYYY` when a payload was not JSON-decoded, unpadded `6/18/1987`, with an
 * optional `HH:MM[:SS]`), `YYYY-MM-DD`, HL7 TS `YYYY[MM[DD[HH[MM[SS[.S]]]]]][+/-ZZZZ]`, and ISO 8601.
 * Pure calendar arithmetic, no zone handling (that is time-zones.ts).
 */
import type { DateInputFormat } from '../../../shared/mapping'
import { FieldFailure } from './mapping-context'

export interface DateParts {
  year: number
  month: number
  day: number
  hour?: number
  minute?: number
  second?: number
  millisecond?: number
  /** Minutes east of UTC when the text carried an offset (or Z). */
  offsetMinutes?: number
  /** Digits the source gave: an HL7 TS may stop at the year or month. */
  precision: 'year' | 'month' | 'day' | 'time'
}

export const ALL_DATE_INPUTS: readonly DateInputFormat[] = ['MM/DD/YYYY', 'YYYY-MM-DD', 'ISO', 'HL7']

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate()
}

function valid(p: DateParts): boolean {
  if (p.year < 1000 || p.year > 9999 || p.month < 1 || p.month > 12) return false
  if (p.day < 1 || p.day > daysInMonth(p.year, p.month)) return false
  if (p.hour !== undefined && (p.hour < 0 || p.hour > 23)) return false
  if (p.minute !== undefined && (p.minute < 0 || p.minute > 59)) return false
  if (p.second !== undefined && (p.second < 0 || p.second > 59)) return false
  if (p.offsetMinutes !== undefined && Math.abs(p.offsetMinutes) > 18 * 60) return false
  return true
}

const num = (s: string | undefined): number | undefined => (s === undefined || s === '' ? undefined : Number(s))
const fraction = (s: string | undefined): number | undefined =>
  s === undefined || s === '' ? undefined : Math.round(Number(`0.${s}`) * 1000)
function offset(sign: string, hh: string, mm: string): number {
  const m = Number(hh) * 60 + Number(mm)
  return sign === '-' ? -m : m
}

type Parser = (s: string) => DateParts | undefined

const US_DATE = /^(\d{1,2})\\?\/(\d{1,2})\\?\/(\d{4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$/
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/
const ISO_DATETIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i
const HL7_TS = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,4}))?([+-]\d{4})?$/

const PARSERS: Record<DateInputFormat, Parser> = {
  'MM/DD/YYYY': (s) => {
    const m = US_DATE.exec(s)
    if (!m) return undefined
    const [, mo, d, y, h, mi, sec] = m
    return {
      year: Number(y), month: Number(mo), day: Number(d),
      hour: num(h), minute: num(mi), second: num(sec),
      precision: h === undefined ? 'day' : 'time',
    }
  },
  'YYYY-MM-DD': (s) => {
    const m = ISO_DATE.exec(s)
    return m ? { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]), precision: 'day' } : undefined
  },
  ISO: (s) => {
    const d = ISO_DATE.exec(s)
    if (d) return { year: Number(d[1]), month: Number(d[2]), day: Number(d[3]), precision: 'day' }
    const m = ISO_DATETIME.exec(s)
    if (!m) return undefined
    const [, y, mo, day, h, mi, sec, frac, tz] = m
    let offsetMinutes: number | undefined
    if (tz !== undefined) {
      if (tz.toUpperCase() === 'Z') offsetMinutes = 0
      else {
        const t = tz.replace(':', '')
        offsetMinutes = offset(t[0] as string, t.slice(1, 3), t.slice(3, 5) || '00')
      }
    }
    return {
      year: Number(y), month: Number(mo), day: Number(day),
      hour: Number(h), minute: Number(mi), second: num(sec) ?? 0, millisecond: fraction(frac?.slice(0, 3)),
      offsetMinutes, precision: 'time',
    }
  },
  HL7: (s) => {
    const m = HL7_TS.exec(s)
    if (!m) return undefined
    const [, y, mo, d, h, mi, sec, frac, tz] = m
    // Digits must be contiguous: HH without DD cannot be expressed, so the regex groups are nested in practice.
    const precision = d === undefined ? (mo === undefined ? 'year' : 'month') : h === undefined ? 'day' : 'time'
    return {
      year: Number(y), month: num(mo) ?? 1, day: num(d) ?? 1,
      hour: num(h), minute: h === undefined ? undefined : (num(mi) ?? 0), second: num(sec), millisecond: fraction(frac),
      offsetMinutes: tz === undefined ? undefined : offset(tz[0] as string, tz.slice(1, 3), tz.slice(3, 5)),
      precision,
    }
  },
}

/** Text of a date-ish value: numbers (an HL7 TS read from JSON) are accepted as their digits. */
export function dateText(value: unknown): string {
  if (typeof value === 'number' && Number.isInteger(value)) return String(value)
  if (typeof value !== 'string') throw new FieldFailure('invalid_date', 'expected a date as text')
  return value.trim()
}

export function parseDate(value: unknown, formats: readonly DateInputFormat[] = ALL_DATE_INPUTS): DateParts {
  const text = dateText(value)
  for (const f of formats) {
    const p = PARSERS[f](text)
    if (p) {
      if (!valid(p)) throw new FieldFailure('invalid_date', 'not a valid calendar date or time')
      return p
    }
  }
  throw new FieldFailure('invalid_date', `not a date in the expected format (${formats.join(', ')})`)
}

/** Wall-clock time of day: `HH:MM`, `H:MM`, `HH:MM:SS`, `HHMM`, optional AM/PM. */
export function parseTimeOfDay(value: unknown): { hour: number; minute: number; second: number } {
  const text = typeof value === 'number' && Number.isInteger(value) ? String(value).padStart(4, '0') : value
  if (typeof text !== 'string') throw new FieldFailure('invalid_time', 'expected a time of day as text')
  const m = /^(\d{1,2}):?(\d{2})(?::?(\d{2}))?\s*([ap]\.?m\.?)?$/i.exec(text.trim())
  if (!m) throw new FieldFailure('invalid_time', 'not a time of day (HH:MM)')
  let hour = Number(m[1])
  const minute = Number(m[2])
  const second = num(m[3]) ?? 0
  const ampm = m[4]?.[0]?.toLowerCase()
  if (ampm) {
    if (hour < 1 || hour > 12) throw new FieldFailure('invalid_time', 'not a time of day (HH:MM)')
    hour = (hour % 12) + (ampm === 'p' ? 12 : 0)
  }
  if (hour > 23 || minute > 59 || second > 59) throw new FieldFailure('invalid_time', 'not a time of day (HH:MM)')
  return { hour, minute, second }
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0')

export function formatDate(p: Pick<DateParts, 'year' | 'month' | 'day'>, to: 'YYYY-MM-DD' | 'MM/DD/YYYY' | 'YYYYMMDD'): string {
  switch (to) {
    case 'YYYY-MM-DD':
      return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}`
    case 'MM/DD/YYYY':
      return `${pad(p.month)}/${pad(p.day)}/${pad(p.year, 4)}`
    case 'YYYYMMDD':
      return `${pad(p.year, 4)}${pad(p.month)}${pad(p.day)}`
  }
}
