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
