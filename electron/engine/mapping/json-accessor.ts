/**
 * SourceAccessors for JSON documents (athenaNet payloads, FHIR resources, canonical records for
 * outbound sets) and for CSV rows. The HL7 accessor lives with the HL7 parser.
 */
import type { SourceAccessor } from './source'
import { getAllAt, isEmpty, parsePath } from './paths'

export function jsonAccessor(root: unknown): SourceAccessor {
  const cache = new Map<string, unknown[]>()
  const all = (path: string): unknown[] => {
    let v = cache.get(path)
    if (!v) {
      v = getAllAt(root, parsePath(path))
      cache.set(path, v)
    }
    return v
  }
  return {
    get: (path) => all(path).find((v) => !isEmpty(v)),
    getAll: (path) => [...all(path)],
  }
}

/**
 * A CSV row keyed by header. Headers in files drift in case and padding ("First Name " vs
 * "first name"), so an exact match wins and a trimmed, case-insensitive one is the fallback.
 */
export function csvRowAccessor(row: Readonly<Record<string, string | undefined>>): SourceAccessor {
  const folded = new Map<string, string | undefined>()
  for (const [k, v] of Object.entries(row)) {
    const key = k.trim().toLowerCase()
    if (!folded.has(key)) folded.set(key, v)
  }
  const lookup = (path: string): string | undefined =>
    Object.prototype.hasOwnProperty.call(row, path) ? row[path] : folded.get(path.trim().toLowerCase())
  return {
    get: (path) => {
      const v = lookup(path)
      return isEmpty(v) ? undefined : v
    },
    getAll: (path) => {
      const v = lookup(path)
      return v === undefined ? [] : [v]
    },
  }
}
