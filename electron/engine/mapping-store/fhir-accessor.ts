/**
 * FHIR resources read with FHIRPath (R4 model), so a FHIR mapping set can say what it means:
 * `telecom.where(system='phone' and use='home').value`, `name.where(use='official').given.first()`.
 * Plain dotted paths work too (`name.0.family` is read as `name[0].family`). Expressions are
 * compiled once per process; an expression that does not compile or fails on the data throws, which
 * the mapping engine turns into a `source_error` on that row only.
 */
import fhirpath from 'fhirpath'
import r4 from 'fhirpath/fhir-context/r4'
import { AppError } from '../../../shared/errors'
import type { SourceAccessor } from '../mapping'

type Compiled = (resource: unknown) => unknown[]

const compiled = new Map<string, Compiled>()
const MAX_COMPILED = 2000

/** `name.0.given.1` → `name[0].given[1]`; string literals ('urn:oid:2.16.840') are left alone. */
export function toFhirPath(path: string): string {
  return path
    .trim()
    .split(/('(?:[^'\\]|\\.)*')/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/(?<=[A-Za-z_\])`])\.(\d+)(?=\.|$|\[|\s|\))/g, '[$1]')))
    .join('')
}

const KEYWORDS = new Set(['and', 'or', 'xor', 'implies', 'div', 'mod', 'is', 'as', 'in', 'contains', 'true', 'false', 'sort', 'asc', 'desc'])

/** A JSON key as a FHIRPath identifier: keywords and unusual keys (`text.div`) are backtick-quoted. */
export function fhirIdentifier(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) && !KEYWORDS.has(key) ? key : `\`${key.replace(/[`\\]/g, '\\$&')}\``
}

function compile(path: string): Compiled {
  let fn = compiled.get(path)
  if (fn) return fn
  try {
    fn = fhirpath.compile(toFhirPath(path), r4) as unknown as Compiled
  } catch (e) {
    throw new AppError('mapping_error', `FHIRPath does not compile: ${String((e as Error).message ?? e).slice(0, 200)}`, { retryable: false })
  }
  if (compiled.size >= MAX_COMPILED) compiled.clear()
  compiled.set(path, fn)
  return fn
}

const blank = (v: unknown): boolean => v === undefined || v === null || (typeof v === 'string' && v.trim() === '')

export function fhirAccessor(resource: unknown): SourceAccessor {
  // fhirpath annotates the data it walks; never let it touch the caller's object.
  const root = structuredClone(resource)
  const cache = new Map<string, unknown[]>()
  const all = (path: string): unknown[] => {
    let v = cache.get(path)
    if (!v) {
      const r = compile(path)(root)
      v = Array.isArray(r) ? r : r === undefined ? [] : [r]
      cache.set(path, v)
    }
    return v
  }
  return {
    get: (path) => all(path).find((v) => !blank(v)),
    getAll: (path) => [...all(path)],
  }
}
