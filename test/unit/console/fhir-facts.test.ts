import { describe, expect, it } from 'vitest'
import type { InspectorStage } from '../../../shared/api/inspector'
import { fhirFacts } from '../../../renderer/src/pages/inspector/fhir-facts'

const stage = (o: Partial<InspectorStage>): InspectorStage => ({ stage: 'parsed', format: 'json', text: null, tree: [], maskedCount: 0, parseError: null, ...o })

describe('FHIR facts from the parsed stage (inspector)', () => {
  it('reads a resource with its field issues', () => {
    const text = JSON.stringify({ kind: 'resource', resourceType: 'Observation', id: 'a-1.vitals-9', source: 'pull', issues: [{ severity: 'error', path: 'Observation.valueQuantity.system', message: 'vital sign units must be UCUM', source: 'us-core' }, { severity: 'warning', path: 'Observation.note', message: 'x', source: 'r4' }] })
    const f = fhirFacts([stage({ stage: 'raw', text: '{}' }), stage({ text })])
    expect(f).toMatchObject({ kind: 'resource', resourceType: 'Observation', id: 'a-1.vitals-9', topic: null })
    expect(f!.issues.map((i) => [i.severity, i.path, i.source])).toEqual([['error', 'Observation.valueQuantity.system', 'us-core'], ['warning', 'Observation.note', 'r4']])
  })

  it('reads a notification: topic, event, focus, how it was re-read', () => {
    const text = JSON.stringify({ kind: 'notification', topic: 'Patient.update', eventId: 'e-1', focus: { identifier: { system: 'urn:athenahealth:athenanet:patient:195900', value: '12' } }, via: 'FHIR read Patient', resourceType: 'Patient', id: 'a-195900.E-12', issues: [] })
    expect(fhirFacts([stage({ text })])).toEqual({ kind: 'notification', resourceType: 'Patient', id: 'a-195900.E-12', topic: 'Patient.update', eventId: 'e-1', via: 'FHIR read Patient', focus: 'urn:athenahealth:athenanet:patient:195900|12', issues: [] })
  })

  it('is null for other connectors’ stages, text stages and broken JSON', () => {
    expect(fhirFacts([stage({ text: JSON.stringify({ PID: {} }) })])).toBeNull()
    expect(fhirFacts([stage({ format: 'hl7', text: 'MSH|^~\\&' })])).toBeNull()
    expect(fhirFacts([stage({ text: '{not json' })])).toBeNull()
    expect(fhirFacts([])).toBeNull()
  })
})
