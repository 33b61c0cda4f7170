import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import fhirpath from 'fhirpath'
import r4 from 'fhirpath/fhir-context/r4'
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

describe('plain paths read from the JSON agree with FHIRPath', () => {
  // Every source of the shipped FHIR sets and some choice / primitive-extension cases, over the FHIR corpus.
  const corpus = readdirSync('test/corpus/fhir', { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join('test/corpus/fhir', f), 'utf8').replace(/^\uFEFF/, '')) as Record<string, unknown>)
    .flatMap((r) => [r, ...(((r.entry as Array<{ resource?: Record<string, unknown> }> | undefined) ?? []).map((e) => e.resource).filter((x): x is Record<string, unknown> => !!x))])
  const sources = new Set<string>(['birthDate', 'gender', 'name.given', 'name.family.first()', 'value.ofType(Quantity).unit', 'effective.ofType(Period).start', 'value', 'valueQuantity.value', 'status.first()', 'meta.lastUpdated', 'component.value.ofType(Quantity).value', 'code.coding.system', 'telecom.value'])
  for (const f of readdirSync('electron/engine/mapping/defaults').filter((x) => x.startsWith('fhir-'))) {
    const set = JSON.parse(readFileSync(join('electron/engine/mapping/defaults', f), 'utf8')) as { fields: Array<{ source: string | string[] }> }
    for (const field of set.fields) for (const s of [field.source].flat()) sources.add(s)
  }

  it(`for ${sources.size} sources over the corpus`, () => {
    expect(corpus.length).toBeGreaterThan(50)
    let compared = 0
    for (const r of [...corpus, { resourceType: 'Patient', _birthDate: { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'unknown' }] }, name: [{ given: [null, 'B'], _given: [{ extension: [] }, null] }] }]) {
      const frozen = JSON.stringify(r)
      const acc = fhirAccessor(r)
      for (const s of sources) {
        const expected = fhirpath.evaluate(structuredClone(r), toFhirPath(s), undefined, r4)
        expect(acc.getAll(s), `${String(r.resourceType)}/${String(r.id)}: ${s}`).toEqual(expected)
        compared++
      }
      expect(JSON.stringify(r)).toBe(frozen)
    }
    expect(compared).toBeGreaterThan(1000)
  })
})
