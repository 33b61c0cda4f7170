import { describe, expect, it } from 'vitest'
import { evaluateMapping } from '../../../electron/engine/mapping'
import { fhirAccessor, fhirIdentifier, toFhirPath } from '../../../electron/engine/mapping-store/fhir-accessor'
import type { MappingSet } from '../../../shared/mapping'

describe('FHIRPath source paths', () => {
  it('reads dotted indexes as FHIRPath, leaving literals and decimals alone', () => {
    expect(toFhirPath('name.0.given.1')).toBe('name[0].given[1]')
    expect(toFhirPath("identifier.where(system='urn:oid:2.16.840.1').value")).toBe("identifier.where(system='urn:oid:2.16.840.1').value")
    expect(toFhirPath('valueQuantity.where(value > 1.5).unit')).toBe('valueQuantity.where(value > 1.5).unit')
    expect(toFhirPath('contained.0.`div`.2')).toBe('contained[0].`div`[2]')
  })

  it('quotes keys that are FHIRPath keywords or not identifiers', () => {
    expect(fhirIdentifier('family')).toBe('family')
    expect(fhirIdentifier('div')).toBe('`div`')
    expect(fhirIdentifier('x-y')).toBe('`x-y`')
    const acc = fhirAccessor({ resourceType: 'Patient', text: { div: '<div>x</div>' }, 'x-y': 1 })
    expect(acc.get(`text.${fhirIdentifier('div')}`)).toBe('<div>x</div>')
    expect(acc.get(fhirIdentifier('x-y'))).toBe(1)
  })

  it('gets the first non-empty value, all values, and never touches the caller’s object', () => {
    const patient = { resourceType: 'Patient', name: [{ use: 'nickname', given: [' '] }, { use: 'official', given: ['Ana', 'Maria'] }] }
    const frozen = JSON.stringify(patient)
    const acc = fhirAccessor(patient)
    expect(acc.get('name.given')).toBe('Ana')
    expect(acc.getAll('name.given')).toEqual([' ', 'Ana', 'Maria'])
    expect(acc.get("name.where(use='official').given[1]")).toBe('Maria')
    expect(JSON.stringify(patient)).toBe(frozen)
  })

  it('turns an expression that does not compile into an error on that row only', () => {
    const set: MappingSet = {
      schemaVersion: 1,
      key: 't.fhir',
      name: 't',
      format: 'fhir',
      direction: 'inbound',
      record: 'patient',
      fields: [
        { id: 'bad', target: 'first_name', source: 'name.where(use=', transforms: [] },
        { id: 'good', target: 'last_name', source: 'name.family', transforms: [] },
      ],
      codeMaps: [],
      customFields: [],
      tests: [],
    }
    const r = evaluateMapping(set, fhirAccessor({ resourceType: 'Patient', name: [{ family: 'Li' }] }), { defaultTimeZone: 'UTC' })
    expect(r.fields[0]?.error?.code).toBe('source_error')
    expect(r.output).toEqual({ last_name: 'Li' })
  })
})
