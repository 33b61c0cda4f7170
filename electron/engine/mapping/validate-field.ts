/** Per-field validations on the final value of a row. Messages never echo the value (no PHI). */
import { DateTime } from 'luxon'
import type { CustomField, FieldMap, Validation } from '../../../shared/mapping'
import { daysInMonth } from './date-parse'
import { FieldFailure, type MappingContext } from './mapping-context'
import { isEmpty } from './paths'
import { compileRegex } from './text-transforms'
import { zoneFromName } from './time-zones'

export interface ValidationFailure {
  code: string
  message: string
}

const E164 = /^\+[1-9]\d{1,14}$/

export function isCalendarDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s)
  if (!m) return false
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])]
  return mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo)
}

/** Today's date in the practice zone, so a baby born this evening in Honolulu is not "in the future". */
function today(ctx: MappingContext): string {
  const zone = zoneFromName(ctx.defaultTimeZone) ?? 'UTC'
  const ms = (ctx.now ?? Date.now)()
  // Once per day and zone, not once per row (luxon's zone arithmetic is the costly part).
  const key = ctx.defaultTimeZone
  const hit = lastToday
  if (hit && hit.zone === key && ms >= hit.from && ms < hit.until) return hit.day
  const at = DateTime.fromMillis(ms, { zone })
  // A broken injected clock must not make every date "in the future".
  const day = (at.isValid ? at : DateTime.now().setZone(zone)).toFormat('yyyy-MM-dd')
  lastToday = at.isValid ? { zone: key, from: at.startOf('day').toMillis(), until: at.endOf('day').toMillis() + 1, day } : null
  return day
}

let lastToday: { zone: string; from: number; until: number; day: string } | null = null

function check(v: Validation, value: unknown, ctx: MappingContext): ValidationFailure | undefined {
  if (v.rule === 'required') return isEmpty(value) ? { code: 'required', message: v.message ?? 'a value is required' } : undefined
  if (isEmpty(value)) return undefined
  const text = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined
  switch (v.rule) {
    case 'regex': {
      let re: RegExp
      try {
        re = compileRegex(v.pattern, (v.flags ?? '').replace('g', ''))
      } catch (e) {
        return { code: 'invalid_regex', message: e instanceof FieldFailure ? e.message : 'invalid regular expression' }
      }
      return text !== undefined && re.test(text) ? undefined : { code: 'regex', message: v.message ?? `does not match ${v.pattern}` }
    }
    case 'one_of': {
      const ok =
        text !== undefined &&
        v.values.some((x) => (v.caseInsensitive ? x.toLowerCase() === text.toLowerCase() : x === text))
      return ok ? undefined : { code: 'one_of', message: v.message ?? `must be one of ${v.values.join(', ')}` }
    }
    case 'max_length':
      return text !== undefined && [...text].length <= v.max ? undefined : { code: 'max_length', message: v.message ?? `longer than ${v.max} characters` }
    case 'date':
      if (text === undefined || !isCalendarDate(text)) return { code: 'invalid_date', message: v.message ?? 'not a valid date (YYYY-MM-DD)' }
      if (v.notFuture && text > today(ctx)) return { code: 'future_date', message: v.message ?? 'date is in the future' }
      return undefined
    case 'e164':
      return text !== undefined && E164.test(text) ? undefined : { code: 'e164', message: v.message ?? 'not an E.164 phone number (+15555550100)' }
  }
}

export function validateField(field: FieldMap, value: unknown, ctx: MappingContext): ValidationFailure[] {
  const rules: Validation[] = [...(field.required ? [{ rule: 'required' as const }] : []), ...(field.validations ?? [])]
  const out: ValidationFailure[] = []
  for (const r of rules) {
    const f = check(r, value, ctx)
    if (f) out.push(f)
  }
  return out
}

/** Custom fields are typed by the set, since the record schema only says `custom: record<unknown>`. */
export function checkCustomType(field: CustomField, value: unknown): ValidationFailure | undefined {
  if (isEmpty(value)) return undefined
  const ok =
    field.type === 'string' ? typeof value === 'string'
      : field.type === 'number' ? typeof value === 'number' && Number.isFinite(value)
        : field.type === 'boolean' ? typeof value === 'boolean'
          : typeof value === 'string' && isCalendarDate(value)
  return ok ? undefined : { code: 'schema', message: `custom field '${field.key}' expects a ${field.type}` }
}
