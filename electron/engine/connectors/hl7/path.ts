/**
 * Field paths in HL7 notation, all 1-based: `PID-5.1`, `OBX[2]-5` (2nd OBX), `PID-3(2).1` (2nd
 * repetition), `PID-3.4.2` (subcomponent), `MSH-9.2`. The Mirth/HAPI spelling `PID.5.1` is
 * accepted too. Parsed paths are cached: mappings evaluate the same few paths per message.
 */
import { AppError } from '../../../../shared/errors'

export interface Hl7Path {
  readonly segment: string
  /** 1-based occurrence of the segment; undefined = first (get) or every occurrence (getAll). */
  readonly segmentIndex?: number
  readonly field: number
  /** 1-based repetition; undefined = first (get) or every repetition (getAll). */
  readonly repetition?: number
  readonly component?: number
  readonly subcomponent?: number
}

const PATH_RE = /^([A-Z][A-Z0-9]{2})(?:\[([1-9]\d{0,5})\])?[-.]([1-9]\d{0,3})(?:\(([1-9]\d{0,5})\))?(?:\.([1-9]\d{0,3}))?(?:\.([1-9]\d{0,3}))?$/

const cache = new Map<string, Hl7Path>()
const CACHE_LIMIT = 2048

export function parseHl7Path(path: string): Hl7Path {
  const hit = cache.get(path)
  if (hit) return hit
  const m = PATH_RE.exec(path)
  if (!m) {
    throw new AppError('invalid_input', `Invalid HL7 path "${path.slice(0, 40)}"; expected e.g. PID-5.1, OBX[2]-5, PID-3(2).1`, {
      details: { path: path.slice(0, 80) },
    })
  }
  const p: Hl7Path = {
    segment: m[1] as string,
    ...(m[2] ? { segmentIndex: Number(m[2]) } : {}),
    field: Number(m[3]),
    ...(m[4] ? { repetition: Number(m[4]) } : {}),
    ...(m[5] ? { component: Number(m[5]) } : {}),
    ...(m[6] ? { subcomponent: Number(m[6]) } : {}),
  }
  if (cache.size >= CACHE_LIMIT) cache.clear()
  cache.set(path, p)
  return p
}

export function formatHl7Path(p: Hl7Path): string {
  let s = p.segment + (p.segmentIndex !== undefined ? `[${p.segmentIndex}]` : '') + '-' + p.field
  if (p.repetition !== undefined) s += `(${p.repetition})`
  if (p.component !== undefined) s += '.' + p.component
  if (p.subcomponent !== undefined) s += '.' + p.subcomponent
  return s
}
