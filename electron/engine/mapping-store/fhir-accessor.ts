/**
 * FHIR resources read with FHIRPath (R4 model), so a FHIR mapping set can say what it means:
 * `telecom.where(system='phone' and use='home').value`, `name.where(use='official').given.first()`.
 * Plain dotted paths work too (`name.0.family` is read as `name[0].family`). Expressions are
 * compiled once per process; an expression that does not compile or fails on the data throws, which
 * the mapping engine turns into a `source_error` on that row only.
 *
 * Most sources are plain element paths (`subject.reference`, `code.coding.code.first()`,
 * `value.ofType(Quantity).value`); those are read by walking the JSON, which is what FHIRPath does
 * for them, at a fraction of its cost (its model-aware node wrapping was most of the mapping time).
 * Whenever the walk cannot be sure it sees what FHIRPath would (an element missing where a choice
 * type or a primitive's `_extension` could stand in), the expression goes to FHIRPath.
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

/** A plain path: lowerCamel element names, an `ofType(T)` on a choice element, an optional final `.first()`. */
interface Walk {
  /** [JSON key, element name]: `valueQuantity`, `value` for value.ofType(Quantity). */
  steps: string[][]
  first: boolean
}

const walks = new Map<string, Walk | null>()
const STEP = /([a-z][A-Za-z0-9]*)(?:\.ofType\(([A-Za-z]+)\))?(\.|$)/y

function walkOf(path: string): Walk | null {
  let w = walks.get(path)
  if (w !== undefined) return w
  w = null
  const text = path.trim()
  const first = text.endsWith('.first()')
  const body = first ? text.slice(0, -'.first()'.length) : text
  // Element names, each with an optional ofType(T); anything else FHIRPath can say (where, iif, [n], literals) stays FHIRPath.
  const steps: string[][] = []
  STEP.lastIndex = 0
  while (STEP.lastIndex < body.length) {
    const m = STEP.exec(body)
    if (!m || KEYWORDS.has(m[1]!) || (m[3] === '.' && STEP.lastIndex === body.length)) {
      steps.length = 0
      break
    }
    // value.ofType(Quantity) is the JSON key valueQuantity (FHIR's choice-type naming).
    steps.push(m[2] ? [`${m[1]}${m[2][0]!.toUpperCase()}${m[2].slice(1)}`, m[1]!] : [m[1]!, m[1]!])
  }
  if (steps.length) w = { steps, first }
  if (walks.size >= MAX_COMPILED) walks.clear()
  walks.set(path, w)
  return w
}

/** The walk's result, or null when FHIRPath could see more than the JSON keys show. */
function walk(root: unknown, w: Walk): unknown[] | null {
  let nodes: unknown[] = [root]
  for (const [key, base] of w.steps) {
    const next: unknown[] = []
    for (const n of nodes) {
      if (!n || typeof n !== 'object' || Array.isArray(n)) return null
      const o = n as Record<string, unknown>
      const v = o[key!]
      if (v === undefined || v === null) {
        // A primitive carried only by its extension, or a choice element under another type: FHIRPath decides.
        if (o[`_${key}`] !== undefined || Object.keys(o).some((k) => k !== key && k.length > base!.length && k.startsWith(base!) && /[A-Z]/.test(k[base!.length]!))) return null
        continue
      }
      if (o[`_${key}`] !== undefined) return null
      if (Array.isArray(v)) {
        for (const x of v) if (x !== null && x !== undefined) next.push(x)
      } else next.push(v)
    }
    nodes = next
  }
  if (nodes.some((n) => typeof n === 'object')) return null
  return w.first ? nodes.slice(0, 1) : nodes
}

const blank = (v: unknown): boolean => v === undefined || v === null || (typeof v === 'string' && v.trim() === '')

export function fhirAccessor(resource: unknown): SourceAccessor {
  // fhirpath annotates the data it walks; never let it touch the caller's object (cloned once, when first needed).
  let root: unknown = null
  const cache = new Map<string, unknown[]>()
  const all = (path: string): unknown[] => {
    let v = cache.get(path)
    if (!v) {
      const w = walkOf(path)
      const walked = w ? walk(resource, w) : null
      if (walked) v = walked
      else {
        root ??= structuredClone(resource)
        const r = compile(path)(root)
        v = Array.isArray(r) ? r : r === undefined ? [] : [r]
      }
      cache.set(path, v)
    }
    return v
  }
  return {
    get: (path) => all(path).find((v) => !blank(v)),
    getAll: (path) => [...all(path)],
  }
}
