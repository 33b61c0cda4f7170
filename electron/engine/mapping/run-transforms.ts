/**
 * Transform chains compiled into closures, once per set (see compile-mapping.ts): the op is
 * looked up, regexes built and condition operands normalised when the set is compiled, not per
 * record. A problem in the definition (an unknown op, a bad pattern, `if`s nested too deeply)
 * still fails only the field, and only when a record reaches it, with the error the chain would
 * meet at that point.
 */
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
  regexReplaceWith,
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

export type CompiledChain = (value: unknown, env: TransformEnv) => unknown
type Step = (value: unknown, env: TransformEnv) => unknown

const identity: CompiledChain = (v) => v
const broken: Step = () => {
  throw new Error('transform definition is malformed')
}

/** A failure the definition holds, raised when a record reaches it (as interpreting the set did). */
function failing(code: string, message: string): Step {
  return () => {
    throw new FieldFailure(code, message)
  }
}

/** A regex built now; a bad one fails the record that reaches it, with compileRegex's error. */
function regexOrFailure(pattern: string, flags: string): RegExp | FieldFailure {
  try {
    return compileRegex(pattern, flags)
  } catch (e) {
    return e instanceof FieldFailure ? e : new FieldFailure('invalid_regex', 'the regular expression is not valid')
  }
}

export function compileChain(chain: readonly Transform[], depth = 0): CompiledChain {
  if (depth > MAX_DEPTH) return failing('transform_error', 'conditions nested too deeply')
  const steps: Step[] = []
  // A definition that does not compile (not a list, a transform missing its parts: data that
  // skipped the schema) fails the field where running it would have broken.
  if (!Array.isArray(chain)) return broken
  for (const t of chain) {
    try {
      steps.push(compileOne(t, depth))
    } catch {
      steps.push(broken)
    }
  }
  switch (steps.length) {
    case 0:
      return identity
    case 1:
      return steps[0] as Step
    case 2: {
      const [a, b] = steps as [Step, Step]
      return (v, env) => b(a(v, env), env)
    }
    default:
      return (v, env) => {
        let x = v
        for (let i = 0; i < steps.length; i++) x = (steps[i] as Step)(x, env)
        return x
      }
  }
}

function compileOne(t: Transform, depth: number): Step {
  // A null or non-object transform breaks on reading its op, as it did when interpreted.
  switch (t.op) {
    case 'trim':
      return trim
    case 'upper':
      return upper
    case 'lower':
      return lower
    case 'title_case':
      return toTitleCase
    case 'to_string':
      return toStringValue
    case 'number':
      return (v) => toNumber(v, t)
    case 'substring':
      return (v) => substring(v, t)
    case 'regex_replace': {
      const re = regexOrFailure(t.pattern, t.flags ?? 'g')
      if (re instanceof FieldFailure) return failing(re.code, re.message)
      return (v) => regexReplaceWith(v, re, t.replacement)
    }
    case 'split':
      return (v) => split(v, t)
    case 'concat':
      return (v, env) => concat(v, t, env)
    case 'constant':
      return (v) => constant(v, t)
    case 'default':
      return (v) => defaultValue(v, t)
    case 'date':
      return (v) => dateTransform(v, t)
    case 'datetime_utc':
      return (v, env) => datetimeUtc(v, t, env)
    case 'datetime_local':
      return (v, env) => datetimeLocal(v, t, env)
    case 'add_minutes':
      return (v, env) => addMinutes(v, t, env)
    case 'phone':
      return (v, env) => phone(v, t, env)
    case 'code_map':
      return (v, env) => codeMap(v, t, env)
    case 'if': {
      const when = compileCondition(t.when)
      const then = compileChain(t.then, depth + 1)
      const otherwise = compileChain(t.else ?? [], depth + 1)
      return (v, env) => (when(v, env) ? then(v, env) : otherwise(v, env))
    }
    default:
      return failing('transform_error', `unknown transform '${String((t as { op?: unknown }).op)}'`)
  }
}

export type CompiledCondition = (current: unknown, env: TransformEnv) => boolean

const norm = (s: string, ci: boolean | undefined): string => (ci ? s.trim().toLowerCase() : s.trim())

export function compileCondition(c: Condition): CompiledCondition {
  const source = c.source
  const subjectOf = source === undefined ? (current: unknown) => current : (_: unknown, env: TransformEnv) => readSource(env.accessor, source)
  let test: (subject: unknown) => boolean
  switch (c.test) {
    case 'empty':
      test = isEmpty
      break
    case 'equals': {
      const ci = c.caseInsensitive
      const emptyEquals = c.value === null || c.value === ''
      const want = norm(String(c.value), ci)
      test = (subject) => (isEmpty(subject) ? emptyEquals : scalarText(subject, (s) => norm(s, ci) === want))
      break
    }
    case 'in': {
      const ci = c.caseInsensitive
      const wanted = new Set(c.values.map((x) => norm(String(x), ci)))
      test = (subject) => !isEmpty(subject) && scalarText(subject, (s) => wanted.has(norm(s, ci)))
      break
    }
    case 'matches': {
      const re = regexOrFailure(c.pattern, (c.flags ?? '').replace('g', ''))
      test = (subject) => {
        if (re instanceof FieldFailure) throw re
        if (isEmpty(subject)) return false
        re.lastIndex = 0
        return scalarText(subject, (s) => re.test(s))
      }
      break
    }
    default: {
      test = () => {
        throw new FieldFailure('transform_error', 'unknown condition')
      }
    }
  }
  return c.negate ? (v, env) => !test(subjectOf(v, env)) : (v, env) => test(subjectOf(v, env))
}

/** Lists and objects never equal or match a scalar; that is a false test, not an error. */
function scalarText(v: unknown, f: (s: string) => boolean): boolean {
  try {
    return f(asText(v))
  } catch {
    return false
  }
}
