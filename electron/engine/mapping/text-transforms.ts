/** Text and value transforms: case, trimming, slicing, regex, split/concat, constants, numbers. */
import type { Transform } from '../../../shared/mapping'
import { FieldFailure, readSource, type TransformEnv } from './mapping-context'
import { isEmpty } from './paths'

type Op<K extends Transform['op']> = Extract<Transform, { op: K }>

/** Scalars read as text; objects and arrays are a mapping mistake (a path that stops too early). */
export function asText(value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value)
  throw new FieldFailure('invalid_value', 'expected a single value, found a list or an object')
}

const regexCache = new Map<string, RegExp>()
export function compileRegex(pattern: string, flags = ''): RegExp {
  const key = `${flags}/${pattern}`
  let re = regexCache.get(key)
  if (!re) {
    try {
      re = new RegExp(pattern, flags)
    } catch {
      throw new FieldFailure('invalid_regex', 'the regular expression is not valid')
    }
    // Sets are few and patterns repeat per row; the bound only guards against unbounded growth.
    if (regexCache.size > 500) regexCache.clear()
    regexCache.set(key, re)
  }
  re.lastIndex = 0
  return re
}

/** Capitalises words, including after hyphens and apostrophes (O'Brien-Smith). */
export function titleCase(s: string): string {
  return s.toLowerCase().replace(/(^|[\s\-'’(/])(\p{L})/gu, (_m, sep: string, ch: string) => sep + ch.toUpperCase())
}

const mapText = (value: unknown, f: (s: string) => string): unknown => (isEmpty(value) ? value : f(asText(value)))

export const trim = (v: unknown): unknown => mapText(v, (s) => s.trim())
export const upper = (v: unknown): unknown => mapText(v, (s) => s.toUpperCase())
export const lower = (v: unknown): unknown => mapText(v, (s) => s.toLowerCase())
export const toTitleCase = (v: unknown): unknown => mapText(v, titleCase)
export const toStringValue = (v: unknown): unknown => mapText(v, (s) => s)

export function toNumber(value: unknown, t: Op<'number'>): unknown {
  if (isEmpty(value)) return value
  let n: number
  if (typeof value === 'number') n = value
  else if (typeof value === 'string' && /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(value)) n = Number(value)
  else throw new FieldFailure('invalid_number', 'not a number')
  if (!Number.isFinite(n)) throw new FieldFailure('invalid_number', 'not a finite number')
  if (t.integer && !Number.isInteger(n)) throw new FieldFailure('invalid_number', 'not a whole number')
  return n
}

export function substring(value: unknown, t: Op<'substring'>): unknown {
  return mapText(value, (s) => {
    const chars = [...s]
    const start = t.start < 0 ? Math.max(chars.length + t.start, 0) : t.start
    return chars.slice(start, t.length === undefined ? undefined : start + t.length).join('')
  })
}

/** `re` built once by the compiled chain; reset, as compileRegex does, since a sticky one keeps state. */
export function regexReplaceWith(value: unknown, re: RegExp, replacement: string): unknown {
  return mapText(value, (s) => {
    re.lastIndex = 0
    return s.replace(re, replacement)
  })
}

export function split(value: unknown, t: Op<'split'>): unknown {
  return mapText(value, (s) => {
    const parts = s.split(t.separator)
    const i = t.index < 0 ? parts.length + t.index : t.index
    return parts[i] ?? ''
  })
}

export function concat(value: unknown, t: Op<'concat'>, env: TransformEnv): unknown {
  const paths = t.sources ?? env.sources
  const parts: string[] = []
  if (paths.length === 0) {
    if (!isEmpty(value)) parts.push(asText(value))
  }
  for (const p of paths) {
    for (const v of readSource(env.accessor, p, true)) {
      if (isEmpty(v) && !t.keepEmpty) continue
      parts.push(isEmpty(v) ? '' : asText(v).trim())
    }
  }
  const joined = parts.join(t.separator)
  return joined === '' ? undefined : joined
}

export const constant = (_v: unknown, t: Op<'constant'>): unknown => t.value
export const defaultValue = (v: unknown, t: Op<'default'>): unknown => (isEmpty(v) ? t.value : v)
