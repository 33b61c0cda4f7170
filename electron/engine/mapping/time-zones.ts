/**
 * Time-zone resolution and wall-clock ⇄ UTC conversion. athenaNet appointment times are wall
 * clock in the department's zone; the record stores UTC. Conversions are explicit about DST:
 * a wall time that happens twice (fall back) takes the first occurrence, one that never happens
 * (spring forward) moves forward by the gap, and both leave a warning on the field.
 */
import { FixedOffsetZone, IANAZone, type Zone } from 'luxon'
import type { ZoneSpec } from '../../../shared/mapping'
import { FieldFailure, readSource, warn, type TransformEnv } from './mapping-context'
import type { DateParts } from './date-parse'
import { isEmpty } from './paths'

/** An IANA name (athena's `US/Eastern` links included), `UTC`, `UTC±H[:MM]`, or a bare hour offset. */
export function zoneFromName(name: unknown): Zone | undefined {
  if (typeof name === 'number' && Number.isFinite(name) && Math.abs(name) <= 14) return FixedOffsetZone.instance(Math.round(name * 60))
  if (typeof name !== 'string') return undefined
  const text = name.trim()
  if (text === '') return undefined
  if (/^[+-]?\d{1,2}(\.\d+)?$/.test(text)) return zoneFromName(Number(text))
  const fixed = /^(?:UTC|GMT)\s*([+-])(\d{1,2})(?::?(\d{2}))?$/i.exec(text)
  if (fixed) {
    const minutes = Number(fixed[2]) * 60 + Number(fixed[3] ?? 0)
    return minutes > 14 * 60 ? undefined : FixedOffsetZone.instance(fixed[1] === '-' ? -minutes : minutes)
  }
  if (/^(UTC|GMT|Z)$/i.test(text)) return FixedOffsetZone.utcInstance
  return ianaZone(text)
}

// Validating an IANA name builds an Intl.DateTimeFormat (~0.1 ms): once per name, not per field of
// every message. The set of names in use is small (practice and department zones).
const ianaZones = new Map<string, Zone | undefined>()
function ianaZone(name: string): Zone | undefined {
  if (ianaZones.has(name)) return ianaZones.get(name)
  const zone = IANAZone.isValidZone(name) ? IANAZone.create(name) : undefined
  if (ianaZones.size < 1000) ianaZones.set(name, zone)
  return zone
}

export function resolveZone(spec: ZoneSpec, env: TransformEnv, onUnknown: 'default' | 'error' = 'default'): Zone {
  let candidate: unknown
  let what: string
  switch (spec.from) {
    case 'constant':
      candidate = spec.zone
      what = 'constant zone'
      break
    case 'default':
      candidate = env.ctx.defaultTimeZone
      what = 'default zone'
      break
    case 'field':
      candidate = readSource(env.accessor, spec.source)
      what = `zone in '${spec.source}'`
      break
    case 'department': {
      const dept = readSource(env.accessor, spec.source)
      what = `zone of the department in '${spec.source}'`
      if (!isEmpty(dept) && (typeof dept === 'string' || typeof dept === 'number')) {
        try {
          candidate = env.ctx.lookupDepartmentTimeZone?.(String(dept).trim())
        } catch {
          candidate = undefined
        }
      }
      break
    }
  }
  const zone = zoneFromName(candidate)
  if (zone) return zone
  if (spec.from !== 'default' && onUnknown === 'default') {
    const fallback = zoneFromName(env.ctx.defaultTimeZone)
    if (fallback) {
      warn(env, 'zone_fallback', `${what} unknown; used the practice default zone`)
      return fallback
    }
  }
  throw new FieldFailure('invalid_time_zone', `${what} is missing or not a known time zone`)
}

/** Epoch ms of a wall-clock time in `zone` (an offset in the parts wins; no zone and no offset = UTC). */
export function wallClockToInstant(p: DateParts, zone: Zone | undefined, env?: TransformEnv): number {
  // Date.UTC maps years 0-99 to 1900+; parse-date only admits 1000-9999, so no setUTCFullYear dance is needed.
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour ?? 0, p.minute ?? 0, p.second ?? 0, p.millisecond ?? 0)
  if (p.offsetMinutes !== undefined) return asUtc - p.offsetMinutes * 60_000
  if (!zone) return asUtc
  // Batches repeat the same wall times (every provider's 09:00), and each zone.offset() is an Intl
  // formatting (~10 µs): the answer for one zone and wall time is computed once (exact, bounded).
  const key = `${zone.name}|${asUtc}`
  let hit = resolvedWallTimes.get(key)
  if (!hit) {
    // A transition is never closer than a day to another, so the offsets a day either side are the two candidates.
    const before = zone.offset(asUtc - 86_400_000)
    const after = zone.offset(asUtc + 86_400_000)
    const candidates = [...new Set([before, after])]
      .map((off) => asUtc - off * 60_000)
      .filter((instant) => zone.offset(instant) * 60_000 === asUtc - instant)
      .sort((a, b) => a - b)
    hit = candidates.length > 0 ? { instant: candidates[0] as number, note: candidates.length > 1 ? 'ambiguous' : null } : { instant: asUtc - before * 60_000, note: 'nonexistent' }
    if (resolvedWallTimes.size >= 20_000) resolvedWallTimes.clear()
    resolvedWallTimes.set(key, hit)
  }
  if (hit.note === 'ambiguous' && env) warn(env, 'ambiguous_local_time', 'local time occurs twice (DST ends); used the first occurrence')
  if (hit.note === 'nonexistent' && env) warn(env, 'nonexistent_local_time', 'local time skipped by DST; moved forward by the gap')
  return hit.instant
}

const resolvedWallTimes = new Map<string, { instant: number; note: 'ambiguous' | 'nonexistent' | null }>()

export function toUtcIso(epochMs: number): string {
  const iso = new Date(epochMs).toISOString()
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso
}
