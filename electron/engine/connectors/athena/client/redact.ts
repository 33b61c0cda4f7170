/**
 * What the API log may keep of a request: the endpoint template (ids replaced by their names, so
 * logs group by endpoint and carry no identifiers) and the path as sent with every PHI-bearing
 * query parameter's value replaced by `*` (names, dates of birth, phones, e-mail, SSN, zip,
 * address, free-text search terms). Ids stay in the path: they are how support traces a call.
 */

const PHI_EXACT = new Set([
  'name', 'suffix', 'dob', 'dateofbirth', 'birthdate', 'ssn', 'email', 'zip', 'zipcode', 'city', 'searchterm', 'searchvalue',
  'notetext', 'bookingnote', 'cancellationreason', 'reschedulereason', 'patientname', 'contactname', 'contactrelationship',
])
/** Any kind of person's name (firstname, guarantorlastname, ...), phones, addresses, e-mail, SSN, DOB. */
const PHI_PATTERN = /(first|last|middle|preferred|maiden|previous|full)name$|phone|address|email|ssn|dob|birth|guarantor|nextkin|emergencycontact|policyholder/i

export function isPhiParam(name: string): boolean {
  const n = name.toLowerCase()
  return PHI_EXACT.has(n) || PHI_PATTERN.test(n)
}

/** `/v1/195900/patients?lastname=Rivera&limit=2` → `/v1/195900/patients?lastname=*&limit=2`. */
export function redactPath(pathWithQuery: string): string {
  const q = pathWithQuery.indexOf('?')
  if (q < 0) return pathWithQuery
  const base = pathWithQuery.slice(0, q)
  const params = new URLSearchParams(pathWithQuery.slice(q + 1))
  const parts: string[] = []
  for (const [k, v] of params) parts.push(`${encodeURIComponent(k)}=${isPhiParam(k) ? '*' : encodeURIComponent(v)}`)
  return parts.length ? `${base}?${parts.join('&')}` : base
}

const ID_NAMES: Record<string, string> = {
  patients: 'patientid',
  appointments: 'appointmentid',
  chart: 'patientid',
  departments: 'departmentid',
  providers: 'providerid',
  appointmenttypes: 'appointmenttypeid',
  documents: 'documentid',
  booked: 'appointmentid',
  encounter: 'encounterid',
  encounters: 'encounterid',
  insurances: 'insuranceid',
  notes: 'noteid',
}

/** `/v1/195900/patients/4521/documents` → `/v1/{practiceid}/patients/{patientid}/documents`. */
export function endpointTemplate(path: string): string {
  const clean = path.split('?')[0]!
  const segs = clean.split('/')
  const out: string[] = []
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!
    if (i === 2 && segs[1] === 'v1' && /^\d+$/.test(s)) {
      out.push('{practiceid}')
      continue
    }
    if (i > 1 && (/^-?\d+$/.test(s) || /^[A-Za-z]-?\d+$/.test(s))) {
      const prev = segs[i - 1] ?? ''
      out.push(`{${ID_NAMES[prev] ?? 'id'}}`)
      continue
    }
    out.push(s)
  }
  return out.join('/')
}

/** Headers and bodies of one call as the API log keeps them (athena-client.ts, migration 0180). */
export interface CallDetail {
  requestHeaders: Record<string, string>
  requestBody: string | null
  responseHeaders: Record<string, string>
  responseBody: string | null
}

/** Each stored body is cut here (after redaction): the log is for reading a call, not archiving it. */
export const DETAIL_BODY_LIMIT = 16 * 1024

/** Credentials, never stored: the bearer, cookies, and any token or secret a body carries. */
const SECRET_HEADER = /^(authorization|proxy-authorization|cookie|set-cookie)$/i
const SECRET_KEY = /token|secret|password|client_id|assertion/i

function bounded(text: string): string {
  return text.length > DETAIL_BODY_LIMIT ? `${text.slice(0, DETAIL_BODY_LIMIT)}\n… (cut at ${DETAIL_BODY_LIMIT} characters)` : text
}

/** Header names lower-cased; credentials replaced by a note so the reader knows one was sent. */
export function redactHeaders(h: Iterable<[string, string]>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of h) out[k.toLowerCase()] = SECRET_HEADER.test(k) ? '(not stored)' : v
  return out
}

function redactValue(v: unknown, key: string | null): unknown {
  if (key !== null && (isPhiParam(key) || SECRET_KEY.test(key))) return v === null || v === '' ? v : '*'
  if (Array.isArray(v)) return v.map((x) => redactValue(x, null))
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redactValue(x, k)]))
  return v
}

/**
 * A body as the log keeps it: a form body with PHI (and secret) parameter values as `*`, the same
 * rule as the logged path; a JSON body with the values of PHI-named keys as `*` at any depth;
 * anything else (HTML error pages, files) is not kept, since free text cannot be redacted by name.
 */
export function redactBody(text: string | null, contentType: string | null): string | null {
  if (text === null || text === '') return null
  const type = (contentType ?? '').toLowerCase()
  if (type.includes('application/x-www-form-urlencoded')) {
    const parts: string[] = []
    for (const [k, v] of new URLSearchParams(text)) parts.push(`${k}=${isPhiParam(k) || SECRET_KEY.test(k) ? '*' : v}`)
    return bounded(parts.join('\n'))
  }
  try {
    return bounded(JSON.stringify(redactValue(JSON.parse(text), null), null, 2))
  } catch {
    return `(${text.length} characters of ${type.split(';')[0] || 'unknown type'}, not stored: only JSON and form bodies can be redacted)`
  }
}
