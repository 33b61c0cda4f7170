/**
 * FHIR search as athena's CapabilityStatement declares it (reference fhir.md §1.3, H): the search
 * parameters each resource supports, the required combinations (`ah-search-parameter-metadata`:
 * Patient needs `_id` | `identifier` | `name` | `family,birthdate` | `family,gender` |
 * `family,given`; Encounter / Observation / DocumentReference need `patient` or `_id`;
 * Appointment only `_id`), `_lastUpdated` only together with a combination, and paging with
 * `_count` + athena's own `cursor` ("an identifier for the first resource to return": here the id
 * of the first resource of the page, results ordered by id). Matching follows FHIR's rules for the
 * parameter types (token, string starts-with, date prefixes, reference).
 */
import type { Resource } from './resources'

type Matcher = (r: Resource, value: string) => boolean

export interface SearchDef {
  params: Record<string, Matcher>
  /** Any one of these sets must all be present; empty = no requirement. */
  combos: string[][]
}

const COMMON = new Set(['_count', 'cursor', 'ah-practice', '_security', '_include', '_revinclude', '_sort', '_format'])

function get(obj: unknown, path: string): unknown[] {
  let cur: unknown[] = [obj]
  for (const key of path.split('.')) {
    const next: unknown[] = []
    for (const c of cur) {
      if (c === null || typeof c !== 'object') continue
      const v = (c as Record<string, unknown>)[key]
      if (Array.isArray(v)) next.push(...v)
      else if (v !== undefined) next.push(v)
    }
    cur = next
  }
  return cur
}

/** token: `system|code`, `|code`, `system|` or `code`, against Coding / Identifier lists. */
function token(...paths: string[]): Matcher {
  return (r, value) => {
    const i = value.indexOf('|')
    const system = i >= 0 ? value.slice(0, i) : null
    const code = i >= 0 ? value.slice(i + 1) : value
    return paths.some((p) =>
      get(r, p).some((c) => {
        if (typeof c === 'string') return system === null && c === code
        const o = c as { system?: string; code?: string; value?: string }
        const v = o.code ?? o.value
        if (system !== null && system !== '' && o.system !== system) return false
        if (system === '' && o.system !== undefined) return false
        return code === '' || v === code
      }),
    )
  }
}

/** string: case-insensitive starts-with on any of the paths' values. */
function string(...paths: string[]): Matcher {
  return (r, value) => {
    const v = value.toLowerCase()
    return paths.some((p) => get(r, p).some((s) => typeof s === 'string' && s.toLowerCase().startsWith(v)))
  }
}

function reference(path: string, type: string): Matcher {
  return (r, value) => {
    const want = value.includes('/') ? value : `${type}/${value}`
    return get(r, path).some((ref) => typeof ref === 'string' && ref === want)
  }
}

/** [start, end) of a FHIR date / dateTime at its own precision. */
export function dateRange(s: string): [number, number] | null {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/.exec(s)
  if (!m) return null
  const [, y, mo, d, h] = m
  if (h !== undefined) {
    const t = Date.parse(s.length === 16 ? `${s}:00Z` : /Z|[+-]\d{2}:\d{2}$/.test(s) ? s : `${s}Z`)
    if (Number.isNaN(t)) return null
    return [t, t + 1000]
  }
  if (d !== undefined) {
    const t = Date.UTC(Number(y), Number(mo) - 1, Number(d))
    return [t, t + 86_400_000]
  }
  if (mo !== undefined) return [Date.UTC(Number(y), Number(mo) - 1, 1), Date.UTC(Number(y), Number(mo), 1)]
  return [Date.UTC(Number(y), 0, 1), Date.UTC(Number(y) + 1, 0, 1)]
}

export class SearchParamError extends Error {}

function date(path: string): Matcher {
  return (r, value) => {
    const m = /^(eq|ne|gt|lt|ge|le|sa|eb)?(.+)$/.exec(value)!
    const prefix = m[1] ?? 'eq'
    const range = dateRange(m[2]!)
    if (!range) throw new SearchParamError(`The date "${m[2]}" is not a FHIR date or dateTime.`)
    const [start, end] = range
    return get(r, path).some((v) => {
      if (typeof v !== 'string') return false
      const rr = dateRange(v)
      if (!rr) return false
      const t = rr[0]
      switch (prefix) {
        case 'eq':
          return t >= start && t < end
        case 'ne':
          return t < start || t >= end
        case 'gt':
        case 'sa':
          return t >= end
        case 'lt':
        case 'eb':
          return t < start
        case 'ge':
          return t >= start
        default:
          return t < end
      }
    })
  }
}

const id: Matcher = (r, value) => r.id === value
const lastUpdated = date('meta.lastUpdated')

export const SEARCH_DEFS: Record<string, SearchDef> = {
  Patient: {
    params: {
      _id: id,
      _lastUpdated: lastUpdated,
      identifier: token('identifier'),
      name: string('name.family', 'name.given', 'name.text'),
      family: string('name.family'),
      given: string('name.given'),
      birthdate: date('birthDate'),
      gender: token('gender'),
    },
    combos: [['_id'], ['identifier'], ['name'], ['family', 'birthdate'], ['family', 'gender'], ['family', 'given']],
  },
  Appointment: { params: { _id: id }, combos: [['_id']] },
  Encounter: {
    params: { _id: id, _lastUpdated: lastUpdated, patient: reference('subject.reference', 'Patient'), date: date('period.start'), location: reference('location.location.reference', 'Location'), practitioner: reference('participant.individual.reference', 'Practitioner') },
    combos: [['patient'], ['_id']],
  },
  Observation: {
    params: { _id: id, _lastUpdated: lastUpdated, patient: reference('subject.reference', 'Patient'), category: token('category.coding'), code: token('code.coding'), date: date('issued'), encounter: reference('encounter.reference', 'Encounter') },
    combos: [['patient'], ['_id']],
  },
  DocumentReference: {
    params: { _id: id, _lastUpdated: lastUpdated, patient: reference('subject.reference', 'Patient'), category: token('category.coding'), type: token('type.coding'), date: date('date') },
    combos: [['patient'], ['_id']],
  },
  Practitioner: { params: { _id: id, identifier: token('identifier') }, combos: [] },
  Location: { params: { _id: id }, combos: [] },
  Organization: { params: { _id: id }, combos: [] },
}

export type ParamList = Array<[string, string]>

/** Names (without modifiers) of the search parameters present, minus the result/paging controls. */
export function presentParams(params: ParamList): Set<string> {
  return new Set(params.filter(([k, v]) => v.trim() !== '' && !COMMON.has(k)).map(([k]) => k.split(':')[0]!))
}

/** The first problem with a search's parameters (unknown, missing combination), or null. */
export function checkSearch(type: string, params: ParamList, unknownParams: 'error' | 'ignore'): string | null {
  const def = SEARCH_DEFS[type]!
  const present = presentParams(params)
  if (unknownParams === 'error') {
    const unknown = [...present].filter((p) => !(p in def.params))
    if (unknown.length) return `Unsupported search parameter(s) for ${type}: ${unknown.join(', ')}.`
  }
  if (def.combos.length && !def.combos.some((c) => c.every((p) => present.has(p)))) {
    return `${type} search requires one of these parameter combinations: ${def.combos.map((c) => c.join('+')).join(' | ')}.`
  }
  return null
}

/** Every parameter (AND across repeats, OR within a comma list) must match. */
export function matches(type: string, r: Resource, params: ParamList): boolean {
  const def = SEARCH_DEFS[type]!
  for (const [k, v] of params) {
    const name = k.split(':')[0]!
    const m = def.params[name]
    if (!m || v.trim() === '') continue
    if (!v.split(',').some((alt) => m(r, alt.trim()))) return false
  }
  return true
}
