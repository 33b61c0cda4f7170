/**
 * Lenient reading of athena responses (reference §3.2–3.6). Three shapes: A, a list envelope
 * `{<plural>: [...], totalcount, next, previous}`; B, a bare array (single-record GETs, most
 * creates); C, a status object (`{"success": true}`, `{"appointmentids": {...}}`, `{"pong":"true"}`).
 * Failures can arrive inside HTTP 200 (`{"success": false, "errormessage"}`, `[{"patientid": "",
 * "errormessage"}]`, a bare error string), so success is decided here, not by the status code.
 * Ids are numbers or strings; booleans are booleans, "true"/"false", 1/0 or Y/N.
 */

export interface ListPage<T = Record<string, unknown>> {
  items: T[]
  totalcount: number | null
  next: string | null
  previous: string | null
}

export interface AthenaErrorBody {
  /** Public message, safe to show. */
  error: string | null
  /** Developer detail: logged for the developer view only, never shown by default. */
  detailedmessage: string | null
  missingfields: string[]
}

/** JSON when it parses, otherwise the text (gateway errors are HTML, some endpoints answer a bare scalar). */
export function parseBody(text: string): unknown {
  const t = text.trim()
  if (t === '') return null
  try {
    return JSON.parse(t)
  } catch {
    return text
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** number-or-string id → string (null when absent or empty). */
export function asId(v: unknown): string | null {
  if (typeof v === 'number' && Number.isFinite(v)) return String(Math.trunc(v))
  if (typeof v === 'string') {
    const t = v.trim()
    return t === '' ? null : t
  }
  return null
}

export function asBool(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v
  if (typeof v === 'number') return v !== 0
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase()
    if (['true', '1', 'y', 'yes'].includes(t)) return true
    if (['false', '0', 'n', 'no', ''].includes(t)) return false
  }
  return null
}

export function asInt(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v)
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v.trim())
  return null
}

/**
 * Items of any of the three shapes. `key` names the envelope's array; without it the first array
 * property is taken (athena's plural is not always the resource name, e.g. `results` for labs).
 */
export function readList<T = Record<string, unknown>>(body: unknown, key?: string): ListPage<T> {
  if (Array.isArray(body)) return { items: body as T[], totalcount: body.length, next: null, previous: null }
  if (!isRecord(body)) return { items: [], totalcount: 0, next: null, previous: null }
  let arr: unknown
  if (key !== undefined) {
    const k = key in body ? key : Object.keys(body).find((x) => x.toLowerCase() === key.toLowerCase())
    arr = k !== undefined ? body[k] : undefined
  } else {
    arr = Object.values(body).find((v) => Array.isArray(v))
  }
  const envelope = 'totalcount' in body || 'next' in body
  const items: T[] = Array.isArray(arr) ? (arr as T[]) : key === undefined && !envelope ? [body as T] : []
  const next = typeof body.next === 'string' && body.next.trim() !== '' ? body.next : null
  const previous = typeof body.previous === 'string' && body.previous.trim() !== '' ? body.previous : null
  return { items, totalcount: asInt(body.totalcount), next, previous }
}

/** The single record of a shape-B answer (or the object itself for shape C). */
export function readOne<T = Record<string, unknown>>(body: unknown): T | null {
  if (Array.isArray(body)) return (body[0] as T | undefined) ?? null
  if (isRecord(body)) return body as T
  return null
}

/** A failure reported inside HTTP 200, or null when the body reads as success. */
export function softFailure(body: unknown): string | null {
  if (typeof body === 'string') {
    const t = body.trim()
    // `PUT /appointments/booked/{id}` answers a bare 1 on success, an error string otherwise (M).
    if (t === '' || t === '1' || t.toLowerCase() === 'true') return null
    return t.length > 300 ? `${t.slice(0, 300)}…` : t
  }
  if (isRecord(body)) {
    if (asBool(body.success) === false) return stringOr(body.errormessage, 'athenaNet reported the request as unsuccessful.')
    if (typeof body.errormessage === 'string' && body.errormessage.trim() !== '' && body.success === undefined) return body.errormessage
    return null
  }
  if (Array.isArray(body) && body.length > 0 && body.every((x) => isRecord(x) && typeof x.errormessage === 'string' && x.errormessage.trim() !== '')) {
    return (body[0] as { errormessage: string }).errormessage
  }
  return null
}

export function readError(body: unknown): AthenaErrorBody {
  if (!isRecord(body)) return { error: null, detailedmessage: null, missingfields: [] }
  const mf = body.missingfields
  return {
    error: typeof body.error === 'string' ? body.error : typeof body.errormessage === 'string' ? body.errormessage : null,
    detailedmessage: typeof body.detailedmessage === 'string' ? body.detailedmessage : null,
    missingfields: Array.isArray(mf) ? mf.filter((x): x is string => typeof x === 'string') : typeof mf === 'string' ? mf.split(',').map((s) => s.trim()).filter(Boolean) : [],
  }
}

function stringOr(v: unknown, fallback: string): string {
  return typeof v === 'string' && v.trim() !== '' ? v : fallback
}
