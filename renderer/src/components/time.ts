/**
 * The one way the console writes a time: `2026-11-25 08:00:00 EST`, in one chosen zone, with the
 * zone always shown. Pages never format a time themselves (test/unit/console/time-format-lint.test.ts
 * fails if one does); they use `useTimeFormat()` / `<Time>` (app/time-format.tsx), which feed the
 * person's zone choice into the pure functions here.
 */
import { hl7TimestampToIso } from '../../../shared/hl7-timestamp'

/** Which zone a person reads times in: the practice's, this computer's, or UTC. */
export const ZONE_CHOICES = ['practice', 'local', 'utc'] as const
export type ZoneChoice = (typeof ZONE_CHOICES)[number]

export function localZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'
}

/** The IANA zone a choice stands for; a practice without a (valid) zone falls back to this computer's. */
export function resolveZone(choice: ZoneChoice, practiceZone: string | null | undefined, local: string = localZone()): string {
  if (choice === 'utc') return 'UTC'
  if (choice === 'practice' && practiceZone && isZone(practiceZone)) return practiceZone
  return local
}

export function isZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return true
  } catch {
    return false
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>()
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone)
  if (!f) {
    // en-US only for the zone abbreviation (EST, CET → "GMT+1"); the layout is built from parts.
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    })
    formatters.set(zone, f)
  }
  return f
}

function parts(ms: number, zone: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const p of formatter(zone).formatToParts(ms)) out[p.type] = p.value
  return out
}

/** `2026-11-25 08:00:00 EST` (`08:00:00.125 EST` with millis, for logs); an em dash for no time. */
export function formatInstant(ms: number | null | undefined, zone: string, opts: { millis?: boolean } = {}): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—'
  const p = parts(ms, zone)
  const frac = opts.millis ? `.${String(((ms % 1000) + 1000) % 1000).padStart(3, '0')}` : ''
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}${frac} ${p.timeZoneName}`
}

/** The short name of a zone at an instant (`EST`, `UTC`, `GMT+1`). */
export function zoneAbbreviation(zone: string, at: number): string {
  return parts(at, zone).timeZoneName ?? zone
}

/** Only the time of day, for chart axes and dense rows whose date is shown elsewhere: `08:00 EST`. */
export function formatClock(ms: number, zone: string): string {
  const p = parts(ms, zone)
  return `${p.hour}:${p.minute} ${p.timeZoneName}`
}

/** Only the date (chart axes over several days): `2026-11-25`. */
export function formatDay(ms: number, zone: string): string {
  const p = parts(ms, zone)
  return `${p.year}-${p.month}-${p.day}`
}

/**
 * An HL7 TS/DTM/DT value in words beside the raw text (MSH-7, SCH-11.4, PID-7, …). A value with an
 * offset is an instant and is shown in the reader's zone; one without is the sender's local time
 * and is shown as written, said so; dates and partial precision stay at the precision sent.
 * Null when the text is not an HL7 timestamp.
 */
export function readableHl7Timestamp(raw: string, zone: string): string | null {
  const iso = hl7TimestampToIso(raw.split('^')[0])
  if (!iso) return null
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?)?)?([+-]\d{2}:\d{2})?$/.exec(iso)
  if (!m) return null
  const [, y, mo, d, h, mi, s, off] = m
  if (h === undefined) return [y, mo, d].filter(Boolean).join('-')
  if (off) {
    const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s ?? '00'}${off}`)
    return `${formatInstant(ms, zone)} (sent with offset ${off})`
  }
  return `${y}-${mo}-${d} ${h}:${mi}${s ? `:${s}` : ''} (sender's local time, no offset)`
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`
  return `${(n / 1024 ** 3).toFixed(2)} GiB`
}
