/**
 * What a FHIR server says it allows (`GET {base}/metadata`, reference fhir.md §1.1, H): per
 * resource type its interactions, search parameters and (athena's `ah-search-parameter-metadata`)
 * required combinations. The summary is kept per connection and consulted before every write: a
 * write the statement does not allow is refused before any call.
 */
import { AppError } from '../../../../../shared/errors'

export interface ResourceCapability {
  type: string
  interactions: string[]
  searchParams: string[]
  requiredCombos: string[][]
}

export interface CapabilitySummary {
  fhirVersion: string | null
  id: string | null
  date: string | null
  formats: string[]
  instantiates: string[]
  resources: ResourceCapability[]
  fetchedAt: number
}

type J = Record<string, unknown>
const arr = (v: unknown): J[] => (Array.isArray(v) ? v.filter((x): x is J => !!x && typeof x === 'object') : [])

export function summarizeCapabilities(cs: unknown, fetchedAt: number): CapabilitySummary {
  const c = (cs ?? {}) as J
  if (c.resourceType !== 'CapabilityStatement') throw new AppError('remote_rejected', 'The server did not answer /metadata with a CapabilityStatement.', { retryable: false })
  const rest = arr(c.rest).find((r) => r.mode === 'server') ?? arr(c.rest)[0] ?? {}
  const resources = arr((rest as J).resource).map((r) => {
    const combos = arr(r.extension)
      .filter((e) => typeof e.url === 'string' && e.url.endsWith('ah-search-parameter-metadata'))
      .flatMap((e) => arr(e.extension).map((x) => String(x.valueString ?? '').split(',').filter(Boolean)))
    return {
      type: String(r.type),
      interactions: arr(r.interaction).map((i) => String(i.code)),
      searchParams: arr(r.searchParam).map((p) => String(p.name)),
      requiredCombos: combos,
    }
  })
  return {
    fhirVersion: typeof c.fhirVersion === 'string' ? c.fhirVersion : null,
    id: typeof c.id === 'string' ? c.id : null,
    date: typeof c.date === 'string' ? c.date : null,
    formats: Array.isArray(c.format) ? c.format.map(String) : [],
    instantiates: Array.isArray(c.instantiates) ? c.instantiates.map(String) : [],
    resources,
    fetchedAt,
  }
}

export function allows(s: CapabilitySummary, type: string, interaction: string): boolean {
  return s.resources.some((r) => r.type === type && r.interactions.includes(interaction))
}
