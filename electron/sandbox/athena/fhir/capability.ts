/**
 * The sandbox's CapabilityStatement: a subset of athena's (`ah-r4-base`, fhirVersion 4.0.1,
 * US Core 3.1.1 / 6.1.0, reference fhir.md §1.1, H) built from the same search definitions the
 * sandbox enforces, so what it advertises is what it does. With `fhirWrites` it advertises
 * create/update like a generic R4 server; Subscription and SubscriptionTopic are absent, as in
 * athena's (alpha, not in the statement, H).
 */
import { SEARCH_DEFS } from './search'

const PARAM_TYPES: Record<string, string> = {
  _id: 'token', _lastUpdated: 'date', identifier: 'token', name: 'string', family: 'string', given: 'string', birthdate: 'date', gender: 'token',
  patient: 'reference', date: 'date', location: 'reference', practitioner: 'reference', category: 'token', code: 'token', encounter: 'reference', type: 'token',
}

export const WRITABLE_WITH_SWITCH = ['Patient', 'Appointment', 'Observation', 'DocumentReference', 'Encounter']

export function capabilityStatement(base: string, fhirWrites: boolean, nowIso: string): Record<string, unknown> {
  const resource = Object.entries(SEARCH_DEFS).map(([type, def]) => {
    const interaction = [{ code: 'read' }, { code: 'search-type' }]
    if (fhirWrites && WRITABLE_WITH_SWITCH.includes(type)) interaction.push({ code: 'create' }, { code: 'update' })
    return {
      type,
      interaction,
      searchParam: [
        ...Object.keys(def.params).map((name) => ({ name, type: PARAM_TYPES[name] ?? 'string' })),
        { name: 'ah-practice', type: 'reference' },
        { name: '_count', type: 'number' },
        { name: 'cursor', type: 'string' },
      ],
      extension: def.combos.length
        ? [{ url: 'https://fhir.athena.io/StructureDefinition/ah-search-parameter-metadata', extension: def.combos.map((c) => ({ url: 'required-combination', valueString: c.join(',') })) }]
        : [],
    }
  })
  resource.push({ type: 'Binary', interaction: [{ code: 'read' }], searchParam: [], extension: [] })
  return {
    resourceType: 'CapabilityStatement',
    id: 'ah-r4-base',
    url: `${base}/metadata`,
    version: '2.0.0',
    name: 'AthenaSandboxR4',
    status: 'active',
    date: nowIso,
    kind: 'instance',
    fhirVersion: '4.0.1',
    format: ['json', 'application/json', 'application/json+fhir', 'application/fhir+json'],
    instantiates: ['http://hl7.org/fhir/us/core/CapabilityStatement/us-core-server|3.1.1', 'http://hl7.org/fhir/us/core/CapabilityStatement/us-core-server|6.1.0'],
    implementation: { description: 'Practice Studio local athena sandbox (FHIR R4)', url: base },
    rest: [{ mode: 'server', security: { service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }] }, resource }],
  }
}
