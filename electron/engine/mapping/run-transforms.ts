/** Runs a transform chain over one value; the `if` transform nests chains. */
import type { Condition, Transform } from '../../../shared/mapping'
import { codeMap } from './code-map-lookup'
import { addMinutes, dateTransform, datetimeLocal, datetimeUtc } from './date-transforms'
import { FieldFailure, readSource, type TransformEnv } from './mapping-context'
import { isEmpty } from './paths'
import { phone } from './phone-transform'
import {
  asText,
  compileRegex,
  concat,
  constant,
  defaultValue,
  lower,
  regexReplace,
  split,
  substring,
  toNumber,
  toStringValue,
  toTitleCase,
  trim,
  upper,
} from './text-transforms'

// Sets are data a user edits; a runaway nesting of `if`s must fail the field, not the stack.
const MAX_DEPTH = 20

export function runChain(value: unknown, chain: readonly Transform[], env: TransformEnv, depth = 0): unknown {
  if (depth > MAX_DEPTH) throw new FieldFailure('transform_error', 'conditions nested too deeply')
  let v = value
  for (const t of chain) v = runOne(v, t, env, depth)
  return v
}

function runOne(v: unknown, t: Transform, env: TransformEnv, depth: number): unknown {
  switch (t.op) {
    case 'trim':
      return trim(v)
    case 'upper':
      return upper(v)
    case 'lower':
      return lower(v)
    case 'title_case':
      return toTitleCase(v)
    case 'to_string':
      return toStringValue(v)
    case 'number':
      return toNumber(v, t)
    case 'substring':
      return substring(v, t)
    case 'regex_replace':
      return regexReplace(v, t)
    case 'split':
      return split(v, t)
    case 'concat':
      return concat(v, t, env)
    case 'constant':
      return constant(v, t)
    case 'default':
      return defaultValue(v, t)
    case 'date':
      return dateTransform(v, t)
    case 'datetime_utc':
      return datetimeUtc(v, t, env)
    case 'datetime_local':
      return datetimeLocal(v, t, env)
    case 'add_minutes':
      return addMinutes(v, t, env)
    case 'phone':
      return phone(v, t, env)
    case 'code_map':
      return codeMap(v, t, env)
    case 'if':
      return testCondition(v, t.when, env) ? runChain(v, t.then, env, depth + 1) : runChain(v, t.else ?? [], env, depth + 1)
    default:
      throw new FieldFailure('transform_error', `unknown transform '${String((t as { op?: unknown }).op)}'`)
  }
}

const norm = (s: string, ci: boolean | undefined): string => (ci ? s.trim().toLowerCase() : s.trim())

export function testCondition(current: unknown, c: Condition, env: TransformEnv): boolean {
  const subject = c.source === undefined ? current : readSource(env.accessor, c.source)
  let result: boolean
  switch (c.test) {
    case 'empty':
      result = isEmpty(subject)
      break
    case 'equals':
      result = isEmpty(subject) ? c.value === null || c.value === '' : scalarText(subject, (s) => norm(s, c.caseInsensitive) === norm(String(c.value), c.caseInsensitive))
      break
    case 'in':
      result = !isEmpty(subject) && scalarText(subject, (s) => c.values.some((x) => norm(String(x), c.caseInsensitive) === norm(s, c.caseInsensitive)))
      break
    case 'matches': {
      const re = compileRegex(c.pattern, (c.flags ?? '').replace('g', ''))
      result = !isEmpty(subject) && scalarText(subject, (s) => re.test(s))
      break
    }
    default:
      throw new FieldFailure('transform_error', 'unknown condition')
  }
  return c.negate ? !result : result
}

/** Lists and objects never equal or match a scalar; that is a false test, not an error. */
function scalarText(v: unknown, f: (s: string) => boolean): boolean {
  try {
    return f(asText(v))
  } catch {
    return false
  }
}
