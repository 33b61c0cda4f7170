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

export type CompiledValidation = (value: unknown, ctx: MappingContext) => ValidationFailure | undefined

const textOf = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined

/** One rule, with its regex built and its message chosen once per set. */
function compileRule(v: Validation): CompiledValidation {
  if (v.rule === 'required') {
    const failure = { code: 'required', message: v.message ?? 'a value is required' }
    return (value) => (isEmpty(value) ? { ...failure } : undefined)
  }
  let test: (text: string | undefined, ctx: MappingContext) => ValidationFailure | undefined
  switch (v.rule) {
    case 'regex': {
      let re: RegExp | ValidationFailure
      try {
        re = compileRegex(v.pattern, (v.flags ?? '').replace('g', ''))
      } catch (e) {
        re = { code: 'invalid_regex', message: e instanceof FieldFailure ? e.message : 'invalid regular expression' }
      }
      const compiled = re
      const message = v.message ?? `does not match ${v.pattern}`
      test = (text) => {
        if (!(compiled instanceof RegExp)) return { ...compiled }
        compiled.lastIndex = 0
        return text !== undefined && compiled.test(text) ? undefined : { code: 'regex', message }
      }
      break
    }
    case 'one_of': {
      const values = v.caseInsensitive ? new Set(v.values.map((x) => x.toLowerCase())) : new Set(v.values)
      const ci = v.caseInsensitive
      const message = v.message ?? `must be one of ${v.values.join(', ')}`
      test = (text) => (text !== undefined && values.has(ci ? text.toLowerCase() : text) ? undefined : { code: 'one_of', message })
      break
    }
    case 'max_length': {
      const message = v.message ?? `longer than ${v.max} characters`
      // Code points, not UTF-16 units; a text no longer in units than the limit is within it either way.
      test = (text) => (text !== undefined && (text.length <= v.max || [...text].length <= v.max) ? undefined : { code: 'max_length', message })
      break
    }
    case 'date': {
      const invalid = v.message ?? 'not a valid date (YYYY-MM-DD)'
      const future = v.message ?? 'date is in the future'
      test = (text, ctx) => {
        if (text === undefined || !isCalendarDate(text)) return { code: 'invalid_date', message: invalid }
        if (v.notFuture && text > today(ctx)) return { code: 'future_date', message: future }
        return undefined
      }
      break
    }
    case 'e164': {
      const message = v.message ?? 'not an E.164 phone number (+15555550100)'
      test = (text) => (text !== undefined && E164.test(text) ? undefined : { code: 'e164', message })
      break
    }
    default:
      return () => undefined
  }
  return (value, ctx) => (isEmpty(value) ? undefined : test(textOf(value), ctx))
}

/** A field's rules (`required` first) as one check returning every failure, or null when none apply. */
export function compileValidations(field: FieldMap): ((value: unknown, ctx: MappingContext) => ValidationFailure[]) | null {
  const rules: Validation[] = [...(field.required ? [{ rule: 'required' as const }] : []), ...(field.validations ?? [])]
  if (rules.length === 0) return null
  const checks = rules.map(compileRule)
  return (value, ctx) => {
    const out: ValidationFailure[] = []
    for (const c of checks) {
      const f = c(value, ctx)
      if (f) out.push(f)
    }
    return out
  }
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
