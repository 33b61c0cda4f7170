/**
 * What the API log keeps of a FHIR call: the endpoint template (`/fhir/r4/Patient/{id}`, so logs
 * group by interaction and carry no identifiers) and the path with every PHI-bearing search
 * parameter's value replaced by `*`. Searches that carry PHI go as `POST {Type}/_search` with a
 * form body, which is never logged (reference fhir.md §1.4).
 */

const PHI_PARAMS = new Set(['name', 'family', 'given', 'birthdate', 'identifier', 'phone', 'email', 'telecom', 'address', 'address-city', 'address-postalcode', 'address-state', 'address-country', 'ssn', 'mrn'])

export function isFhirPhiParam(name: string): boolean {
  return PHI_PARAMS.has(name.split(':')[0]!.toLowerCase())
}

export function redactFhirPath(pathWithQuery: string): string {
  const q = pathWithQuery.indexOf('?')
  if (q < 0) return pathWithQuery
  const params = new URLSearchParams(pathWithQuery.slice(q + 1))
  const parts: string[] = []
  for (const [k, v] of params) parts.push(`${encodeURIComponent(k)}=${isFhirPhiParam(k) ? '*' : encodeURIComponent(v)}`)
  return parts.length ? `${pathWithQuery.slice(0, q)}?${parts.join('&')}` : pathWithQuery.slice(0, q)
}

/** `/fhir/r4/Patient/a-1.E-2` → `/fhir/r4/Patient/{id}`; `/fhir/r4/Patient/_search` stays. */
export function fhirEndpointTemplate(basePath: string, pathWithQuery: string): string {
  const path = pathWithQuery.split('?')[0]!
  const rel = path.startsWith(basePath) ? path.slice(basePath.length) : path
  const segs = rel.split('/').filter(Boolean)
  const out = segs.map((s, i) => (i === 1 && !s.startsWith('_') && !s.startsWith('$') ? '{id}' : s))
  return `${basePath}/${out.join('/')}`
}
