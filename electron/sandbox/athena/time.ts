/**
 * athena's date conventions, built on Intl only (no date library in the sandbox):
 * - calendar dates `MM/DD/YYYY` (input tolerates `6/18/1987`), H;
 * - appointment times `HH:MM`, local to the department, H;
 * - audit stamps and changed-feed windows `MM/DD/YYYY HH:MM:SS` in US Eastern, H;
 * - clinical stamps ISO-8601 with offset, M.
 * Calendar days are handled as "day numbers" (days since 1970-01-01) so ranges are integer compares.
 */

export interface Ymd {
  y: number
  m: number
  d: number
}

/** athena writes legacy zone names; Intl wants IANA ones. */
const IANA: Record<string, string> = {
  'US/Eastern': 'America/New_York',
  'US/Central': 'America/Chicago',
  'US/Mountain': 'America/Denver',
  'US/Arizona': 'America/Phoenix',
  'US/Pacific': 'America/Los_Angeles',
  'US/Alaska': 'America/Anchorage',
  'US/Hawaii': 'Pacific/Honolulu',
}

export const EASTERN = 'US/Eastern'
const DAY_MS = 86_400_000

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: IANA[tz] ?? tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
    formatters.set(tz, f)
  }
  return f
}

export interface ZonedParts extends Ymd {
  hh: number
  mi: number
  ss: number
}

function intlOffsetMinutes(epochMs: number, tz: string): number {
  const out: Record<string, number> = {}
  for (const p of formatter(tz).formatToParts(new Date(epochMs))) {
    if (p.type !== 'literal') out[p.type] = Number(p.value)
  }
  const asUtc = Date.UTC(out.year!, out.month! - 1, out.day!, out.hour! % 24, out.minute!, out.second!)
  return Math.round((asUtc - epochMs) / 60_000)
}

/**
 * Intl is slow (it dominated seeding and list rendering), and zone offsets only change on
 * quarter-hour boundaries, so offsets are cached per 15-minute bucket.
 */
const offsetCache = new Map<string, number>()
const BUCKET = 15 * 60_000

/** Offset of `tz` from UTC at that instant, in minutes (e.g. -240 for EDT). */
export function tzOffsetMinutes(epochMs: number, tz: string): number {
  const bucket = Math.floor(epochMs / BUCKET)
  const key = `${tz}|${bucket}`
  let off = offsetCache.get(key)
  if (off === undefined) {
    if (offsetCache.size > 200_000) offsetCache.clear()
    off = intlOffsetMinutes(bucket * BUCKET, tz)
    offsetCache.set(key, off)
  }
  return off
}

export function zonedParts(epochMs: number, tz: string): ZonedParts {
  const d = new Date(epochMs + tzOffsetMinutes(epochMs, tz) * 60_000)
  return { y: d.getUTCFullYear(), m: d.getUTCMonth() + 1, d: d.getUTCDate(), hh: d.getUTCHours(), mi: d.getUTCMinutes(), ss: d.getUTCSeconds() }
}

/** Wall-clock time in `tz` → epoch ms (two passes settle DST transitions). */
export function zonedToEpoch(day: number, minuteOfDay: number, tz: string, second = 0): number {
  const wall = day * DAY_MS + minuteOfDay * 60_000 + second * 1000
  let guess = wall - tzOffsetMinutes(wall, tz) * 60_000
  guess = wall - tzOffsetMinutes(guess, tz) * 60_000
  return guess
}

export function dayNumber(ymd: Ymd): number {
  return Math.floor(Date.UTC(ymd.y, ymd.m - 1, ymd.d) / DAY_MS)
}

export function fromDayNumber(day: number): Ymd {
  const d = new Date(day * DAY_MS)
  return { y: d.getUTCFullYear(), m: d.getUTCMonth() + 1, d: d.getUTCDate() }
}

/** 0 = Sunday. */
export function weekday(day: number): number {
  return new Date(day * DAY_MS).getUTCDay()
}

export function todayIn(epochMs: number, tz: string): number {
  return dayNumber(zonedParts(epochMs, tz))
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0')

export function formatDate(ymd: Ymd): string {
  return `${pad(ymd.m)}/${pad(ymd.d)}/${pad(ymd.y, 4)}`
}

export function formatDay(day: number): string {
  return formatDate(fromDayNumber(day))
}

/** `M/D/YYYY` or `MM/DD/YYYY`, calendar-checked; anything else is null (→ "The data provided is invalid."). */
export function parseDate(s: string): Ymd | null {
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(s.trim())
  if (!m) return null
  const ymd = { y: Number(m[3]), m: Number(m[1]), d: Number(m[2]) }
  const back = fromDayNumber(dayNumber(ymd))
  return back.y === ymd.y && back.m === ymd.m && back.d === ymd.d ? ymd : null
}

export function parseDay(s: string): number | null {
  const ymd = parseDate(s)
  return ymd ? dayNumber(ymd) : null
}

/** `HH:MM` 24h → minutes after midnight. */
export function parseTime(s: string): number | null {
  const m = /^(\d{1,2}):(\d{2})$/.exec(s.trim())
  if (!m) return null
  const h = Number(m[1])
  const mi = Number(m[2])
  return h < 24 && mi < 60 ? h * 60 + mi : null
}

export function formatTime(minuteOfDay: number): string {
  return `${pad(Math.floor(minuteOfDay / 60))}:${pad(minuteOfDay % 60)}`
}

/** `MM/DD/YYYY HH:MM:SS` (hh24) in `tz`, Eastern by default: athena's audit-stamp format. */
export function formatStamp(epochMs: number, tz = EASTERN): string {
  const p = zonedParts(epochMs, tz)
  return `${formatDate(p)} ${pad(p.hh)}:${pad(p.mi)}:${pad(p.ss)}`
}

/** `MM/DD/YYYY HH:MM` local time, the shape of firstappointment/lastappointment. */
export function formatDayTime(day: number, minuteOfDay: number): string {
  return `${formatDay(day)} ${formatTime(minuteOfDay)}`
}

/** Parses `MM/DD/YYYY HH24:MI:SS` (seconds optional) as wall time in `tz`. */
export function parseStamp(s: string, tz = EASTERN): number | null {
  const m = /^(\d{1,2}\/\d{1,2}\/\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(s.trim())
  if (!m) return null
  const day = parseDay(m[1]!)
  const h = Number(m[2])
  const mi = Number(m[3])
  const sec = m[4] === undefined ? 0 : Number(m[4])
  if (day === null || h > 23 || mi > 59 || sec > 59) return null
  return zonedToEpoch(day, h * 60 + mi, tz, sec)
}

/** ISO-8601 with the zone's offset, e.g. `2019-08-08T14:31:41-04:00` (clinical stamps, M). */
export function formatIsoOffset(epochMs: number, tz = EASTERN): string {
  const p = zonedParts(epochMs, tz)
  const off = tzOffsetMinutes(epochMs, tz)
  const sign = off < 0 ? '-' : '+'
  const a = Math.abs(off)
  return `${pad(p.y, 4)}-${pad(p.m)}-${pad(p.d)}T${pad(p.hh)}:${pad(p.mi)}:${pad(p.ss)}${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`
}

/** Whole-hour offsets as athena reports them on departments (`timezone` = now, `timezoneoffset` = standard). */
export function departmentZoneInfo(
  epochMs: number,
  tz: string,
): { timezone: number; timezoneoffset: number; doesnotobservedst: boolean } {
  const y = zonedParts(epochMs, tz).y
  const jan = tzOffsetMinutes(Date.UTC(y, 0, 15), tz)
  const jul = tzOffsetMinutes(Date.UTC(y, 6, 15), tz)
  return {
    timezone: tzOffsetMinutes(epochMs, tz) / 60,
    timezoneoffset: Math.min(jan, jul) / 60,
    doesnotobservedst: jan === jul,
  }
}
